import type { BenchEntry, BenchResultFile } from '../bench/result';

/**
 * Shapes result files into chart data: one chart per metric, the swept axis on x, one series per
 * variant (and per result file when several are shown together), each with its p10–p90 band.
 */

export const METRICS = ['time', 'speedup', 'gbps'] as const;
export type Metric = (typeof METRICS)[number];

export const METRIC_TITLE: Readonly<Record<Metric, string>> = {
  time: 'Time per run (ms, median with p10–p90)',
  speedup: 'Speedup vs naive (×)',
  gbps: 'Bandwidth (GB/s, from bytes moved)',
};

/** A result file shown on the page: the current run or an imported one. */
export interface ShownResult {
  readonly result: BenchResultFile;
  /** Distinguishes files in series names, e.g. the device. */
  readonly name: string;
}

export interface ChartSeries {
  readonly label: string;
  /** The variant (kernel) label alone: the same variant keeps one colour across files. */
  readonly variant: string;
  /** Index of the result file among those shown (0: the first, usually the current run). */
  readonly file: number;
  /** Aligned with ChartData.x; null where the variant has no ok entry. */
  readonly mid: (number | null)[];
  readonly lo: (number | null)[];
  readonly hi: (number | null)[];
}

export interface ChartData {
  readonly metric: Metric;
  readonly axis: string;
  readonly log: boolean;
  readonly x: number[];
  readonly series: ChartSeries[];
}

/**
 * "NVIDIA H100 (cli)": the adapter's description (or vendor and architecture) and where the file came
 * from, led by the adapter's device name when the description lacks it ("nvidia-h200, NVIDIA:
 * 580.159.04 … (cli)": Dawn on NVIDIA describes the driver, not the card). Bare PCI ids are left out.
 */
export function deviceLabel(r: BenchResultFile): string {
  const a = r.device.adapter;
  const name = a.description || [a.vendor, a.architecture].filter((x) => x).join(' ') || 'unknown device';
  const device = (a.device ?? '').trim();
  const lead =
    device && !/^(0x)?[0-9a-f]+$/i.test(device) && !name.toLowerCase().includes(device.toLowerCase())
      ? `${device}, `
      : '';
  return `${lead}${name} (${r.source})`;
}

type Triple = readonly [mid: number, lo: number, hi: number];

const failedCheck = (e: BenchEntry): boolean => e.checks?.some((c) => !c.pass) ?? false;

function metricOf(metric: Metric, e: BenchEntry, naive: BenchEntry | undefined): Triple | null {
  const t = e.timing;
  // A timing whose output failed its equivalence check measures a wrong kernel: the table shows it, charts do not.
  if (e.status !== 'ok' || !t || failedCheck(e)) return null;
  if (metric === 'time') return [t.medianMs, t.p10Ms, t.p90Ms];
  if (metric === 'gbps') {
    const bytes = e.bytesMoved;
    if (!bytes) return null;
    const g = (ms: number) => bytes / (ms / 1000) / 1e9;
    return [g(t.medianMs), g(t.p90Ms), g(t.p10Ms)];
  }
  const n = naive?.timing;
  if (!n || naive.status !== 'ok' || failedCheck(naive)) return null;
  return [n.medianMs / t.medianMs, n.medianMs / t.p90Ms, n.medianMs / t.p10Ms];
}

/**
 * Chart data for one metric over the shown results whose axis matches the first one's. Series keep
 * the order in which variants first appear; x is the sorted union of axis values.
 */
export function chartData(metric: Metric, shown: readonly ShownResult[]): ChartData | null {
  if (shown.length === 0) return null;
  const axis = shown[0].result.suite.axis;
  const same = shown.filter((s) => s.result.suite.axis.name === axis.name);
  const xs = new Set<number>();
  for (const s of same) for (const e of s.result.entries) xs.add(e.axisValue);
  const x = [...xs].sort((a, b) => a - b);
  const index = new Map(x.map((v, i) => [v, i]));
  const series: ChartSeries[] = [];
  for (const [file, s] of same.entries()) {
    // One pass over the entries (linear in them): naive's entry at each axis value, each label's entries in order.
    const naiveAt = new Map<number, BenchEntry>();
    const byLabel = new Map<string, BenchEntry[]>();
    for (const e of s.result.entries) {
      if (e.kernel === 'naive' && e.status === 'ok' && !naiveAt.has(e.axisValue)) naiveAt.set(e.axisValue, e);
      const list = byLabel.get(e.label);
      if (list) list.push(e);
      else byLabel.set(e.label, [e]);
    }
    for (const [label, list] of byLabel) {
      const mid: (number | null)[] = x.map(() => null);
      const lo: (number | null)[] = x.map(() => null);
      const hi: (number | null)[] = x.map(() => null);
      let any = false;
      for (const e of list) {
        const m = metricOf(metric, e, naiveAt.get(e.axisValue));
        if (!m) continue;
        const i = index.get(e.axisValue) ?? 0;
        [mid[i], lo[i], hi[i]] = m;
        any = true;
      }
      if (any)
        series.push({ label: same.length > 1 ? `${label} · ${s.name}` : label, variant: label, file, mid, lo, hi });
    }
  }
  return { metric, axis: axis.name, log: axis.log && x.every((v) => v > 0), x, series };
}

/** Points drawn (non-null medians) over every series. */
export const pointCount = (d: ChartData): number =>
  d.series.reduce((a, s) => a + s.mid.filter((v) => v !== null).length, 0);
