import type { BenchConfig, BenchSuite, BenchVariant } from '../../benches/suite';
import type { GpuContext } from '../gpu/context';
import type { PassOpener } from '../gpu/pass-opener';
import { createTimer, type GpuTimer, MAX_TIMED_PASSES } from '../gpu/timer';
import { uniqueBytes } from '../kernels/cost';
import type { PreparedKernel } from '../kernels/kernel';
import { generateProblemData } from '../problem/generate';
import { specToInput } from '../problem/problem';
import { resolveProblem } from '../problem/validate';
import { sampleReference } from './check';
import { checkKernels } from './check-kernels';
import {
  type BenchEntry,
  type BenchResultFile,
  type BenchSettings,
  type DeviceReport,
  RESULT_SCHEMA,
  RESULT_VERSION,
} from './result';
import { summarize } from './stats';

/**
 * Runs benchmark suites: for each config and variant, prepare, check the output (against the f64
 * reference on sampled rows and against the suite's first variant), warm up by time, then time
 * runs until both a minimum count and a time budget are reached. Used by the CLI and the page.
 */

export const defaultSettings: BenchSettings = {
  seed: 1,
  warmupMs: 500,
  minRuns: 20,
  maxRuns: 500,
  budgetMs: 1500,
  minSampleMs: 1,
  checkRows: 64,
};

export interface BenchProgress {
  readonly configIndex: number;
  readonly configCount: number;
  readonly config: string;
  readonly variantIndex: number;
  readonly variantCount: number;
  readonly label: string;
  readonly phase: 'generate' | 'prepare' | 'check' | 'warmup' | 'timing' | 'done';
  readonly run: number;
  readonly runs: number;
}

export interface BenchHooks {
  readonly onProgress?: (p: BenchProgress) => void;
  /** Called with each finished entry, in order. */
  readonly onEntry?: (e: BenchEntry) => void;
  readonly signal?: AbortSignal;
  /** "cli" or "page". */
  readonly source?: string;
}

export class BenchCancelled extends Error {
  override name = 'BenchCancelled';
  constructor() {
    super('benchmark cancelled');
  }
}

export function describeDevice(gpu: GpuContext): DeviceReport {
  const l = gpu.limits;
  return {
    adapter: gpu.adapter,
    features: gpu.features,
    limits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
    subgroupMinSize: gpu.subgroupMinSize,
    subgroupMaxSize: gpu.subgroupMaxSize,
  };
}

export const variantLabel = (v: BenchVariant): string => v.label ?? v.kernel;

/** A result file of a suite's entries on this device (the attention and the matrix-product runners). */
export function resultFile(
  gpu: GpuContext,
  clock: BenchResultFile['clock'],
  settings: BenchSettings,
  suite: Pick<BenchSuite, 'name' | 'description' | 'axis'>,
  entries: BenchEntry[],
  source = 'cli',
): BenchResultFile {
  return {
    schema: RESULT_SCHEMA,
    version: RESULT_VERSION,
    createdAt: new Date().toISOString(),
    source,
    device: describeDevice(gpu),
    clock,
    settings,
    suite: { name: suite.name, description: suite.description, axis: { ...suite.axis } },
    entries,
  };
}

/** Run every config of a suite. */
export async function runSuite(
  gpu: GpuContext,
  suite: BenchSuite,
  settings: BenchSettings = defaultSettings,
  hooks: BenchHooks = {},
  configs: readonly BenchConfig[] = suite.configs(),
): Promise<BenchResultFile> {
  const timer = createTimer(gpu);
  const entries: BenchEntry[] = [];
  try {
    for (let c = 0; c < configs.length; c++) {
      const got = await runConfig(gpu, timer, configs[c], settings, hooks, c, configs.length);
      entries.push(...got);
    }
  } finally {
    timer.destroy();
  }
  return resultFile(gpu, timer.clock, settings, suite, entries, hooks.source);
}

