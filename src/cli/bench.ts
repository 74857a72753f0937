import { parseArgs } from 'node:util';
import type { BenchSuite, MatrixProductSuite } from '../../benches/suite';
import { findAnySuite, matrixProductSuites, suites } from '../../benches/suites';
import { measureBandwidth } from '../bench/bandwidth';
import {
  ceilingSizeError,
  ceilingVariant,
  DEFAULT_CEILING_SIZE,
  FALLBACK_CEILING_SIZE,
  MAX_CEILING_SIZE,
  measureMatmulCeiling,
} from '../bench/matmul/ceiling';
import { runMatrixProductSuite } from '../bench/matmul/runner';
import { measureFixedCosts } from '../bench/overhead';
import {
  type BenchEntry,
  type BenchResultFile,
  type BenchSettings,
  type MatmulCeilingRecord,
  RESULT_SCHEMA,
  RESULT_VERSION,
} from '../bench/result';
import { type BenchHooks, defaultSettings, describeDevice, runSuite, variantLabel } from '../bench/runner';
import { timingWarnings } from '../bench/stats';
import type { GpuContext } from '../gpu/context';
import { formatBytes } from '../gpu/errors';
import { writeFileAtomic } from '../io/atomic-write';
import type { KvDtype } from '../problem/problem';
import { checkDawnFlags, joinNegativeValues, seedArg, valuedFlags, wholeNumberArg } from './args';
import { cliGpu } from './gpu';
import { checkOutputFile } from './output-paths';
import { fixed, formatTable, sci } from './table';
import { UsageError } from './usage-error';

/** --ceiling-mib's ceiling before the device is known (64 GiB); the device's buffer limit is checked once it is. */
const MAX_CEILING_MIB = 65536;

export const benchUsage = `bench: time a suite's kernels and write the results as JSON (the page can load the file)

  bench --suite <name> [--out <file.json>] [--configs <label substring>] [--variants <substring>[,...]]
        [--seed N] [--kv-dtype f32|f16]
        [--warmup-ms N] [--min-runs N] [--max-runs N] [--budget-ms N] [--check-rows N]
        [--ceiling-mib N] [--matmul-ceiling N] [--overhead] [--dawn <flag>]...

  Before the suite, a streaming-read kernel measures the device's bandwidth ceiling over a buffer of
  --ceiling-mib MiB (default 1024; 0 skips it), and a matrix product of N x N x N the compute
  ceiling (--matmul-ceiling N: default ${DEFAULT_CEILING_SIZE}, ${FALLBACK_CEILING_SIZE} on a software adapter, a multiple of 128;
  0 skips it): subgroup matrices, f16 in and f32 accumulate, or f32 FMA where the device has none.
  Every entry's GB/s is then also given as % of the first, and its TFLOP/s as % of the second.
  --overhead also times what a run costs when it does nothing (an empty pass, no-op dispatches:
  src/bench/overhead.ts), for reading small problems; kept in the result file as fixedCostsMs.
  --variants keeps the variants whose label contains one of the comma-separated substrings.

  --out is checked before any GPU work and rewritten (atomically) after every finished entry, so
  a run that stops keeps what it measured.

  suites: ${suites.map((s) => s.name).join(', ') || '(none yet)'}
  matrix-product suites: ${matrixProductSuites.map((s) => s.name).join(', ')} (--kv-dtype does not apply)`;

const optionTable = {
  suite: { type: 'string' },
  out: { type: 'string' },
  configs: { type: 'string' },
  variants: { type: 'string' },
  seed: { type: 'string' },
  'kv-dtype': { type: 'string' },
  'warmup-ms': { type: 'string' },
  'min-runs': { type: 'string' },
  'max-runs': { type: 'string' },
  'budget-ms': { type: 'string' },
  'check-rows': { type: 'string' },
  'ceiling-mib': { type: 'string' },
  'matmul-ceiling': { type: 'string' },
  overhead: { type: 'boolean', default: false },
  dawn: { type: 'string', multiple: true, default: [] as string[] },
} as const;

