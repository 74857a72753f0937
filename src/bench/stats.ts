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
/**
 * A fastest run under this fraction of the median: the runs went at two speeds. Seen on an H200
 * with a short warm-up after seconds of CPU-side work: p10 to p90 within 2% of a 2.42 ms median,
 * but the fastest run 0.644 ms, the speed the same kernel ran at later in the same config.
 */
export const TWO_SPEEDS_RATIO = 0.5;

export interface TimingWarning {
  readonly kind: 'spread' | 'two speeds';
  readonly text: string;
}

/** Why these timings should not be trusted as they stand (spread, runs at two speeds); empty when steady. */
export function timingWarnings(t: TimingSummary): TimingWarning[] {
  const why: TimingWarning[] = [];
  const spread = relativeSpread(t);
  if (spread > SPREAD_WARNING)
    why.push({ kind: 'spread', text: `spread ${(spread * 100).toFixed(0)}% ((p90 - p10) / median)` });
  if (t.minMs < TWO_SPEEDS_RATIO * t.medianMs)
    why.push({
      kind: 'two speeds',
      text: `two speeds: the fastest run ${t.minMs.toPrecision(3)} ms is under half the median`,
    });
  return why;
}

/** timingWarnings as one sentence; null when steady. */
export function timingWarning(t: TimingSummary): string | null {
  const why = timingWarnings(t);
  return why.length > 0 ? why.map((w) => w.text).join('; ') : null;
}
