import type { MatrixProductConfig, MatrixProductSuite } from '../../../benches/suite';
import type { GpuContext } from '../../gpu/context';
import { GpuError } from '../../gpu/errors';
import { createTimer, type GpuTimer } from '../../gpu/timer';
import type { BenchEntry, BenchResultFile, BenchSettings, CheckSummary } from '../result';
import { BenchCancelled, type BenchHooks, defaultSettings, resultFile, timeKernel } from '../runner';
import { checkEntries, referenceEntries, sampleEntries } from './inputs';
import { type PreparedMatmul, prepareMatmul } from './prepare';
import { getMatmulVariant, inputsOf, matmulUnsupported } from './variants';

/**
 * Runs matrix-product suites (benches/matmul-ceiling.ts) into the same result file as the attention
 * suites, so the page charts them and the CLI prints them alike. A runner of its own rather than a
 * kernel in the attention registry: runner.ts's runConfig generates an attention problem, its f64
 * reference and kernel-to-kernel comparisons, none of which a matrix product has; what is shared
 * (the device report, warm-up and timing, the result format) is imported from runner.ts and
 * result.ts, not repeated. A product's check: `4 x settings.checkRows` sampled entries of C against
 * the CPU (src/bench/matmul/inputs.ts), exact up to rounding.
 */

/** Entries of C checked per product, for a settings.checkRows. */
export const checkedEntries = (settings: BenchSettings): number => Math.max(1, settings.checkRows) * 4;

export async function runMatrixProductSuite(
  gpu: GpuContext,
  suite: MatrixProductSuite,
  settings: BenchSettings = defaultSettings,
  hooks: BenchHooks = {},
  configs: readonly MatrixProductConfig[] = suite.configs(),
): Promise<BenchResultFile> {
  const timer = createTimer(gpu);
  const entries: BenchEntry[] = [];
  try {
    for (let c = 0; c < configs.length; c++)
      entries.push(...(await runSizes(gpu, timer, configs[c], settings, hooks, c, configs.length)));
  } finally {
    timer.destroy();
  }
  return resultFile(gpu, timer.clock, settings, suite, entries, hooks.source);
}

async function runSizes(
  gpu: GpuContext,
  timer: GpuTimer,
  config: MatrixProductConfig,
  settings: BenchSettings,
  hooks: BenchHooks,
  configIndex: number,
  configCount: number,
): Promise<BenchEntry[]> {
  const size = config.size;
  const sampled = sampleEntries(size, checkedEntries(settings));
  let reference: Float64Array | undefined;
  const out: BenchEntry[] = [];
  for (let v = 0; v < config.variants.length; v++) {
    if (hooks.signal?.aborted) throw new BenchCancelled();
    const variant = getMatmulVariant(config.variants[v]);
    const progress = (phase: 'prepare' | 'check' | 'warmup' | 'timing', run = 0, runs = 0) =>
      hooks.onProgress?.({
        configIndex,
        configCount,
        config: config.label,
        variantIndex: v,
        variantCount: config.variants.length,
        label: variant.name,
        phase,
        run,
        runs,
      });
    const base = {
      config: config.label,
      axisValue: config.axisValue,
      problem: { matmul: { ...size, inputs: inputsOf(variant) } },
      label: variant.name,
      kernel: 'matmul',
      options: {},
    };
    const finish = (e: BenchEntry) => {
      hooks.onEntry?.(e);
      out.push(e);
    };
    const why = matmulUnsupported(variant, gpu, size);
    if (why) {
      finish({ ...base, status: 'skipped', reason: why });
      continue;
    }
    progress('prepare');
    let prepared: PreparedMatmul | undefined;
    try {
      try {
        prepared = await prepareMatmul(gpu, variant, size);
      } catch (e) {
        if (e instanceof GpuError && !gpu.isLost) {
          finish({ ...base, status: 'skipped', reason: (e as Error).message });
          continue;
        }
        throw e;
      }
      progress('check');
      const run = prepared;
      await timer.time((encoder, openPass) => run.encode(encoder, openPass));
      reference ??= referenceEntries(size, sampled);
      const check: CheckSummary = checkEntries(sampled, reference, await prepared.read(sampled));
      const timing = await timeKernel(timer, prepared, settings, hooks, (r, runs, phase) => progress(phase, r, runs));
      const seconds = timing.medianMs / 1000;
      finish({
        ...base,
        ran: prepared.ran,
        status: 'ok',
        timing,
        bytesMoved: prepared.cost.bytesMoved,
        flops: prepared.cost.flops,
        gbPerS: prepared.cost.bytesMoved / seconds / 1e9,
        tflopPerS: prepared.cost.flops / seconds / 1e12,
        checks: [check],
      });
    } catch (e) {
      if (e instanceof BenchCancelled || gpu.isLost) throw e;
      finish({ ...base, status: 'failed', reason: (e as Error).message });
    } finally {
      prepared?.destroy();
    }
  }
  hooks.onProgress?.({
    configIndex,
    configCount,
    config: config.label,
    variantIndex: config.variants.length - 1,
    variantCount: config.variants.length,
    label: '',
    phase: 'done',
    run: 0,
    runs: 0,
  });
  return out;
}