export async function benchCommand(argv: string[], log: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: joinNegativeValues(argv, valuedFlags(optionTable)),
    options: optionTable,
    strict: true,
  });
  if (!values.suite) throw new UsageError('--suite <name> is required');
  const suite: BenchSuite | MatrixProductSuite = (() => {
    try {
      return findAnySuite(values.suite);
    } catch (e) {
      throw new UsageError(`--suite: ${(e as Error).message}`);
    }
  })();
  const settings: BenchSettings = {
    seed: seedArg(values.seed, defaultSettings.seed),
    warmupMs: wholeNumberArg('warmup-ms', values['warmup-ms'], defaultSettings.warmupMs),
    minRuns: Math.max(1, wholeNumberArg('min-runs', values['min-runs'], defaultSettings.minRuns)),
    maxRuns: wholeNumberArg('max-runs', values['max-runs'], defaultSettings.maxRuns),
    budgetMs: wholeNumberArg('budget-ms', values['budget-ms'], defaultSettings.budgetMs),
    minSampleMs: defaultSettings.minSampleMs,
    checkRows: wholeNumberArg('check-rows', values['check-rows'], defaultSettings.checkRows),
  };
  const ceilingFlag = values['ceiling-mib'];
  const ceilingMib = wholeNumberArg('ceiling-mib', ceilingFlag, 1024, 0, MAX_CEILING_MIB);
  const dtype = values['kv-dtype'];
  if (dtype !== undefined && dtype !== 'f32' && dtype !== 'f16') {
    throw new UsageError(`--kv-dtype must be f32 or f16 (got ${dtype})`);
  }
  const wanted = values.variants?.split(',').filter((w) => w !== '');
  const keep = (label: string) => !wanted || wanted.some((w) => label.includes(w));
  const matches = (c: { label: string }) => !values.configs || c.label.includes(values.configs);
  const noConfig = () => new UsageError(`--configs: no config of ${suite.name} matches "${values.configs}"`);
  const noVariant = () => new UsageError(`--variants: no variant of ${suite.name} matches "${values.variants}"`);
  /** The suite's chosen configs, run by the runner of its kind. */
  let runIt: (gpu: GpuContext, hooks: BenchHooks) => Promise<BenchResultFile>;
  if ('kind' in suite) {
    if (dtype) throw new UsageError(`--kv-dtype does not apply to the matrix-product suite ${suite.name}`);
    const configs = suite
      .configs()
      .filter(matches)
      .map((c) => ({ ...c, variants: c.variants.filter(keep) }));
    if (configs.length === 0) throw noConfig();
    if (configs.every((c) => c.variants.length === 0)) throw noVariant();
    runIt = (gpu, hooks) => runMatrixProductSuite(gpu, suite, settings, hooks, configs);
  } else {
    const configs = suite
      .configs()
      .filter(matches)
      .map((c) => (dtype ? { ...c, input: { ...c.input, kvDtype: dtype as KvDtype } } : c))
      .map((c) => ({ ...c, variants: c.variants.filter((v) => keep(variantLabel(v))) }));
    if (configs.length === 0) throw noConfig();
    if (configs.every((c) => c.variants.length === 0)) throw noVariant();
    runIt = (gpu, hooks) => runSuite(gpu, suite, settings, hooks, configs);
  }
  const matmulFlag = values['matmul-ceiling'];
  const matmulSize = wholeNumberArg('matmul-ceiling', matmulFlag, DEFAULT_CEILING_SIZE, 0, MAX_CEILING_SIZE);
  const sizeError = matmulSize > 0 ? ceilingSizeError(matmulSize) : null;
  if (sizeError) throw new UsageError(`--matmul-ceiling ${matmulSize}: ${sizeError}`);
  checkDawnFlags(values.dawn, '--dawn');
  const out = values.out;
  // Before any GPU work: the results must have somewhere to go.
  if (out !== undefined) checkOutputFile('--out', out);

  const gpu = await cliGpu(values.dawn, log);
  try {
    // The device's limit is known only now, still before any work: an explicit size over it is refused.
    const limit = Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
    if (ceilingFlag !== undefined && ceilingMib * 2 ** 20 > limit)
      throw new UsageError(
        `--ceiling-mib ${ceilingMib} is over this device's buffer limit (min of maxStorageBufferBindingSize and maxBufferSize: ${Math.floor(limit / 2 ** 20)} MiB)`,
      );
    const size = matmulFlag === undefined && gpu.adapter.isFallbackAdapter ? FALLBACK_CEILING_SIZE : matmulSize;
    if (matmulFlag !== undefined && size > 0) {
      try {
        ceilingVariant(gpu, { m: size, n: size, k: size });
      } catch (e) {
        throw new UsageError(`--matmul-ceiling ${size}: ${(e as Error).message}`);
      }
    }
    log(`suite ${suite.name}: ${suite.description}`);
    const ceiling = ceilingMib > 0 ? await measureBandwidth(gpu, { bytes: ceilingMib * 2 ** 20, runs: 20 }) : null;
    if (ceiling) {
      log(
        `streaming-read ceiling: ${ceiling.gbPerS.toFixed(0)} GB/s (${formatBytes(ceiling.bytes)} read, median of ${ceiling.timing.runs}, ${ceiling.clock})`,
      );
    }
    // A compute ceiling that cannot run or disagrees with the CPU is reported and the suite still runs; the exit code says it failed.
    let matmulFailed = false;
    let matmul: MatmulCeilingRecord | null = null;
    if (size > 0) {
      try {
        matmul = await measureMatmulCeiling(gpu, { size });
        log(
          `compute ceiling: ${Number(matmul.tflops.toPrecision(4))} TFLOP/s (${matmul.variant} at ${size}³: ${matmul.ran}; fastest of ${matmul.timing.runs} x ${matmul.repsPerRun}, ${matmul.clock}; ${matmul.check.against} PASS)`,
        );
      } catch (e) {
        if (gpu.isLost) throw e;
        matmulFailed = true;
        log(`compute ceiling FAILED: ${(e as Error).message}`);
      }
    }
    const fixedCosts = values.overhead ? await measureFixedCosts(gpu) : null;
    if (fixedCosts) {
      const parts = Object.entries(fixedCosts.medianMs).map(([k, ms]) => `${k} ${(ms * 1000).toFixed(1)} µs`);
      log(`fixed costs (median, ${fixedCosts.clock}): ${parts.join('; ')}`);
    }
    const withCeiling = (r: BenchResultFile): BenchResultFile => ({
      ...r,
      ...(ceiling ? { bandwidthCeilingGBps: ceiling.gbPerS } : {}),
      ...(matmul ? { matmulCeilingTflops: matmul.tflops, matmulCeiling: matmul } : {}),
      ...(fixedCosts ? { fixedCostsMs: fixedCosts.medianMs } : {}),
    });
    // The file so far is written (atomically) after every finished entry, so a crash, a lost device
    // or a killed job keeps everything measured before it.
    const done: BenchEntry[] = [];
    const partial = (): BenchResultFile =>
      withCeiling({
        schema: RESULT_SCHEMA,
        version: RESULT_VERSION,
        createdAt: new Date().toISOString(),
        source: 'cli',
        device: describeDevice(gpu),
        // What the runner's timer uses (createTimer: timestamps where offered).
        clock: gpu.features.timestampQuery ? 'timestamp-query' : 'wall-clock',
        settings,
        suite: { name: suite.name, description: suite.description, axis: { ...suite.axis } },
        entries: [...done],
      });
    let writing: Promise<void> = Promise.resolve();
    const save = (r: BenchResultFile) => {
      if (out === undefined) return;
      const text = `${JSON.stringify(r, null, 1)}\n`;
      writing = writing.then(() => writeFileAtomic(out, text));
    };
    let suiteResult: BenchResultFile;
    try {
      suiteResult = await runIt(gpu, {
        source: 'cli',
        onEntry: (e) => {
          log(entryLine(e));
          done.push(e);
          save(partial());
        },
      });
    } catch (e) {
      await writing.catch(() => {});
      if (out !== undefined && done.length > 0) log(`the run stopped: ${done.length} finished entries are in ${out}`);
      throw e;
    }
    const result = withCeiling(suiteResult);
    log(`clock: ${result.clock}`);
    log(
      formatTable(
        [
          'config',
          'variant',
          'ran',
          'median ms',
          'p10',
          'p90',
          'runs',
          'GB/s',
          '% read',
          'TFLOP/s',
          '% matmul',
          'check',
        ],
        result.entries.map((e) => entryRow(e, ceiling?.gbPerS, matmul?.tflops)),
      ),
    );
    if (out !== undefined) {
      save(result);
      await writing;
      log(`results written to ${out}`);
    }
    const bad = matmulFailed || result.entries.some((e) => e.status === 'failed' || e.checks?.some((c) => !c.pass));
    return bad ? 1 : 0;
  } finally {
    gpu.destroy();
  }
}

