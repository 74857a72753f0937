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
  /** "cli" or "page". */
  readonly source: string;
  readonly device: DeviceReport;
  /** How runs were timed; "cuda-events" in files of benches/cuda_reference.py. */
  readonly clock: Clock | 'cuda-events';
  readonly settings: BenchSettings;
  /** Streaming-read bandwidth measured on the spot, GB/s, when it was measured. */
  readonly bandwidthCeilingGBps?: number;
  /** Compute ceiling (a matrix product) measured on the spot, TFLOP/s, when it was measured; matmulCeiling says what ran. */
  readonly matmulCeilingTflops?: number;
  readonly matmulCeiling?: MatmulCeilingRecord;
  /** Fixed costs of timed work (src/bench/overhead.ts: shape to median ms), when measured (bench --overhead). */
  readonly fixedCostsMs?: Readonly<Record<string, number>>;
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

/** The largest result file the page reads (README, "Limits"); bigger ones are refused before parsing. */
export const MAX_RESULT_BYTES = 16 * 2 ** 20;
/** The most entries a result file may hold (the page tables and charts every one). */
export const MAX_RESULT_ENTRIES = 5000;
/** The most chart points a file may need: distinct labels × distinct axis values (charts are that grid). */
export const MAX_RESULT_CHART_CELLS = 200_000;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A short rendering of a value for messages, as problem.json's messages give it. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined)
    return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

/**
 * Field checks in problem.json's message style: "entries[3].timing.medianMs ("abc") must be a
 * finite number", "device.adapter.description is missing". Each reads one field once.
 */
class FieldChecker {
  constructor(private readonly fileName: string) {}

  fail(message: string): never {
    throw new ResultFileError(`${this.fileName}: ${message}`);
  }

  private wrong(path: string, v: unknown, what: string): never {
    if (v === undefined) this.fail(`${path} is missing`);
    return this.fail(`${path} (${show(v)}) must be ${what}`);
  }

  object(o: Record<string, unknown>, key: string, path: string): Record<string, unknown> {
    const v = o[key];
    return isObject(v) ? v : this.wrong(path, v, 'an object');
  }

  string(o: Record<string, unknown>, key: string, path: string, optional = false): void {
    const v = o[key];
    if (!(typeof v === 'string' || (optional && v === undefined))) this.wrong(path, v, 'a string');
  }

  boolean(o: Record<string, unknown>, key: string, path: string, optional = false): void {
    const v = o[key];
    if (!(typeof v === 'boolean' || (optional && v === undefined))) this.wrong(path, v, 'true or false');
  }

  /** A finite number (JSON has no Infinity); `nullable` also takes null (Infinity written by JSON.stringify). */
  number(o: Record<string, unknown>, key: string, path: string, opts: { optional?: boolean; nullable?: boolean } = {}) {
    const v = o[key];
    if (opts.optional && v === undefined) return;
    if (opts.nullable && v === null) return;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.wrong(path, v, 'a finite number');
  }

  count(o: Record<string, unknown>, key: string, path: string): void {
    const v = o[key];
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0)) this.wrong(path, v, 'a whole number');
  }

  numbers(o: Record<string, unknown>, key: string, path: string): void {
    const a = o[key];
    if (a === undefined) return;
    if (!Array.isArray(a)) this.wrong(path, a, 'an array of finite numbers');
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (typeof x !== 'number' || !Number.isFinite(x)) this.wrong(`${path}[${i}]`, x, 'a finite number');
    }
  }

  oneOf(o: Record<string, unknown>, key: string, path: string, allowed: readonly string[]): void {
    const v = o[key];
    if (typeof v !== 'string' || !allowed.includes(v))
      this.wrong(path, v, `one of ${allowed.map((x) => `"${x}"`).join(', ')}`);
  }
}

function checkEntry(f: FieldChecker, e: Record<string, unknown>, p: string): void {
  f.string(e, 'config', `${p}.config`);
  f.number(e, 'axisValue', `${p}.axisValue`);
  f.object(e, 'problem', `${p}.problem`);
  f.string(e, 'label', `${p}.label`);
  f.string(e, 'kernel', `${p}.kernel`);
  f.object(e, 'options', `${p}.options`);
  f.string(e, 'ran', `${p}.ran`, true);
  f.oneOf(e, 'status', `${p}.status`, ['ok', 'skipped', 'failed']);
  f.string(e, 'reason', `${p}.reason`, e.status === 'ok');
  if (e.status === 'ok' || e.timing !== undefined) {
    const t = f.object(e, 'timing', `${p}.timing`);
    for (const k of ['medianMs', 'p10Ms', 'p90Ms', 'minMs', 'maxMs', 'meanMs', 'warmupMs'])
      f.number(t, k, `${p}.timing.${k}`);
    f.count(t, 'runs', `${p}.timing.runs`);
    f.count(t, 'repsPerRun', `${p}.timing.repsPerRun`);
    for (const k of ['warmupSamplesMs', 'samplesMs', 'batches']) f.numbers(t, k, `${p}.timing.${k}`);
  }
  for (const k of ['bytesMoved', 'uniqueBytes', 'flops', 'gbPerS', 'tflopPerS'])
    f.number(e, k, `${p}.${k}`, { optional: true });
  const checks = e.checks;
  if (checks === undefined) return;
  if (!Array.isArray(checks)) f.fail(`${p}.checks (${show(checks)}) must be an array`);
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i];
    const cp = `${p}.checks[${i}]`;
    if (!isObject(c)) f.fail(`${cp} (${show(c)}) must be an object`);
    f.string(c, 'against', `${cp}.against`);
    f.count(c, 'rows', `${cp}.rows`);
    f.boolean(c, 'pass', `${cp}.pass`);
    f.number(c, 'maxAbsErr', `${cp}.maxAbsErr`, { nullable: true });
    f.number(c, 'maxRelErr', `${cp}.maxRelErr`, { nullable: true });
    f.string(c, 'worst', `${cp}.worst`);
  }
}

