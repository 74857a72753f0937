import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchSuite, MatrixProductSuite } from '../../benches/suite';
import { findAnySuite, matrixProductSuites, suites } from '../../benches/suites';
import { measureBandwidth } from '../bench/bandwidth';
import {
  ceilingSizeError,
  DEFAULT_CEILING_SIZE,
  FALLBACK_CEILING_SIZE,
  measureMatmulCeiling,
} from '../bench/matmul/ceiling';
import { runMatrixProductSuite } from '../bench/matmul/runner';
import type { BenchEntry, BenchResultFile, BenchSettings, MatmulCeilingRecord } from '../bench/result';
import { type BenchHooks, defaultSettings, runSuite } from '../bench/runner';
import { timingWarnings } from '../bench/stats';
import type { GpuContext } from '../gpu/context';
import { formatBytes } from '../gpu/errors';
import type { KvDtype } from '../problem/problem';
import { cliGpu } from './gpu';
import { fixed, formatTable, sci } from './table';
import { UsageError } from './usage-error';

export const benchUsage = `bench: time a suite's kernels and write the results as JSON (the page can load the file)

  bench --suite <name> [--out <file.json>] [--configs <label substring>] [--seed N] [--kv-dtype f32|f16]
        [--warmup-ms N] [--min-runs N] [--max-runs N] [--budget-ms N] [--check-rows N]
        [--ceiling-mib N] [--matmul-ceiling N] [--dawn <flag>]...

  Before the suite, a streaming-read kernel measures the device's bandwidth ceiling over a buffer of
  --ceiling-mib MiB (default 1024; 0 skips it), and a matrix product of N x N x N the compute
  ceiling (--matmul-ceiling N: default ${DEFAULT_CEILING_SIZE}, ${FALLBACK_CEILING_SIZE} on a software adapter, a multiple of 128;
  0 skips it): subgroup matrices, f16 in and f32 accumulate, or f32 FMA where the device has none.
  Every entry's GB/s is then also given as % of the first, and its TFLOP/s as % of the second.

  suites: ${suites.map((s) => s.name).join(', ') || '(none yet)'}
  matrix-product suites: ${matrixProductSuites.map((s) => s.name).join(', ')} (--kv-dtype does not apply)`;

function intArg(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer (got ${value})`);
  return n;
}

export async function benchCommand(argv: string[], log: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      suite: { type: 'string' },
      out: { type: 'string' },
      configs: { type: 'string' },
      seed: { type: 'string' },
      'kv-dtype': { type: 'string' },
      'warmup-ms': { type: 'string' },
      'min-runs': { type: 'string' },
      'max-runs': { type: 'string' },
      'budget-ms': { type: 'string' },
      'check-rows': { type: 'string' },
      'ceiling-mib': { type: 'string' },
      'matmul-ceiling': { type: 'string' },
      dawn: { type: 'string', multiple: true, default: [] },
    },
    strict: true,
  });
  if (!values.suite) throw new UsageError('--suite <name> is required');
  const suite: BenchSuite | MatrixProductSuite = (() => {
    try {
      return findAnySuite(values.suite);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  })();
  const settings: BenchSettings = {
    seed: intArg('seed', values.seed, defaultSettings.seed),
    warmupMs: intArg('warmup-ms', values['warmup-ms'], defaultSettings.warmupMs),
    minRuns: Math.max(1, intArg('min-runs', values['min-runs'], defaultSettings.minRuns)),
    maxRuns: intArg('max-runs', values['max-runs'], defaultSettings.maxRuns),
    budgetMs: intArg('budget-ms', values['budget-ms'], defaultSettings.budgetMs),
    minSampleMs: defaultSettings.minSampleMs,
    checkRows: intArg('check-rows', values['check-rows'], defaultSettings.checkRows),
  };
  const dtype = values['kv-dtype'];
  if (dtype !== undefined && dtype !== 'f32' && dtype !== 'f16') {
    throw new UsageError(`--kv-dtype must be f32 or f16 (got ${dtype})`);
  }
  const matches = (c: { label: string }) => !values.configs || c.label.includes(values.configs);
  const none = () => new UsageError(`no config of ${suite.name} matches "${values.configs}"`);
  /** The suite's chosen configs, run by the runner of its kind. */
  let runIt: (gpu: GpuContext, hooks: BenchHooks) => Promise<BenchResultFile>;
  if ('kind' in suite) {
    if (dtype) throw new UsageError(`--kv-dtype does not apply to the matrix-product suite ${suite.name}`);
    const configs = suite.configs().filter(matches);
    if (configs.length === 0) throw none();
    runIt = (gpu, hooks) => runMatrixProductSuite(gpu, suite, settings, hooks, configs);
  } else {
    const configs = suite
      .configs()
      .filter(matches)
      .map((c) => (dtype ? { ...c, input: { ...c.input, kvDtype: dtype as KvDtype } } : c));
    if (configs.length === 0) throw none();
    runIt = (gpu, hooks) => runSuite(gpu, suite, settings, hooks, configs);
  }
  const ceilingMib = intArg('ceiling-mib', values['ceiling-mib'], 1024);
  const matmulSize = intArg('matmul-ceiling', values['matmul-ceiling'], DEFAULT_CEILING_SIZE);
  const sizeError = matmulSize > 0 ? ceilingSizeError(matmulSize) : null;
  if (sizeError) throw new UsageError(`--matmul-ceiling ${matmulSize}: ${sizeError}`);

  const gpu = await cliGpu(values.dawn, log);
  try {
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
    const size =
      values['matmul-ceiling'] === undefined && gpu.adapter.isFallbackAdapter ? FALLBACK_CEILING_SIZE : matmulSize;
    if (size > 0) {
      try {
        matmul = await measureMatmulCeiling(gpu, { size });
        log(
          `compute ceiling: ${matmul.tflops.toFixed(1)} TFLOP/s (${matmul.variant} at ${size}³: ${matmul.ran}; fastest of ${matmul.timing.runs} x ${matmul.repsPerRun}, ${matmul.clock}; ${matmul.check.against} PASS)`,
        );
      } catch (e) {
        if (gpu.isLost) throw e;
        matmulFailed = true;
        log(`compute ceiling FAILED: ${(e as Error).message}`);
      }
    }
    const suiteResult = await runIt(gpu, { source: 'cli', onEntry: (e) => log(entryLine(e)) });
    const result: BenchResultFile = {
      ...suiteResult,
      ...(ceiling ? { bandwidthCeilingGBps: ceiling.gbPerS } : {}),
      ...(matmul ? { matmulCeilingTflops: matmul.tflops, matmulCeiling: matmul } : {}),
    };
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
    if (values.out) {
      await mkdir(dirname(values.out), { recursive: true });
      await writeFile(values.out, `${JSON.stringify(result, null, 1)}\n`);
      log(`results written to ${values.out}`);
    }
    const bad = matmulFailed || result.entries.some((e) => e.status === 'failed' || e.checks?.some((c) => !c.pass));
    return bad ? 1 : 0;
  } finally {
    gpu.destroy();
  }
}

function checkCell(e: BenchEntry): string {
  if (!e.checks) return '';
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
