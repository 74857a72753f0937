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

/**
 * The problem of a matrix-product entry (a suite of benches/matmul-ceiling.ts): C[m x n] f32 =
 * A[m x k] · B[n x k]ᵀ with A and B in `inputs`.
 */
export interface MatrixProductProblem {
  readonly matmul: { readonly m: number; readonly n: number; readonly k: number; readonly inputs: 'f16' | 'f32' };
}

export const isMatrixProduct = (p: ProblemInput | MatrixProductProblem): p is MatrixProductProblem => 'matmul' in p;

/** The compute ceiling as measured (src/bench/matmul/ceiling.ts), beside its TFLOP/s. */
export interface MatmulCeilingRecord {
  readonly tflops: number;
  /** The ladder variant that ran (src/bench/matmul/variants.ts), e.g. "sgm-2x2-pad8-prefetch" or "f32-fma". */
  readonly variant: string;
  /** What ran, one line. */
  readonly ran: string;
  /** Subgroup matrices (f16 in, f32 accumulate) or the f32 FMA fallback. */
  readonly kind: 'subgroup-matrix' | 'f32-fma';
  /** M = N = K. */
  readonly size: number;
  readonly clock: Clock;
  /** Products a timed sample (one pass); the timing is per product. */
  readonly repsPerRun: number;
  readonly timing: TimingSummary;
  readonly check: CheckSummary;
}

export interface BenchEntry {
  readonly config: string;
  readonly axisValue: number;
  /** An attention problem, or a matrix product's sizes (matrix-product suites). */
  readonly problem: ProblemInput | MatrixProductProblem;
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
  readonly bytesMoved?: number;
  readonly flops?: number;
  /** From the median time. */
  readonly gbPerS?: number;
  readonly tflopPerS?: number;
  readonly checks?: readonly CheckSummary[];
}

export interface BenchResultFile {
  readonly schema: typeof RESULT_SCHEMA;
  readonly version: typeof RESULT_VERSION;
  readonly createdAt: string;
  /** "cli" or "page". */
  readonly source: string;
  readonly device: DeviceReport;
  readonly clock: Clock;
  readonly settings: BenchSettings;
  /** Streaming-read bandwidth measured on the spot, GB/s, when it was measured. */
  readonly bandwidthCeilingGBps?: number;
  /** Compute ceiling (a matrix product) measured on the spot, TFLOP/s, when it was measured; matmulCeiling says what ran. */
  readonly matmulCeilingTflops?: number;
  readonly matmulCeiling?: MatmulCeilingRecord;
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
  if (!Array.isArray(json.entries)) return fail('"entries" is not an array');
  const mm = json.matmulCeilingTflops;
  if (mm !== undefined && !(typeof mm === 'number' && Number.isFinite(mm) && mm > 0))
    fail(`"matmulCeilingTflops" is ${JSON.stringify(mm)}, not a finite positive number`);
  if (json.matmulCeiling !== undefined) {
    const r = json.matmulCeiling;
    if (!isObject(r) || typeof r.tflops !== 'number' || !(Number.isFinite(r.tflops) && r.tflops > 0))
      fail('"matmulCeiling.tflops" is not a finite positive number');
    else if (typeof r.variant !== 'string') fail('"matmulCeiling.variant" is not a string');
  }
  for (const [i, e] of (json.entries as unknown[]).entries()) {
    if (!isObject(e)) return fail(`entries[${i}] is not an object`);
    if (typeof e.label !== 'string') fail(`entries[${i}].label is not a string`);
    if (typeof e.axisValue !== 'number') fail(`entries[${i}].axisValue is not a number`);
    if (e.status !== 'ok' && e.status !== 'skipped' && e.status !== 'failed')
      fail(`entries[${i}].status is ${JSON.stringify(e.status)}`);
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
