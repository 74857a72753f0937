import { describe, expect, it } from 'vitest';
import { generateProblemData } from '../../src/problem/generate';
import type { ProblemData, ProblemInput, SegmentKV } from '../../src/problem/problem';
import { resolveProblem } from '../../src/problem/validate';
import { referenceAttention } from '../../src/reference/attention';
import { mergePartials, mergeResults } from '../../src/reference/lse-merge';

const D = 16;

/**
 * One non-causal sequence of `total` keys, and the same keys split into parts of `cuts` lengths:
 * part p is attention over its keys alone (its own one-segment problem over the same q).
 */
function splitCase(total: number, cuts: number[], seed: number) {
  const input: ProblemInput = {
    headsQ: 4,
    headsKV: 2,
    headDim: D,
    queriesPerSeq: 3,
    causal: false,
    segments: [{ id: 'all', length: total }],
    sequences: [['all']],
  };
  const whole = generateProblemData(resolveProblem(input), seed);
  const all = whole.kv.get('all') as SegmentKV;
  let start = 0;
  const parts = cuts.map((len) => {
    const spec = resolveProblem({
      ...input,
      queriesPerSeq: Math.min(3, len),
      segments: [{ id: 'p', length: len }],
      sequences: [['p']],
    });
    const k = new Float32Array(2 * len * D);
    const v = new Float32Array(2 * len * D);
    for (let g = 0; g < 2; g++) {
      k.set(all.k.subarray((g * total + start) * D, (g * total + start + len) * D), g * len * D);
      v.set(all.v.subarray((g * total + start) * D, (g * total + start + len) * D), g * len * D);
    }
    start += len;
    // A part may hold fewer keys than Lq, which resolveProblem refuses; the problem is not causal,
    // so every query still sees all of the part's keys and the reference computes it fine.
    const data: ProblemData = { spec: { ...spec, queriesPerSeq: 3 }, q: whole.q, kv: new Map([['p', { k, v }]]) };
    return referenceAttention(data);
  });
  return { ref: referenceAttention(whole), parts, rows: 4 * 3 };
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol)) throw new Error(`element ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

describe('mergeResults equals attention over the whole', () => {
  it.each([
    ['2 parts', [20, 17]],
    ['3 parts', [5, 1, 31]],
    ['uneven 3 parts', [30, 3, 4]],
  ])('%s', (_name, cuts) => {
    const { ref, parts, rows } = splitCase(37, cuts, 4);
    const m = mergeResults(parts, rows, D);
    expectClose(m.o, ref.o, 1e-13);
    expectClose(m.lse, ref.lse, 1e-13);
  });

  it('refuses parts of the wrong size', () => {
    const { parts } = splitCase(10, [5, 5], 1);
    expect(() => mergeResults(parts, 13, D)).toThrow(/part 0 has o of 192 and lse of 12 elements; expected 208 and 13/);
  });
});

describe('mergePartials', () => {
  const o1 = Float64Array.from({ length: D }, (_, d) => d);
  const o2 = Float64Array.from({ length: D }, (_, d) => -2 * d + 1);

  it('equal LSEs average the outputs and add ln 2', () => {
    const m = mergePartials(
      [
        { o: o1, lse: 3.5 },
        { o: o2, lse: 3.5 },
      ],
      D,
    );
    expect(m.lse).toBeCloseTo(3.5 + Math.LN2, 14);
    for (let d = 0; d < D; d++) expect(m.o[d]).toBeCloseTo((o1[d] + o2[d]) / 2, 14);
  });

  it('known weights: lse 0 and ln 3 weigh 1/4 and 3/4', () => {
    const m = mergePartials(
      [
        { o: o1, lse: 0 },
        { o: o2, lse: Math.log(3) },
      ],
      D,
    );
    expect(m.lse).toBeCloseTo(Math.log(4), 14);
    for (let d = 0; d < D; d++) expect(m.o[d]).toBeCloseTo(0.25 * o1[d] + 0.75 * o2[d], 13);
  });

  it.each([80, 1e4])('LSEs %d apart: no NaN, the larger dominates', (gap) => {
    const m = mergePartials(
      [
        { o: o1, lse: -gap / 2 },
        { o: o2, lse: gap / 2 },
      ],
      D,
    );
    expect(Number.isFinite(m.lse)).toBe(true);
    expect(m.lse).toBeCloseTo(gap / 2 + Math.log1p(Math.exp(-gap)), 12);
    for (let d = 0; d < D; d++) {
      expect(Number.isNaN(m.o[d])).toBe(false);
      expect(m.o[d]).toBeCloseTo(o2[d], 12);
    }
    // Far above the f64 exp range too.
    const high = mergePartials(
      [
        { o: o1, lse: 1e5 },
        { o: o2, lse: 1e5 + gap },
      ],
      D,
    );
    expect(high.lse).toBeCloseTo(1e5 + gap, 6);
    expect(high.o[3]).toBeCloseTo(o2[3], 12);
  });

  it('an empty part (lse -Infinity) has weight 0 and its o is ignored, even NaN', () => {
    const m = mergePartials(
      [
        { o: new Float64Array(D).fill(Number.NaN), lse: Number.NEGATIVE_INFINITY },
        { o: o1, lse: 2 },
      ],
      D,
    );
    expect(m.lse).toBe(2);
    expect(Array.from(m.o)).toEqual(Array.from(o1));
  });

  it('all parts empty (or no parts) gives o = 0, lse = -Infinity', () => {
    const m = mergePartials(
      [
        { o: new Float64Array(D).fill(Number.NaN), lse: Number.NEGATIVE_INFINITY },
        { o: o1, lse: Number.NEGATIVE_INFINITY },
      ],
      D,
    );
    expect(m.lse).toBe(Number.NEGATIVE_INFINITY);
    expect(Array.from(m.o)).toEqual(Array(D).fill(0));
    expect(mergePartials([], D)).toEqual({ o: new Float64Array(D), lse: Number.NEGATIVE_INFINITY });
  });

  it('a single part is returned unchanged; a NaN or +Infinity lse is refused', () => {
    const m = mergePartials([{ o: o2, lse: -7.25 }], D);
    expect(m.lse).toBe(-7.25);
    expect(Array.from(m.o)).toEqual(Array.from(o2));
    expect(() => mergePartials([{ o: o1, lse: Number.NaN }], D)).toThrow(/part 0 has lse NaN/);
    expect(() =>
      mergePartials(
        [
          { o: o1, lse: 0 },
          { o: o1, lse: Number.POSITIVE_INFINITY },
        ],
        D,
      ),
    ).toThrow(/part 1/);
  });
});
