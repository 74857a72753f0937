import { parseArgs } from 'node:util';
import { getSuite, suites } from '../../benches/suites';
import { measureBandwidth } from '../bench/bandwidth';
import {
  type BenchEntry,
  type BenchResultFile,
  type BenchSettings,
  RESULT_SCHEMA,
  RESULT_VERSION,
} from '../bench/result';
import { defaultSettings, describeDevice, runSuite, variantLabel } from '../bench/runner';
import { timingWarnings } from '../bench/stats';
import { ceilingPercent } from '../bench/unique-bytes';
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
        [--max-runs N] [--budget-ms N] [--check-rows N] [--ceiling-mib N|auto] [--dawn <flag>]...

  --configs        keep the configs with exactly these labels (\`suites\` lists them)
  --config-index   keep the configs at these positions, counted from 1
  --variants       keep the variants whose label contains one of the comma-separated substrings
  --ceiling-mib    MiB read by the streaming-read kernel that measures the bandwidth ceiling before the
                   suite (default auto: 1024, 64 on a software adapter such as SwiftShader, capped at
                   the device's buffer limits and halved if it cannot be allocated, said when so; an
                   explicit size over the limits is refused; 0 skips it). % ceil is each entry's unique
                   bytes (each byte of the problem once) per second against it; GB/s counts logical bytes.

  --out is checked before any GPU work and rewritten (atomically) after every finished entry, so
  a run that stops keeps what it measured.

  suites: ${suites.map((s) => s.name).join(', ') || '(none yet)'}`;

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
  const auto = ceilingFlag === undefined || ceilingFlag === 'auto';
  const ceilingMib = auto ? undefined : wholeNumberArg('ceiling-mib', ceilingFlag, 1024, 0, MAX_CEILING_MIB);
  const dtype = values['kv-dtype'];
  if (dtype !== undefined && dtype !== 'f32' && dtype !== 'f16') {
    throw new UsageError(`--kv-dtype must be f32 or f16 (got ${dtype})`);
  }
  const wanted = values.variants?.split(',').filter((w) => w !== '');
  const configs = selectConfigs(suite.configs(), suite.name, values.configs, values['config-index'])
    .map((c) => (dtype ? { ...c, input: { ...c.input, kvDtype: dtype as KvDtype } } : c))
    .map((c) =>
      wanted ? { ...c, variants: c.variants.filter((v) => wanted.some((w) => variantLabel(v).includes(w))) } : c,
    );
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
    if (ceilingMib !== undefined && ceilingMib * 2 ** 20 > limit)
      throw new UsageError(
        `--ceiling-mib ${ceilingMib} is over this device's buffer limit (min of maxStorageBufferBindingSize and maxBufferSize: ${Math.floor(limit / 2 ** 20)} MiB)`,
      );
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
    const withCeiling = (r: BenchResultFile): BenchResultFile =>
      ceiling ? { ...r, bandwidthCeilingGBps: ceiling.gbPerS } : r;
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
    log(resultTable(result.entries, ceiling?.gbPerS));
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
export function resultTable(entries: readonly BenchEntry[], ceilingGBps: number | undefined): string {
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
      check,
    ];
  });
  const table = formatTable(
    ['config', 'variant', 'median ms', 'p10', 'p90', 'runs', 'GB/s', 'uniq GB/s', '% ceil', 'TFLOP/s', 'check'],
    rows,
  );
  const legend =
    "GB/s: logical bytes (the kernel's own traffic); uniq GB/s and % ceil: unique bytes (each byte of the problem once).";
  return [table, legend, ...notes.map((n, i) => `[${i + 1}] ${n}`)].join('\n');
}

function entryLine(e: BenchEntry): string {
  if (e.status !== 'ok' || !e.timing) return `  ${e.config} ${e.label}: ${e.status} (${e.reason})`;
  return `  ${e.config} ${e.label}: median ${num(e.timing.medianMs)} ms, ${num(e.gbPerS)} GB/s, ${num(e.tflopPerS)} TFLOP/s, ${checkCell(e)}`;
}
