import { describe, expect, it } from 'vitest';
import { generateProblemData } from '../../src/problem/generate';
import { getPreset } from '../../src/problem/presets';
import { resolveProblem } from '../../src/problem/validate';
import { referenceAttention } from '../../src/reference/attention';
import {
  compareResults,
  formatComparisonRow,
  REL_ERR_FLOOR,
  toleranceFor,
  unflatten,
} from '../../src/reference/compare';

// tiny: B 2, headsQ 4, Lq 1, D 16 -> o has 128 elements, lse 8.
const spec = resolveProblem(getPreset('tiny'));
const ref = referenceAttention(generateProblemData(spec, 1));
const copy = () => ({ o: Float32Array.from(ref.o), lse: Float32Array.from(ref.lse) });

describe('toleranceFor', () => {
  it('gives the documented tolerances', () => {
    expect(toleranceFor('f32')).toEqual({ atol: 1e-5, rtol: 1e-4, mtol: 2 ** -17 });
    expect(toleranceFor('f16')).toEqual({ atol: 2e-3, rtol: 5e-3, mtol: 2 ** -10 });
    expect(REL_ERR_FLOOR).toBe(1e-3);
  });
});

describe('compareResults', () => {
  it('passes an f32 rounding of the reference', () => {
    const c = compareResults(spec, ref, copy());
    expect(c.pass).toBe(true);
    expect(c.combined.failures).toBe(0);
    expect(c.o.count).toBe(128);
    expect(c.lse.count).toBe(8);
    expect(c.combined.count).toBe(136);
    expect(c.o.maxAbsErr).toBeGreaterThan(0);
    expect(c.o.maxAbsErr).toBeLessThan(1e-7);
    expect(c.tolerance).toEqual(toleranceFor('f32'));
  });

  it('finds and labels the worst o element', () => {
    const got = copy();
    // b=1, h=2, i=0, d=5 -> ((1*4 + 2)*1 + 0)*16 + 5 = 101
    got.o[101] += 0.01;
    got.o[7] += 2e-5; // fails too, but by less
    const c = compareResults(spec, ref, got);
    expect(c.pass).toBe(false);
    expect(c.o.pass).toBe(false);
    expect(c.lse.pass).toBe(true);
    expect(c.o.failures).toBe(2);
    expect(c.o.worst?.index).toBe(101);
    expect(c.o.worst?.multiIndex).toEqual([1, 2, 0, 5]);
    expect(c.o.worst?.label).toBe('o[b=1,h=2,i=0,d=5]');
    expect(c.combined.worst?.label).toBe('o[b=1,h=2,i=0,d=5]');
    expect(c.o.maxAbsErr).toBeCloseTo(0.01, 6);
    const r = ref.o[101];
    expect(c.o.worst?.relErr).toBeCloseTo(Math.abs(got.o[101] - r) / Math.max(Math.abs(r), REL_ERR_FLOOR), 12);
    const bound = 1e-5 + 1e-4 * Math.abs(r) + 2 ** -17 * ref.oMagnitude[101];
    expect(c.o.worst?.ratio).toBeCloseTo(Math.abs(got.o[101] - r) / bound, 9);
  });

  it('the worst element is the largest error relative to the tolerance, not the largest absolute error', () => {
    const got = { o: Float64Array.from(ref.o), lse: Float64Array.from(ref.lse) };
    // An lse element: large |ref| so a larger absolute error is still within atol + rtol |ref|.
    const big = ref.lse.reduce((a, x, i) => (Math.abs(x) > Math.abs(ref.lse[a]) ? i : a), 0);
    got.lse[big] += 0.5 * (1e-5 + 1e-4 * Math.abs(ref.lse[big]));
    got.o[0] += 1.5e-5 + 1e-4 * Math.abs(ref.o[0]);
    const c = compareResults(spec, ref, got);
    expect(c.combined.failures).toBe(1);
    expect(c.combined.worst?.tensor).toBe('o');
    expect(c.combined.worst?.label).toBe('o[b=0,h=0,i=0,d=0]');
  });

  it('labels lse elements and applies the floor to relative error near zero', () => {
    const r = { o: ref.o, lse: Float64Array.from(ref.lse) };
    r.lse[5] = 0;
    const got = { o: ref.o, lse: Float64Array.from(r.lse) };
    got.lse[5] = 5e-6;
    const c = compareResults(spec, r, got);
    expect(c.pass).toBe(true);
    expect(c.lse.worst?.label).toBe('lse[b=1,h=1,i=0]');
    expect(c.lse.maxRelErr).toBeCloseTo(5e-6 / REL_ERR_FLOOR, 12);
  });

  it('counts NaN and Infinity in got as failures', () => {
    const got = copy();
    got.o[3] = Number.NaN;
    got.lse[2] = Number.POSITIVE_INFINITY;
    const c = compareResults(spec, ref, got);
    expect(c.pass).toBe(false);
    expect(c.o.failures).toBe(1);
    expect(c.o.nonFinite).toBe(1);
    expect(c.lse.nonFinite).toBe(1);
    expect(c.combined.failures).toBe(2);
    expect(c.o.maxAbsErr).toBe(Number.POSITIVE_INFINITY);
    expect(c.o.worst?.label).toBe('o[b=0,h=0,i=0,d=3]');
    expect(formatComparisonRow(c)).toMatch(/^FAIL .* 2\/136 failing \(2 NaN\/Inf\)$/);
  });

  it('uses the f16 tolerance for f16 problems unless one is given', () => {
    const f16 = resolveProblem({ ...getPreset('tiny'), kvDtype: 'f16' });
    const got = copy();
    got.o[0] += 1e-3;
    expect(compareResults(f16, ref, got).pass).toBe(true);
    expect(compareResults(f16, ref, got, toleranceFor('f32')).pass).toBe(false);
    expect(compareResults(spec, ref, got).pass).toBe(false);
  });

  it('refuses tensors of the wrong size', () => {
    expect(() => compareResults(spec, ref, { o: new Float32Array(127), lse: ref.lse })).toThrow(
      'compareResults: o has 127 elements; expected 128',
    );
  });

  it('formats a one-line summary', () => {
    const line = formatComparisonRow(compareResults(spec, ref, copy()));
    expect(line).toMatch(
      /^PASS {2}o: abs \S+ rel \S+ {2}lse: abs \S+ rel \S+ {2}worst (o|lse)\[b=\d.*\] got \S+ ref \S+ {2}0\/136 failing$/,
    );
  });
});

