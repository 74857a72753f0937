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
import { ceilingPercent } from '../bench/unique-bytes';
import type { GpuContext } from '../gpu/context';
import { formatBytes } from '../gpu/errors';
import { writeFileAtomic } from '../io/atomic-write';
import type { KvDtype } from '../problem/problem';
import { checkDawnFlags, joinNegativeValues, seedArg, valuedFlags, wholeNumberArg } from './args';
import { cliGpu } from './gpu';
import { checkOutputFile } from './output-paths';
import { formatTable, num } from './table';
import { UsageError } from './usage-error';

/** --ceiling-mib's ceiling before the device is known (64 GiB); the device's buffer limit is checked once it is. */
const MAX_CEILING_MIB = 65536;

export const benchUsage = `bench: time a suite's kernels and write the results as JSON (the page can load the file)

  bench --suite <name> [--out <file.json>] [--configs <label>[,<label>...] | --config-index N[,N...]]
        [--variants <substring>[,...]] [--seed N] [--kv-dtype f32|f16] [--warmup-ms N] [--min-runs N]
        [--max-runs N] [--budget-ms N] [--check-rows N] [--ceiling-mib N|auto] [--matmul-ceiling N]
        [--overhead] [--dawn <flag>]...

  --configs keeps the configs with exactly these labels (\`suites\` lists them); --config-index
  those at these positions, counted from 1.
  Before the suite, a streaming-read kernel measures the device's bandwidth ceiling over a buffer of
  --ceiling-mib MiB (default auto: 1024, 64 on a software adapter such as SwiftShader, halved if it
  cannot be allocated, said when so; a size over the device's buffer limit is refused; 0 skips it),
  and a matrix product of N x N x N the compute ceiling (--matmul-ceiling N: default
  ${DEFAULT_CEILING_SIZE}, ${FALLBACK_CEILING_SIZE} on a software adapter, a multiple of 128; 0 skips it): subgroup matrices, f16 in and
  f32 accumulate, or f32 FMA where the device has none. "% ceil" is each entry's unique bytes (each
  byte of the problem once) per second as % of the first (GB/s counts its logical bytes); "% mm" its
  TFLOP/s as % of the second.
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
  'config-index': { type: 'string' },
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
  const autoCeiling = ceilingFlag === undefined || ceilingFlag === 'auto';
  const ceilingMib = autoCeiling ? undefined : wholeNumberArg('ceiling-mib', ceilingFlag, 1024, 0, MAX_CEILING_MIB);
  const dtype = values['kv-dtype'];
  if (dtype !== undefined && dtype !== 'f32' && dtype !== 'f16') {
    throw new UsageError(`--kv-dtype must be f32 or f16 (got ${dtype})`);
  }
  const wanted = values.variants?.split(',').filter((w) => w !== '');
  const keep = (label: string) => !wanted || wanted.some((w) => label.includes(w));
  const chosen = <C extends { label: string }>(all: readonly C[]): C[] =>
    selectConfigs(all, suite.name, values.configs, values['config-index']);
  const noVariant = () => new UsageError(`--variants: no variant of ${suite.name} matches "${values.variants}"`);
  /** The suite's chosen configs, run by the runner of its kind. */
  let runIt: (gpu: GpuContext, hooks: BenchHooks) => Promise<BenchResultFile>;
  if ('kind' in suite) {
    if (dtype) throw new UsageError(`--kv-dtype does not apply to the matrix-product suite ${suite.name}`);
    const configs = chosen(suite.configs()).map((c) => ({ ...c, variants: c.variants.filter(keep) }));
    if (configs.every((c) => c.variants.length === 0)) throw noVariant();
    runIt = (gpu, hooks) => runMatrixProductSuite(gpu, suite, settings, hooks, configs);
  } else {
    const configs = chosen(suite.configs())
      .map((c) => (dtype ? { ...c, input: { ...c.input, kvDtype: dtype as KvDtype } } : c))
      .map((c) => ({ ...c, variants: c.variants.filter((v) => keep(variantLabel(v))) }));
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
    if (ceilingMib !== undefined && ceilingMib * 2 ** 20 > limit)
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
    const ceiling =
      ceilingMib !== 0
        ? await measureBandwidth(gpu, { bytes: ceilingMib === undefined ? undefined : ceilingMib * 2 ** 20, runs: 20 })
        : null;
    if (ceiling) {
      log(
        `streaming-read ceiling: ${num(ceiling.gbPerS)} GB/s (${formatBytes(ceiling.bytes)} read, fastest of ${ceiling.timing.runs}, ${ceiling.clock})`,
      );
      if (ceiling.cappedBy) log(`  asked for ${formatBytes(ceiling.requestedBytes)}: ${ceiling.cappedBy}`);
    }
    // A compute ceiling that cannot run or disagrees with the CPU is reported and the suite still runs; the exit code says it failed.
    let matmulFailed = false;
    let matmul: MatmulCeilingRecord | null = null;
    if (size > 0) {
      try {
        matmul = await measureMatmulCeiling(gpu, { size });
        log(
          `compute ceiling: ${num(matmul.tflops)} TFLOP/s (${matmul.variant} at ${size}³: ${matmul.ran}; fastest of ${matmul.timing.runs} x ${matmul.repsPerRun}, ${matmul.clock}; ${matmul.check.against} PASS)`,
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
    log(resultTable(result.entries, ceiling?.gbPerS, matmul?.tflops));
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

/** Configs by whole label (comma-separated) or by position (from 1); every config when neither is given. */
export function selectConfigs<C extends { label: string }>(
  all: readonly C[],
  suiteName: string,
  labels: string | undefined,
  indices: string | undefined,
): C[] {
  if (labels !== undefined && indices !== undefined) throw new UsageError('give --configs or --config-index, not both');
  if (labels !== undefined) {
    const wanted = labels
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
    const unknown = wanted.filter((w) => !all.some((c) => c.label === w));
    if (unknown.length > 0 || wanted.length === 0)
      throw new UsageError(
        `--configs: no config of ${suiteName} is labelled "${unknown[0] ?? labels}" (labels: ${all.map((c) => c.label).join(', ')})`,
      );
    return all.filter((c) => wanted.includes(c.label));
  }
  if (indices !== undefined) {
    const picked = indices.split(',').map((x) => x.trim());
    const bad = picked.find((x) => !/^\d+$/.test(x) || Number(x) < 1 || Number(x) > all.length);
    if (bad !== undefined) throw new UsageError(`--config-index ${bad}: ${suiteName} has configs 1 to ${all.length}`);
    const at = new Set(picked.map(Number));
    return all.filter((_, i) => at.has(i + 1));
  }
  return [...all];
}

function checkCell(e: BenchEntry): string {
  if (!e.checks || e.checks.length === 0) return 'not checked';
  return e.checks.every((c) => c.pass) ? 'PASS' : 'FAIL';
}

/**
 * The results table, within 120 columns: one row an entry, numbers in one format. What does not fit a
 * cell is listed under the table, numbered: the variant each label ran (auto's choice and reason),
 * why an entry was skipped or failed, and which checks failed where.
 */
export function resultTable(
  entries: readonly BenchEntry[],
  ceilingGBps: number | undefined,
  ceilingTflops?: number,
): string {
  const notes: string[] = [];
  const note = (text: string): string => {
    let i = notes.indexOf(text);
    if (i < 0) i = notes.push(text) - 1;
    return `[${i + 1}]`;
  };
  const rows = entries.map((e) => {
    const ran = e.ran && e.ran !== e.label ? ` ${note(`${e.label}: ran ${e.ran}`)}` : '';
    if (e.status !== 'ok' || !e.timing)
      return [
        e.config,
        e.label,
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        `${e.status.toUpperCase()} ${note(`${e.config} ${e.label}: ${e.reason}`)}`,
      ];
    const t = e.timing;
    const [first] = timingWarnings(t);
    const spread = first ? ` (${first.kind}!)` : '';
    const failed = (e.checks ?? []).filter((c) => !c.pass);
    const check =
      failed.length > 0
        ? `FAIL ${note(`${e.config} ${e.label}: FAIL vs ${failed.map((c) => `${c.against} (${c.worst})`).join('; ')}`)}`
        : checkCell(e);
    const uniqueGBps = e.uniqueBytes !== undefined ? e.uniqueBytes / (t.medianMs / 1000) / 1e9 : undefined;
    return [
      e.config,
      e.label + ran,
      num(t.medianMs) + spread,
      num(t.p10Ms),
      num(t.p90Ms),
      `${t.runs}x${t.repsPerRun}`,
      num(e.gbPerS),
      num(uniqueGBps),
      ceilingGBps ? num(ceilingPercent(e, ceilingGBps)) : '',
      num(e.tflopPerS),
      ceilingTflops && e.tflopPerS !== undefined ? num((100 * e.tflopPerS) / ceilingTflops) : '',
      check,
    ];
  });
  const table = formatTable(
    ['config', 'variant', 'median ms', 'p10', 'p90', 'runs', 'GB/s', 'uniq GB/s', '% ceil', 'TFLOP/s', '% mm', 'check'],
    rows,
  );
  const legend =
    "GB/s: logical bytes (the kernel's own traffic); uniq GB/s and % ceil: unique bytes (each byte of the problem once)" +
    (ceilingTflops ? '; % mm: TFLOP/s as % of the matrix-product ceiling.' : '.');
  return [table, legend, ...notes.map((n, i) => `[${i + 1}] ${n}`)].join('\n');
}

function entryLine(e: BenchEntry): string {
  if (e.status !== 'ok' || !e.timing) return `  ${e.config} ${e.label}: ${e.status} (${e.reason})`;
  return `  ${e.config} ${e.label}: median ${num(e.timing.medianMs)} ms, ${num(e.gbPerS)} GB/s, ${num(e.tflopPerS)} TFLOP/s, ${checkCell(e)}`;
}
