import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { getSuite, suites } from '../../benches/suites';
import { measureBandwidth } from '../bench/bandwidth';
import type { BenchEntry, BenchResultFile, BenchSettings } from '../bench/result';
import { defaultSettings, runSuite } from '../bench/runner';
import { timingWarnings } from '../bench/stats';
import { ceilingPercent } from '../bench/unique-bytes';
import { formatBytes } from '../gpu/errors';
import type { KvDtype } from '../problem/problem';
import { cliGpu } from './gpu';
import { formatTable, num } from './table';
import { UsageError } from './usage-error';

export const benchUsage = `bench: time a suite's kernels and write the results as JSON (the page can load the file)

  bench --suite <name> [--out <file.json>] [--configs <label>[,<label>...] | --config-index N[,N...]]
        [--seed N] [--kv-dtype f32|f16] [--warmup-ms N] [--min-runs N] [--max-runs N] [--budget-ms N]
        [--check-rows N] [--ceiling-mib N|auto] [--dawn <flag>]...

  --configs        keep the configs with exactly these labels (see \`suites\` for them)
  --config-index   keep the configs at these positions, counted from 1
  --ceiling-mib    MiB read by the streaming-read kernel that measures the bandwidth ceiling before
                   the suite (default auto: 1024, 64 on a software adapter such as SwiftShader;
                   capped at the device's buffer limits, halved if it cannot be allocated; 0 skips
                   it; the output says when it read less than asked). % ceiling is each entry's unique bytes (each byte of the problem once) over
                   its median time, against that ceiling; GB/s is from its logical bytes.

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
      'config-index': { type: 'string' },
      seed: { type: 'string' },
      'kv-dtype': { type: 'string' },
      'warmup-ms': { type: 'string' },
      'min-runs': { type: 'string' },
      'max-runs': { type: 'string' },
      'budget-ms': { type: 'string' },
      'check-rows': { type: 'string' },
      'ceiling-mib': { type: 'string' },
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
  const configs = selectConfigs(suite.configs(), suite.name, values.configs, values['config-index']).map((c) =>
    dtype ? { ...c, input: { ...c.input, kvDtype: dtype as KvDtype } } : c,
  );
  const ceilingArg = values['ceiling-mib'];
  const ceilingBytes =
    ceilingArg === undefined || ceilingArg === 'auto' ? undefined : intArg('ceiling-mib', ceilingArg, 0) * 2 ** 20;

  const gpu = await cliGpu(values.dawn, log);
  try {
    log(`suite ${suite.name}: ${suite.description}`);
    const ceiling = ceilingBytes !== 0 ? await measureBandwidth(gpu, { bytes: ceilingBytes, runs: 20 }) : null;
    if (ceiling) {
      log(
        `streaming-read ceiling: ${num(ceiling.gbPerS)} GB/s (${formatBytes(ceiling.bytes)} read, fastest of ${ceiling.timing.runs}, ${ceiling.clock})`,
      );
      if (ceiling.cappedBy) log(`  asked for ${formatBytes(ceiling.requestedBytes)}: ${ceiling.cappedBy}`);
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
    const result: BenchResultFile = ceiling ? { ...suiteResult, bandwidthCeilingGBps: ceiling.gbPerS } : suiteResult;
    log(`clock: ${result.clock}`);
    log(resultTable(result.entries, ceiling?.gbPerS));
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
  if (!e.checks) return '';
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
