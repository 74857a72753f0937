import type { BenchEntry, BenchResultFile } from '../bench/result';
import { ceilingPercent, entryUniqueBytes } from '../bench/unique-bytes';
import { DEFAULT_BLOCK_SIZE } from '../kernels/paged';
import { pagedMemoryReport } from '../paged/memory-report';
import { kvBytesPerElement } from '../problem/problem';
import { resolveProblem } from '../problem/validate';

export { ceilingPercent, entryUniqueBytes };

/**
 * Shapes result files into chart data: one chart per metric, the swept axis on x, one series per
 * variant (and per result file when several are shown together), each with its p10–p90 band.
 */

export const METRICS = ['time', 'speedup', 'gbps', 'kvmem'] as const;
export type Metric = (typeof METRICS)[number];

export const METRIC_TITLE: Readonly<Record<Metric, string>> = {
  time: 'Time per run (ms, median with p10–p90)',
  speedup: 'Speedup vs naive (×)',
  gbps: 'Bandwidth (GB/s, from logical bytes moved)',
  kvmem: 'Paged KV memory (MiB: blocks used, fragmentation included)',
};

/** Axes along which the paged KV memory changes with the block size: the only sweeps that chart it. */
const KV_MEMORY_AXES = ['blockSize', 'block size'];

/** MiB of K/V blocks a paged entry's cache holds (src/paged/memory-report.ts); null for other kernels. */
function kvMemoryMiB(e: BenchEntry): number | null {
  if (e.kernel !== 'paged') return null;
  try {
    const spec = resolveProblem(e.problem);
    return (
      pagedMemoryReport(spec, e.options.blockSize ?? DEFAULT_BLOCK_SIZE, kvBytesPerElement(spec.kvDtype)).bytesUsed /
      2 ** 20
    );
  } catch {
    return null;
  }
}

/** A result file shown on the page: the current run or an imported one. */
export interface ShownResult {
  readonly result: BenchResultFile;
  /** Distinguishes files in series names and legend groups: fileLabel(result), "this run" added for the current one. */
  readonly name: string;
}

/** What the person chose not to see: variants (series labels) and files (ShownResult names). */
export interface ChartFilter {
  readonly hiddenVariants: ReadonlySet<string>;
  readonly hiddenFiles: ReadonlySet<string>;
}

export const NO_FILTER: ChartFilter = { hiddenVariants: new Set(), hiddenFiles: new Set() };

/** Line colours, by variant: the same variant has one colour in every file. */
export const SERIES_COLORS = [
  '#2563eb',
  '#dc2626',
  '#16a34a',
  '#9333ea',
  '#ea580c',
  '#0891b2',
  '#ca8a04',
  '#db2777',
  '#4b5563',
  '#65a30d',
  '#7c3aed',
  '#0f766e',
];

/** Line dashes, by file: the first file solid, the others dashed or dotted (uPlot's and canvas' [dash, gap] px). */
export const FILE_DASHES: readonly (readonly number[])[] = [[], [8, 4], [2, 3], [12, 3, 2, 3], [5, 5]];

export interface SeriesStyle {
  readonly color: string;
  readonly dash: readonly number[];
}

/** The one place a series gets its colour and dash: the plot's lines and the legend's swatches both ask here. */
export function seriesStyle(s: { readonly colorIndex: number; readonly file: number }): SeriesStyle {
  return {
    color: SERIES_COLORS[s.colorIndex % SERIES_COLORS.length],
    dash: FILE_DASHES[s.file % FILE_DASHES.length],
  };
}

