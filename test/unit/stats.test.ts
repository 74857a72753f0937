import { describe, expect, it } from 'vitest';
import { quantile, relativeSpread, summarize } from '../../src/bench/stats';

describe('timing statistics', () => {
  it('quantiles interpolate between order statistics', () => {
    expect(quantile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10, 20], 0.1)).toBeCloseTo(11);
    expect(() => quantile([], 0.5)).toThrow(/no samples/);
  });

  it('summarize sorts its input and reports median, p10, p90, min, max, mean', () => {
    const s = summarize([5, 1, 4, 2, 3, 10, 6, 7, 9, 8, 11]);
    expect(s).toMatchObject({ runs: 11, medianMs: 6, minMs: 1, maxMs: 11, meanMs: 6 });
    expect(s.p10Ms).toBe(2);
    expect(s.p90Ms).toBe(10);
    expect(relativeSpread(s)).toBeCloseTo(8 / 6);
  });
});
