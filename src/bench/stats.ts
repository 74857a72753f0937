/** Summary statistics of timed runs (milliseconds). Quantiles interpolate linearly between order statistics. */
export interface TimingSummary {
  readonly runs: number;
  readonly medianMs: number;
  readonly p10Ms: number;
  readonly p90Ms: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error('quantile of no samples');
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function summarize(samples: readonly number[]): TimingSummary {
  const s = [...samples].sort((a, b) => a - b);
  return {
    runs: s.length,
    medianMs: quantile(s, 0.5),
    p10Ms: quantile(s, 0.1),
    p90Ms: quantile(s, 0.9),
    minMs: s[0],
    maxMs: s[s.length - 1],
    meanMs: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

/** Relative spread (p90 - p10) / median; above SPREAD_WARNING the result deserves a warning. */
export const relativeSpread = (t: TimingSummary): number => (t.p90Ms - t.p10Ms) / t.medianMs;
export const SPREAD_WARNING = 0.2;