/** Run all variants of one config. */
export async function runConfig(
  gpu: GpuContext,
  timer: GpuTimer,
  config: BenchConfig,
  settings: BenchSettings,
  hooks: BenchHooks,
  configIndex = 0,
  configCount = 1,
): Promise<BenchEntry[]> {
  const progress = (variantIndex: number, label: string, phase: BenchProgress['phase'], run = 0, runs = 0) =>
    hooks.onProgress?.({
      configIndex,
      configCount,
      config: config.label,
      variantIndex,
      variantCount: config.variants.length,
      label,
      phase,
      run,
      runs,
    });
  const cancelled = () => {
    if (hooks.signal?.aborted) throw new BenchCancelled();
  };

  progress(0, '', 'generate');
  const spec = resolveProblem(config.input);
  const data = generateProblemData(spec, settings.seed, config.kvSource);
  const reference = sampleReference(data, settings.checkRows);
  const entries: BenchEntry[] = [];
  let timing: NonNullable<BenchEntry['timing']> | undefined;

  await checkKernels(
    gpu,
    data,
    config.variants.map((v) => ({ kernel: v.kernel, options: v.options, label: variantLabel(v) })),
    {
      reference,
      signal: hooks.signal,
      progress: (v, phase) => {
        cancelled();
        progress(v, variantLabel(config.variants[v]), phase);
      },
      whilePrepared: async (prepared, _check, v) => {
        timing = undefined;
        timing = await timeKernel(timer, prepared, settings, hooks, (run, runs, phase) =>
          progress(v, variantLabel(config.variants[v]), phase, run, runs),
        );
      },
      onResult: (check, output, v) => {
        const variant = config.variants[v];
        const base = {
          config: config.label,
          axisValue: config.axisValue,
          problem: specToInput(spec),
          label: check.label,
          kernel: variant.kernel,
          options: variant.options ?? {},
        };
        if (check.status !== 'ok') {
          entries.push(finish(hooks, { ...base, status: check.status, reason: check.reason }));
          return;
        }
        // An ok check ran (output) and was timed (whilePrepared threw otherwise, failing it).
        if (!output || !timing) throw new Error(`${check.label}: checked but not timed`);
        const seconds = timing.medianMs / 1000;
        entries.push(
          finish(hooks, {
            ...base,
            ran: output.variant,
            status: 'ok',
            timing,
            bytesMoved: output.cost.bytesMoved,
            uniqueBytes: output.cost.uniqueBytes ?? uniqueBytes(spec),
            flops: output.cost.flops,
            gbPerS: output.cost.bytesMoved / seconds / 1e9,
            tflopPerS: output.cost.flops / seconds / 1e12,
            checks: check.checks,
          }),
        );
      },
    },
  );
  progress(config.variants.length - 1, '', 'done');
  return entries;
}

function finish(hooks: BenchHooks, e: BenchEntry): BenchEntry {
  hooks.onEntry?.(e);
  return e;
}

/** Warm-up runs kept in a result (the first ones: where a ramp shows). */
const MAX_RECORDED_WARMUP = 500;
const round4 = (x: number) => Number(x.toPrecision(4));

/** Milliseconds of GPU work one timed submission aims for: long enough that the GPU stays busy, short enough to stay responsive. */
const BATCH_MS = 50;

/**
 * Warm up by time, choose repetitions per sample, then time until minRuns and the budget are met.
 * Samples are submitted in batches of back-to-back runs (each timed on its own), so the GPU does not
 * idle between samples while the CPU reads results back. Also times the matrix products of
 * matrix-product suites (src/bench/matmul/runner.ts), which only need `encode`.
 */
export async function timeKernel(
  timer: GpuTimer,
  prepared: Pick<PreparedKernel, 'encode'>,
  settings: BenchSettings,
  hooks: BenchHooks,
  progress: (run: number, runs: number, phase: 'warmup' | 'timing') => void,
): Promise<NonNullable<BenchEntry['timing']>> {
  let passesPerRep = 0;
  const record = (reps: number) => (encoder: GPUCommandEncoder, openPass: PassOpener) => {
    let passes = 0;
    const counting: PassOpener = (label) => {
      passes++;
      return openPass(label);
    };
    for (let r = 0; r < reps; r++) prepared.encode(encoder, counting);
    passesPerRep = passes / reps;
  };
  /** Runs of `msEach` that fill one batch, within the pass limit and `left`. */
  const batchOf = (msEach: number, passesEach: number, left: number) =>
    Math.max(
      1,
      Math.min(
        left,
        Math.floor(MAX_TIMED_PASSES / Math.max(1, passesEach)),
        Math.ceil(BATCH_MS / Math.max(msEach, 1e-3)),
      ),
    );

  const warmStart = performance.now();
  let single = Number.POSITIVE_INFINITY;
  let warmRuns = 0;
  const warmupSamples: number[] = [];
  while (warmRuns < 2 || performance.now() - warmStart < settings.warmupMs) {
    if (hooks.signal?.aborted) throw new BenchCancelled();
    const count = warmRuns === 0 ? 1 : batchOf(single, passesPerRep, Number.POSITIVE_INFINITY);
    for (const t of await timer.timeSamples(record(1), count)) {
      single = Math.min(single, t);
      if (warmupSamples.length < MAX_RECORDED_WARMUP) warmupSamples.push(t);
    }
    warmRuns += count;
    progress(warmRuns, 0, 'warmup');
  }
  const warmupMs = performance.now() - warmStart;
  const maxReps = Math.max(1, Math.floor(MAX_TIMED_PASSES / Math.max(1, passesPerRep)));
  const reps = Math.min(maxReps, Math.max(1, Math.ceil(settings.minSampleMs / Math.max(single, 1e-4))));

  const samples: number[] = [];
  const batches: number[] = [];
  const start = performance.now();
  while (
    samples.length < settings.minRuns ||
    (samples.length < settings.maxRuns && performance.now() - start < settings.budgetMs)
  ) {
    if (hooks.signal?.aborted) throw new BenchCancelled();
    const count = batchOf(single * reps, passesPerRep * reps, settings.maxRuns - samples.length);
    for (const t of await timer.timeSamples(record(reps), count)) samples.push(t / reps);
    batches.push(count);
    progress(samples.length, settings.minRuns, 'timing');
  }
  return {
    ...summarize(samples),
    repsPerRun: reps,
    warmupMs,
    warmupSamplesMs: warmupSamples.map(round4),
    samplesMs: samples.map(round4),
    batches,
  };
}
