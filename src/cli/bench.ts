import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { getSuite, suites } from '../../benches/suites';
import { measureBandwidth } from '../bench/bandwidth';
import { measureFixedCosts } from '../bench/overhead';
import type { BenchEntry, BenchResultFile, BenchSettings } from '../bench/result';
import { defaultSettings, runSuite } from '../bench/runner';
import { timingWarnings } from '../bench/stats';
import { formatBytes } from '../gpu/errors';
import type { KvDtype } from '../problem/problem';
import { cliGpu } from './gpu';
import { fixed, formatTable, sci } from './table';
import { UsageError } from './usage-error';

export const benchUsage = `bench: time a suite's kernels and write the results as JSON (the page can load the file)

  bench --suite <name> [--out <file.json>] [--configs <label substring>] [--seed N] [--kv-dtype f32|f16]
        [--warmup-ms N] [--min-runs N] [--max-runs N] [--budget-ms N] [--check-rows N]
        [--ceiling-mib N] [--overhead] [--dawn <flag>]...

  Before the suite, a streaming-read kernel measures the device's bandwidth ceiling over a buffer of
  --ceiling-mib MiB (default 1024; 0 skips it); every entry's GB/s is then also given as % of it.
  --overhead also times what a run costs when it does nothing (an empty pass, no-op dispatches:
  src/bench/overhead.ts), for reading small problems; kept in the result file as fixedCostsMs.

  suites: ${suites.map((s) => s.name).join(', ') || '(none yet)'}`;

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
      overhead: { type: 'boolean', default: false },
      dawn: { type: 'string', multiple: true, default: [] },
    },
    strict: true,
  });
  if (!values.suite) throw new UsageError('--suite <name> is required');
  const suite = (() => {
    try {
      return getSuite(values.suite);
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
  const configs = suite
    .configs()
    .filter((c) => !values.configs || c.label.includes(values.configs))
    .map((c) => (dtype ? { ...c, input: { ...c.input, kvDtype: dtype as KvDtype } } : c));
  if (configs.length === 0) throw new UsageError(`no config of ${suite.name} matches "${values.configs}"`);

  const gpu = await cliGpu(values.dawn, log);
  try {
    log(`suite ${suite.name}: ${suite.description}`);
    const ceilingMib = intArg('ceiling-mib', values['ceiling-mib'], 1024);
    const ceiling = ceilingMib > 0 ? await measureBandwidth(gpu, { bytes: ceilingMib * 2 ** 20, runs: 20 }) : null;
    if (ceiling) {
      log(
        `streaming-read ceiling: ${ceiling.gbPerS.toFixed(0)} GB/s (${formatBytes(ceiling.bytes)} read, median of ${ceiling.timing.runs}, ${ceiling.clock})`,
      );
    }
    const fixed = values.overhead ? await measureFixedCosts(gpu) : null;
    if (fixed) {
      const parts = Object.entries(fixed.medianMs).map(([k, ms]) => `${k} ${(ms * 1000).toFixed(1)} µs`);
      log(`fixed costs (median, ${fixed.clock}): ${parts.join('; ')}`);
    }
    const suiteResult = await runSuite(
      gpu,
      suite,
      settings,
      {
        source: 'cli',
        onEntry: (e) => log(entryLine(e)),
      },
      configs,
    );
    const result: BenchResultFile = {
      ...suiteResult,
      ...(ceiling ? { bandwidthCeilingGBps: ceiling.gbPerS } : {}),
      ...(fixed ? { fixedCostsMs: fixed.medianMs } : {}),
    };
    log(`clock: ${result.clock}`);
    log(
      formatTable(
        ['config', 'variant', 'ran', 'median ms', 'p10', 'p90', 'runs', 'GB/s', '% ceiling', 'TFLOP/s', 'check'],
        result.entries.map((e) => entryRow(e, ceiling?.gbPerS)),
      ),
    );
    if (values.out) {
      await mkdir(dirname(values.out), { recursive: true });
      await writeFile(values.out, `${JSON.stringify(result, null, 1)}\n`);
      log(`results written to ${values.out}`);
    }
    const bad = result.entries.some((e) => e.status === 'failed' || e.checks?.some((c) => !c.pass));
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

function entryRow(e: BenchEntry, ceilingGBps: number | undefined): string[] {
  if (e.status !== 'ok' || !e.timing)
    return [e.config, e.label, '', '', '', '', '', '', '', '', `${e.status.toUpperCase()}: ${e.reason}`];
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
    ceilingGBps && e.gbPerS !== undefined ? fixed((100 * e.gbPerS) / ceilingGBps, 0) : '',
    fixed(e.tflopPerS, 2),
    checkCell(e),
  ];
}

function entryLine(e: BenchEntry): string {
  if (e.status !== 'ok' || !e.timing) return `  ${e.config} ${e.label}: ${e.status} (${e.reason})`;
  return `  ${e.config} ${e.label}: median ${fixed(e.timing.medianMs, 4)} ms, ${fixed(e.gbPerS, 1)} GB/s, ${sci(e.tflopPerS)} TFLOP/s, ${checkCell(e)}`;
}