function checkCell(e: BenchEntry): string {
  if (!e.checks || e.checks.length === 0) return 'not checked';
  const failed = e.checks.filter((c) => !c.pass);
  return failed.length === 0 ? 'PASS' : `FAIL vs ${failed.map((c) => `${c.against} (${c.worst})`).join('; ')}`;
}

/** An entry's share of a ceiling, whole percent ('' when either is missing). */
const percentOf = (x: number | undefined, ceiling: number | undefined): string =>
  ceiling && x !== undefined ? fixed((100 * x) / ceiling, 0) : '';

function entryRow(e: BenchEntry, ceilingGBps: number | undefined, ceilingTflops: number | undefined): string[] {
  if (e.status !== 'ok' || !e.timing)
    return [e.config, e.label, '', '', '', '', '', '', '', '', '', `${e.status.toUpperCase()}: ${e.reason}`];
  const t = e.timing;
  const [first] = timingWarnings(t);
  const spread = first ? ` (${first.kind}!)` : '';
  return [
    e.config,
    e.label,
    e.ran ?? '',
    fixed(t.medianMs, 4) + spread,
    fixed(t.p10Ms, 4),
    fixed(t.p90Ms, 4),
    `${t.runs}x${t.repsPerRun}`,
    fixed(e.gbPerS, 1),
    percentOf(e.gbPerS, ceilingGBps),
    fixed(e.tflopPerS, 2),
    percentOf(e.tflopPerS, ceilingTflops),
    checkCell(e),
  ];
}

function entryLine(e: BenchEntry): string {
  if (e.status !== 'ok' || !e.timing) return `  ${e.config} ${e.label}: ${e.status} (${e.reason})`;
  return `  ${e.config} ${e.label}: median ${fixed(e.timing.medianMs, 4)} ms, ${fixed(e.gbPerS, 1)} GB/s, ${sci(e.tflopPerS)} TFLOP/s, ${checkCell(e)}`;
}
