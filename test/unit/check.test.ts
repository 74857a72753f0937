import { describe, expect, it } from 'vitest';
import { checkSummary, compareWithReference, referenceName, sampleReference, sampleRows } from '../../src/bench/check';
import { noSharingProblem } from '../../src/problem/builders';
import { generateProblemData } from '../../src/problem/generate';
import { resolveProblem } from '../../src/problem/validate';
import { referenceAttention } from '../../src/reference/attention';
import { compareResults } from '../../src/reference/compare';

/** The comparisons behind checkKernels: a kernel's output vs the f64 reference on all rows or on a sample. */

// B 3, heads 4, Lq 2: 24 output rows of D 16.
const spec = resolveProblem(
  noSharingProblem({ batch: 3, length: [5, 9, 2], headsQ: 4, headsKV: 2, headDim: 16, queriesPerSeq: 2 }),
);
const data = generateProblemData(spec, 3);
const full = referenceAttention(data);
const D = spec.headDim;

/** The reference in f32, with o[row, d] moved by `delta`. */
function outputWithError(row: number, d: number, delta: number) {
  const o = Float32Array.from(full.o);
  o[row * D + d] += delta;
  return { o, lse: Float32Array.from(full.lse) };
}

describe('checks against the f64 reference', () => {
  it('every row when asked for at least as many as there are, else evenly spaced ones, first and last included', () => {
    expect(sampleReference(data, Number.POSITIVE_INFINITY).full).toBe(true);
    expect(sampleReference(data, 24).full).toBe(true);
    const sample = sampleReference(data, 5);
    expect(sample.full).toBe(false);
    expect(sample.rows).toEqual(sampleRows(24, 5));
    expect(sample.rows).toEqual([0, 6, 12, 17, 23]);
    expect(referenceName(sample)).toBe('f64 reference (sampled rows)');
    expect(referenceName(sampleReference(data, 100))).toBe('f64 reference');
  });

  it('a full reference compares like compareResults', () => {
    const got = outputWithError(13, 5, 0.01);
    const c = compareWithReference(spec, sampleReference(data, 100), got);
    expect(c).toEqual(compareResults(spec, full, got));
    expect(c.pass).toBe(false);
  });

  it('on sampled rows, the worst element is named by its place in the whole output', () => {
    // Row 17 = (b 2, h 0, i 1) is in the 5-row sample; the error at d 3 fails the tolerance.
    const got = outputWithError(17, 3, 0.01);
    const c = compareWithReference(spec, sampleReference(data, 5), got);
    const whole = compareResults(spec, full, got);
    expect(c.pass).toBe(false);
    expect(c.combined.failures).toBe(1);
    expect(c.combined.count).toBe(5 * D + 5);
    expect(c.combined.worst?.label).toBe('o[b=2,h=0,i=1,d=3]');
    expect(c.combined.worst?.label).toBe(whole.combined.worst?.label);
    expect(c.combined.worst?.index).toBe(17 * D + 3);
    expect(c.combined.worst?.multiIndex).toEqual([2, 0, 1, 3]);
    expect(c.combined.maxAbsErr).toBe(whole.combined.maxAbsErr);
    expect(checkSummary('f64 reference (sampled rows)', 5, c)).toEqual({
      against: 'f64 reference (sampled rows)',
      rows: 5,
      pass: false,
      maxAbsErr: whole.combined.maxAbsErr,
      maxRelErr: whole.combined.maxRelErr,
      worst: 'o[b=2,h=0,i=1,d=3]',
    });
  });

  it('on sampled rows, an lse error is named [b, h, i]; rows outside the sample are not seen', () => {
    const got = outputWithError(16, 0, 1);
    got.lse[6] = Number.NaN;
    const c = compareWithReference(spec, sampleReference(data, 5), got);
    expect(c.o.pass).toBe(true);
    expect(c.lse.nonFinite).toBe(1);
    expect(c.combined.worst?.label).toBe('lse[b=0,h=3,i=0]');
    expect(c.combined.worst?.index).toBe(6);
  });
});
