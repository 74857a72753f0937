import type { AdapterSummary, GpuFeatures } from '../gpu/context';
import type { Clock } from '../gpu/timer';
import type { KernelOptions } from '../kernels/kernel';
import type { ProblemInput } from '../problem/problem';
import type { TimingSummary } from './stats';

/**
 * The one result file format, written by `npm run bench` and by the page, read back by the page.
 * Documented in README.md ("Result files"). Bump RESULT_VERSION on incompatible changes.
 */

export const RESULT_SCHEMA = 'attention-playground/bench';
export const RESULT_VERSION = 1;

export interface DeviceReport {
  readonly adapter: AdapterSummary;
  readonly features: GpuFeatures;
  /** Limits that matter to these kernels. */
  readonly limits: Readonly<Record<string, number>>;
  readonly subgroupMinSize: number;
  readonly subgroupMaxSize: number;
}

export interface BenchSettings {
  readonly seed: number;
  /** Warm-up by time: work is repeated until this much wall-clock time has passed (GPUs start at idle clocks). */
  readonly warmupMs: number;
  readonly minRuns: number;
  readonly maxRuns: number;
  /** Timed runs continue until minRuns are done and this much time has passed (or maxRuns). */
  readonly budgetMs: number;
  /** Each timed run repeats the kernel until it lasts at least this long; its time is divided by the repetitions. */
  readonly minSampleMs: number;
  /** Output rows checked against the f64 reference (all rows when the problem is small). */
  readonly checkRows: number;
}

/** Agreement of one kernel's output with a reference (the f64 CPU reference, or another kernel). */
export interface CheckSummary {
  readonly against: string;
  /** Output rows compared (a row is one query of one head of one sequence). */
  readonly rows: number;
  readonly pass: boolean;
  readonly maxAbsErr: number;
  readonly maxRelErr: number;
  readonly worst: string;
}

/**
 * The runs behind a timing summary, in the order they ran (4 significant digits), so a reader can
 * see how the time moved: a warm-up still ramping, runs at two speeds, slow first runs of each
 * submission. Absent from files written before it existed.
 */
export interface TimingRecord {
  /** Each warm-up run (one repetition each), ms. */
  readonly warmupSamplesMs?: readonly number[];
  /** Each timed run, ms per repetition (what the summary summarizes). */
  readonly samplesMs?: readonly number[];
  /** Timed runs per submission, in order: they sum to samplesMs.length. */
  readonly batches?: readonly number[];
}

export interface BenchEntry {
  readonly config: string;
  readonly axisValue: number;
  readonly problem: ProblemInput;
  /** Series label (a kernel name, or kernel plus options). */
  readonly label: string;
  readonly kernel: string;
  readonly options: KernelOptions;
  /** The variant that actually ran (e.g. "naive (in-place, KV f16-native)"). */
  readonly ran?: string;
  readonly status: 'ok' | 'skipped' | 'failed';
  /** Why a variant was skipped or failed. */
  readonly reason?: string;
  readonly timing?: TimingSummary & { readonly repsPerRun: number; readonly warmupMs: number } & TimingRecord;
  /** Logical bytes: the traffic the kernel's algorithm asks for (a shared prefix read per sequence counts per sequence). */
  readonly bytesMoved?: number;
  /**
   * Unique bytes: the problem's Q, O, LSE and each K/V byte once (src/kernels/cost.ts uniqueBytes).
   * "% ceiling" is uniqueBytes / median time against the bandwidth ceiling. Absent from files
   * written before it existed (readers compute it from `problem`).
   */
  readonly uniqueBytes?: number;
  readonly flops?: number;
  /** From the median time (gbPerS from bytesMoved). */
  readonly gbPerS?: number;
  readonly tflopPerS?: number;
  readonly checks?: readonly CheckSummary[];
}

export interface BenchResultFile {
  readonly schema: typeof RESULT_SCHEMA;
  readonly version: typeof RESULT_VERSION;
  readonly createdAt: string;
  /** "cli", "page", or another runner's name, e.g. "cuda-reference (PyTorch 2.11.0, FA2)" (benches/cuda_reference.py). */
  readonly source: string;
  readonly device: DeviceReport;
  /** How runs were timed; "cuda-events" for benches/cuda_reference.py. */
  readonly clock: Clock | 'cuda-events';
  readonly settings: BenchSettings;
  /** Streaming-read bandwidth measured on the spot, GB/s, when it was measured. */
  readonly bandwidthCeilingGBps?: number;
  /** Matrix-product ceiling measured on the spot, TFLOP/s, when it was measured: the roofline's flat roof. */
  readonly matmulCeilingTflops?: number;
  readonly suite: {
    readonly name: string;
    readonly description: string;
    readonly axis: { name: string; log: boolean };
  };
  readonly entries: readonly BenchEntry[];
}

