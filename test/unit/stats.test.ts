import { describe, expect, it } from 'vitest';
import { quantile, relativeSpread, summarize, timingWarning, timingWarnings } from '../../src/bench/stats';

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

  it('warns of a large spread, and of runs at two speeds that a tight p10-p90 hides', () => {
    const steady = summarize(Array.from({ length: 50 }, (_, i) => 1 + (i % 5) * 0.01));
    expect(timingWarning(steady)).toBe(null);
    expect(timingWarning(summarize([1, 1, 1, 2, 2, 2, 3, 3, 3, 3]))).toMatch(/^spread \d+% /);
    // The H200 case: 60 runs near 2.42 ms and 3 at 0.644 ms (p10 to p90 within 2% of the median).
    const twoSpeeds = summarize([...Array.from({ length: 60 }, (_, i) => 2.4 + (i % 4) * 0.01), 0.644, 0.65, 0.66]);
    expect(relativeSpread(twoSpeeds)).toBeLessThan(0.05);
    expect(timingWarning(twoSpeeds)).toBe('two speeds: the fastest run 0.644 ms is under half the median');
    expect(timingWarnings(twoSpeeds).map((w) => w.kind)).toEqual(['two speeds']);
  });
});