/**
 * Check that parsed JSON is a result file this version reads: every field the page and the CSV
 * export read, with its type, in one pass (time linear in the file); at most MAX_RESULT_ENTRIES
 * entries and MAX_RESULT_CHART_CELLS chart points. Throws a ResultFileError naming the file, the
 * field path and the value, in problem.json's message style. Fields it does not know are kept.
 */
export function parseResultFile(json: unknown, fileName = 'result file'): BenchResultFile {
  const f = new FieldChecker(fileName);
  if (!isObject(json)) return f.fail('not a JSON object');
  if (json.schema !== RESULT_SCHEMA) f.fail(`"schema" is ${show(json.schema)}, expected "${RESULT_SCHEMA}"`);
  if (json.version !== RESULT_VERSION) f.fail(`"version" is ${show(json.version)}, this page reads ${RESULT_VERSION}`);
  f.string(json, 'createdAt', 'createdAt');
  f.string(json, 'source', 'source');
  const device = f.object(json, 'device', 'device');
  const adapter = f.object(device, 'adapter', 'device.adapter');
  for (const k of ['vendor', 'architecture', 'description']) f.string(adapter, k, `device.adapter.${k}`);
  f.string(adapter, 'device', 'device.adapter.device', true);
  f.boolean(adapter, 'isFallbackAdapter', 'device.adapter.isFallbackAdapter', true);
  f.oneOf(json, 'clock', 'clock', ['timestamp-query', 'wall-clock', 'cuda-events']);
  const settings = f.object(json, 'settings', 'settings');
  for (const k of ['warmupMs', 'minRuns', 'budgetMs']) f.number(settings, k, `settings.${k}`);
  f.number(json, 'bandwidthCeilingGBps', 'bandwidthCeilingGBps', { optional: true });
  const positive = (o: Record<string, unknown>, key: string, path: string) => {
    const v = o[key];
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0))
      f.fail(`${path} (${show(v)}) must be a finite positive number`);
  };
  if (json.matmulCeilingTflops !== undefined) positive(json, 'matmulCeilingTflops', 'matmulCeilingTflops');
  if (json.matmulCeiling !== undefined) {
    const mm = f.object(json, 'matmulCeiling', 'matmulCeiling');
    positive(mm, 'tflops', 'matmulCeiling.tflops');
    f.string(mm, 'variant', 'matmulCeiling.variant');
    f.oneOf(mm, 'kind', 'matmulCeiling.kind', ['subgroup-matrix', 'f32-fma']);
    f.count(mm, 'size', 'matmulCeiling.size');
  }
  const suite = f.object(json, 'suite', 'suite');
  f.string(suite, 'name', 'suite.name');
  f.string(suite, 'description', 'suite.description');
  const axis = f.object(suite, 'axis', 'suite.axis');
  f.string(axis, 'name', 'suite.axis.name');
  f.boolean(axis, 'log', 'suite.axis.log');
  const entries = json.entries;
  if (!Array.isArray(entries)) return f.fail(`entries (${show(entries)}) must be an array`);
  if (entries.length > MAX_RESULT_ENTRIES)
    f.fail(`entries has ${entries.length} items; the page reads at most ${MAX_RESULT_ENTRIES}`);
  const labels = new Set<string>();
  const axisValues = new Set<number>();
  for (let i = 0; i < entries.length; i++) {
    const e: unknown = entries[i];
    if (!isObject(e)) return f.fail(`entries[${i}] (${show(e)}) must be an object`);
    checkEntry(f, e, `entries[${i}]`);
    labels.add(e.label as string);
    axisValues.add(e.axisValue as number);
  }
  if (labels.size * axisValues.size > MAX_RESULT_CHART_CELLS)
    f.fail(
      `entries have ${labels.size} labels and ${axisValues.size} axis values, ${labels.size * axisValues.size} chart points; ` +
        `the page charts at most ${MAX_RESULT_CHART_CELLS}`,
    );
  return json as unknown as BenchResultFile;
}

/** Parse text (a file's contents) into a result file. */
export function parseResultText(text: string, fileName = 'result file'): BenchResultFile {
  if (text.length > MAX_RESULT_BYTES)
    throw new ResultFileError(
      `${fileName}: ${text.length} characters, over the ${MAX_RESULT_BYTES / 2 ** 20} MiB limit for result files`,
    );
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
      !e.checks || e.checks.length === 0 ? '' : e.checks.every((c) => c.pass) ? 'PASS' : 'FAIL',
      e.reason,
    ]
      .map(esc)
      .join(','),
  );
  return `${[head.join(','), ...rows].join('\n')}\n`;
}
