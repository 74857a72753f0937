import { parseArgs } from 'node:util';
import { getSuite, suites } from '../../benches/suites';
import { measureBandwidth } from '../bench/bandwidth';
import { measureFixedCosts } from '../bench/overhead';
import {
  type BenchEntry,
  type BenchResultFile,
  type BenchSettings,
  RESULT_SCHEMA,
  RESULT_VERSION,
} from '../bench/result';
import { defaultSettings, describeDevice, runSuite, variantLabel } from '../bench/runner';
import { timingWarnings } from '../bench/stats';
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
        [--ceiling-mib N] [--overhead] [--dawn <flag>]...

  Before the suite, a streaming-read kernel measures the device's bandwidth ceiling over a buffer of
  --ceiling-mib MiB (default 1024; 0 skips it); every entry's GB/s is then also given as % of it.
  --overhead also times what a run costs when it does nothing (an empty pass, no-op dispatches:
  src/bench/overhead.ts), for reading small problems; kept in the result file as fixedCostsMs.
  --variants keeps the variants whose label contains one of the comma-separated substrings.

  --out is checked before any GPU work and rewritten (atomically) after every finished entry, so
  a run that stops keeps what it measured.

  suites: ${suites.map((s) => s.name).join(', ') || '(none yet)'}`;

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
  const suite = (() => {
    try {
      return getSuite(values.suite);
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
  const configs = suite
    .configs()
    .filter((c) => !values.configs || c.label.includes(values.configs))
    .map((c) => (dtype ? { ...c, input: { ...c.input, kvDtype: dtype as KvDtype } } : c))
    .map((c) =>
      wanted ? { ...c, variants: c.variants.filter((v) => wanted.some((w) => variantLabel(v).includes(w))) } : c,
    );
  if (configs.length === 0) throw new UsageError(`--configs: no config of ${suite.name} matches "${values.configs}"`);
  if (configs.every((c) => c.variants.length === 0))
    throw new UsageError(`--variants: no variant of ${suite.name} matches "${values.variants}"`);
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
    log(`suite ${suite.name}: ${suite.description}`);
    const ceiling = ceilingMib > 0 ? await measureBandwidth(gpu, { bytes: ceilingMib * 2 ** 20, runs: 20 }) : null;
    if (ceiling) {
      log(
        `streaming-read ceiling: ${ceiling.gbPerS.toFixed(0)} GB/s (${formatBytes(ceiling.bytes)} read, median of ${ceiling.timing.runs}, ${ceiling.clock})`,
      );
    }
    const fixedCosts = values.overhead ? await measureFixedCosts(gpu) : null;
    if (fixedCosts) {
      const parts = Object.entries(fixedCosts.medianMs).map(([k, ms]) => `${k} ${(ms * 1000).toFixed(1)} µs`);
      log(`fixed costs (median, ${fixedCosts.clock}): ${parts.join('; ')}`);
    }
    const withCeiling = (r: BenchResultFile): BenchResultFile => ({
      ...r,
      ...(ceiling ? { bandwidthCeilingGBps: ceiling.gbPerS } : {}),
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
      suiteResult = await runSuite(
        gpu,
        suite,
        settings,
        {
          source: 'cli',
          onEntry: (e) => {
            log(entryLine(e));
            done.push(e);
            save(partial());
          },
        },
        configs,
      );
    } catch (e) {
      await writing.catch(() => {});
      if (out !== undefined && done.length > 0) log(`the run stopped: ${done.length} finished entries are in ${out}`);
      throw e;
    }
    const result = withCeiling(suiteResult);
    log(`clock: ${result.clock}`);
    log(
      formatTable(
        ['config', 'variant', 'ran', 'median ms', 'p10', 'p90', 'runs', 'GB/s', '% ceiling', 'TFLOP/s', 'check'],
        result.entries.map((e) => entryRow(e, ceiling?.gbPerS)),
      ),
    );
    if (out !== undefined) {
      save(result);
      await writing;
      log(`results written to ${out}`);
    }
    const bad = result.entries.some((e) => e.status === 'failed' || e.checks?.some((c) => !c.pass));
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