export interface ChartSeries {
  readonly label: string;
  /** The variant (kernel) label alone: the same variant keeps one colour across files. */
  readonly variant: string;
  /** Index of the result file among those shown (0: the first, usually the current run); sets the dash. */
  readonly file: number;
  /** The file's name (ShownResult.name): the legend groups series by it. */
  readonly group: string;
  /** Index of the variant among every variant of the shown files, hidden ones included (colours stay put when some are hidden). */
  readonly colorIndex: number;
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

/** Each variant label of the shown files, numbered in order of first appearance (its colour). */
export function variantIndex(shown: readonly ShownResult[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of shown) for (const e of s.result.entries) if (!out.has(e.label)) out.set(e.label, out.size);
  return out;
}

/**
 * A short device name for legends and titles: "H200", "H100", "SwiftShader". From the adapter's
 * device name when it is one ("nvidia-h100-80gb-hbm3" → "H100"), else its description or vendor.
 */
export function deviceShort(r: BenchResultFile): string {
  const a = r.device.adapter;
  const all = [a.device, a.description, a.architecture, a.vendor].map((x) => String(x ?? '')).join(' ');
  if (/swiftshader/i.test(all)) return 'SwiftShader';
  const device = String(a.device ?? '').trim();
  if (device && !/^(0x)?[0-9a-f]+$/i.test(device)) {
    const first = device
      .replace(/^(nvidia|amd|intel|apple|qualcomm|arm)[-_ ]/i, '')
      .split(/[-_ ]/)
      .find((x) => x !== '');
    if (first) return /\d/.test(first) ? first.toUpperCase() : first;
  }
  const d = String(a.description ?? '').replace(/^(NVIDIA|AMD|Intel|Apple)\s+/i, '');
  if (d && d.length <= 24 && !/:/.test(d)) return d;
  return [a.vendor, a.architecture].filter((x) => x).join(' ') || 'unknown device';
}

/** A CUDA reference file (benches/cuda_reference.py) rather than one of our WebGPU runs. */
export const isCudaReference = (r: BenchResultFile): boolean => r.source.startsWith('cuda-reference');

/** "H200 · WebGPU (cli)", "H200 · cuda-reference (PyTorch 2.11.0, FA2)": legend groups and chart series. */
export function fileLabel(r: BenchResultFile): string {
  return `${deviceShort(r)} · ${isCudaReference(r) ? r.source : `WebGPU (${r.source})`}`;
}

type Triple = readonly [mid: number, lo: number, hi: number];

const failedCheck = (e: BenchEntry): boolean => e.checks?.some((c) => !c.pass) ?? false;

function metricOf(metric: Metric, e: BenchEntry, naive: BenchEntry | undefined): Triple | null {
  const t = e.timing;
  // A timing whose output failed its equivalence check measures a wrong kernel: the table shows it, charts do not.
  if (e.status !== 'ok' || !t || failedCheck(e)) return null;
  if (metric === 'time') return [t.medianMs, t.p10Ms, t.p90Ms];
  if (metric === 'kvmem') {
    const m = kvMemoryMiB(e);
    return m === null ? null : [m, m, m];
  }
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
export function chartData(
  metric: Metric,
  allShown: readonly ShownResult[],
  filter: ChartFilter = NO_FILTER,
): ChartData | null {
  const variants = variantIndex(allShown);
  const shown = allShown.filter((s) => !filter.hiddenFiles.has(s.name));
  if (shown.length === 0) return null;
  const axis = shown[0].result.suite.axis;
  if (metric === 'kvmem' && !KV_MEMORY_AXES.includes(axis.name)) return null;
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
      if (filter.hiddenVariants.has(label)) continue;
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
        series.push({
          label: same.length > 1 ? `${label} · ${s.name}` : label,
          variant: label,
          file,
          group: s.name,
          colorIndex: variants.get(label) ?? 0,
          mid,
          lo,
          hi,
        });
    }
  }
  return { metric, axis: axis.name, log: axis.log && x.every((v) => v > 0), x, series };
}

/** Points drawn (non-null medians) over every series. */
export const pointCount = (d: ChartData): number =>
  d.series.reduce((a, s) => a + s.mid.filter((v) => v !== null).length, 0);

/** One entry on the roofline. */
export interface RooflinePoint {
  /** FLOPs per logical byte moved. */
  readonly x: number;
  /** TFLOP/s at the median time. */
  readonly y: number;
  /** FLOPs per unique byte (the problem's own intensity). */
  readonly xUnique: number | undefined;
  readonly variant: string;
  readonly config: string;
  readonly ran: string;
  readonly medianMs: number;
  readonly gbPerS: number;
  readonly file: number;
  readonly group: string;
  readonly colorIndex: number;
}

/** The roof of one file: the ceilings measured in its run. */
export interface Roof {
  readonly file: number;
  readonly group: string;
  readonly bandwidthGBps?: number;
  readonly matmulTflops?: number;
}

export interface RooflineData {
  readonly points: RooflinePoint[];
  readonly roofs: Roof[];
}

/**
 * Every ok entry (output checked) with FLOPs and bytes as a point, x = FLOPs per byte moved, y =
 * TFLOP/s; each file's measured ceilings as its roof. Same colours and file indices as chartData.
 */
export function rooflineData(allShown: readonly ShownResult[], filter: ChartFilter = NO_FILTER): RooflineData {
  const variants = variantIndex(allShown);
  const points: RooflinePoint[] = [];
  const roofs: Roof[] = [];
  allShown.forEach((s, file) => {
    if (filter.hiddenFiles.has(s.name)) return;
    const r = s.result;
    if (r.bandwidthCeilingGBps || r.matmulCeilingTflops)
      roofs.push({
        file,
        group: s.name,
        ...(r.bandwidthCeilingGBps ? { bandwidthGBps: r.bandwidthCeilingGBps } : {}),
        ...(r.matmulCeilingTflops ? { matmulTflops: r.matmulCeilingTflops } : {}),
      });
    for (const e of r.entries) {
      const t = e.timing;
      if (filter.hiddenVariants.has(e.label) || e.status !== 'ok' || !t || failedCheck(e)) continue;
      if (!e.flops || !e.bytesMoved || !(t.medianMs > 0)) continue;
      const seconds = t.medianMs / 1000;
      const unique = entryUniqueBytes(e);
      points.push({
        x: e.flops / e.bytesMoved,
        y: e.flops / seconds / 1e12,
        xUnique: unique ? e.flops / unique : undefined,
        variant: e.label,
        config: e.config,
        ran: e.ran ?? '',
        medianMs: t.medianMs,
        gbPerS: e.bytesMoved / seconds / 1e9,
        file,
        group: s.name,
        colorIndex: variants.get(e.label) ?? 0,
      });
    }
  });
  return { points, roofs };
}