describe('tolerance scales with the magnitude of the values summed (issue 14)', () => {
  // f16 V at ±65504 over two equally weighted keys: o is exactly 0, but every value summed is 65504.
  const big = resolveProblem({
    headsQ: 1,
    headsKV: 1,
    headDim: 16,
    queriesPerSeq: 1,
    kvDtype: 'f16',
    segments: [{ id: 'a', length: 2 }],
    sequences: [['a']],
  });
  const v = new Float32Array(32);
  v.fill(65504, 0, 16);
  v.fill(-65504, 16, 32);
  const data = { spec: big, q: new Float32Array(16), kv: new Map([['a', { k: new Float32Array(32), v }]]) };
  const exact = referenceAttention(data);

  it('the reference gives each o element the magnitude it sums', () => {
    expect(exact.o[3]).toBe(0);
    expect(exact.oMagnitude[3]).toBe(65504);
  });

  it("f32 rounding at that magnitude passes (Hydragen's 3.7e-3 was a false FAIL)", () => {
    const got = { o: Float32Array.from(exact.o), lse: Float32Array.from(exact.lse) };
    got.o[3] = 3.7e-3;
    expect(compareResults(big, exact, got).pass).toBe(true);
    // Without the magnitudes (the old rule: atol + rtol |ref|) it failed.
    expect(compareResults(big, { o: exact.o, lse: exact.lse }, got).pass).toBe(false);
  });

  it('an error beyond rounding at that magnitude still fails', () => {
    const got = { o: Float32Array.from(exact.o), lse: Float32Array.from(exact.lse) };
    got.o[3] = 100;
    const c = compareResults(big, exact, got);
    expect(c.pass).toBe(false);
    expect(c.combined.worst?.label).toBe('o[b=0,h=0,i=0,d=3]');
  });
});

describe('unflatten', () => {
  it('gives the row-major multi-index', () => {
    expect(unflatten(0, [2, 3, 4])).toEqual([0, 0, 0]);
    expect(unflatten(23, [2, 3, 4])).toEqual([1, 2, 3]);
    expect(unflatten(13, [2, 3, 4])).toEqual([1, 0, 1]);
  });
});