export class ResultFileError extends Error {
  override name = 'ResultFileError';
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * Check that parsed JSON is a result file this version reads; throws a ResultFileError naming the
 * first problem (the file name is given by the caller for the message).
 */
export function parseResultFile(json: unknown, fileName = 'result file'): BenchResultFile {
  const fail = (what: string): never => {
    throw new ResultFileError(`${fileName}: ${what}`);
  };
  if (!isObject(json)) return fail('not a JSON object');
  if (json.schema !== RESULT_SCHEMA) fail(`"schema" is ${JSON.stringify(json.schema)}, expected "${RESULT_SCHEMA}"`);
  if (json.version !== RESULT_VERSION)
    fail(`"version" is ${JSON.stringify(json.version)}, this page reads ${RESULT_VERSION}`);
  if (!isObject(json.device) || !isObject(json.device.adapter)) fail('"device.adapter" is missing');
  if (!isObject(json.suite) || typeof json.suite.name !== 'string') fail('"suite.name" is missing');
  for (const k of ['bandwidthCeilingGBps', 'matmulCeilingTflops']) {
    const v = json[k];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v > 0))
      fail(`"${k}" is ${JSON.stringify(v)}, expected a finite positive number`);
  }
  if (!Array.isArray(json.entries)) return fail('"entries" is not an array');
  for (const [i, e] of (json.entries as unknown[]).entries()) {
    if (!isObject(e)) return fail(`entries[${i}] is not an object`);
    if (typeof e.label !== 'string') fail(`entries[${i}].label is not a string`);
    if (typeof e.axisValue !== 'number') fail(`entries[${i}].axisValue is not a number`);
    if (e.status !== 'ok' && e.status !== 'skipped' && e.status !== 'failed')
      fail(`entries[${i}].status is ${JSON.stringify(e.status)}`);
    for (const k of ['bytesMoved', 'uniqueBytes', 'flops']) {
      const v = e[k];
      if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0))
        fail(`entries[${i}].${k} is ${JSON.stringify(v)}, expected a finite non-negative number`);
    }
    if (e.status === 'ok') {
      const t = e.timing;
      if (!isObject(t)) return fail(`entries[${i}].timing is missing`);
      for (const k of ['medianMs', 'p10Ms', 'p90Ms', 'minMs']) {
        if (typeof t[k] !== 'number' || !Number.isFinite(t[k]))
          fail(`entries[${i}].timing.${k} is not a finite number`);
      }
      for (const k of ['warmupSamplesMs', 'samplesMs', 'batches']) {
        const a = t[k];
        if (a !== undefined && !(Array.isArray(a) && a.every((x) => typeof x === 'number' && Number.isFinite(x))))
          fail(`entries[${i}].timing.${k} is not an array of finite numbers`);
      }
    }
  }
  return json as unknown as BenchResultFile;
}

/** Parse text (a file's contents) into a result file. */
export function parseResultText(text: string, fileName = 'result file'): BenchResultFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ResultFileError(`${fileName}: not valid JSON (${(e as Error).message})`);
  }
  return parseResultFile(json, fileName);
}

/** One CSV row per entry, for spreadsheets. */
export function resultToCsv(r: BenchResultFile): string {
  const head = [
    'suite',
    'device',
    'config',
    r.suite.axis.name,
    'label',
    'ran',
    'status',
    'median_ms',
    'p10_ms',
    'p90_ms',
    'min_ms',
    'runs',
    'gb_per_s',
    'tflop_per_s',
    'check',
    'reason',
  ];
  const esc = (v: unknown): string => {
    const s = v === undefined || v === null ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const device = r.device.adapter.description || `${r.device.adapter.vendor} ${r.device.adapter.architecture}`;
  const rows = r.entries.map((e) =>
    [
      r.suite.name,
      device,
      e.config,
      e.axisValue,
      e.label,
      e.ran,
      e.status,
      e.timing?.medianMs,
      e.timing?.p10Ms,
      e.timing?.p90Ms,
      e.timing?.minMs,
      e.timing?.runs,
      e.gbPerS,
      e.tflopPerS,
      e.checks?.every((c) => c.pass) === undefined ? '' : e.checks.every((c) => c.pass) ? 'PASS' : 'FAIL',
      e.reason,
    ]
      .map(esc)
      .join(','),
  );
  return `${[head.join(','), ...rows].join('\n')}\n`;
}
