import type { GpuContext } from '../../gpu/context';
import { GpuError } from '../../gpu/errors';
import { createTimer } from '../../gpu/timer';
import type { MatmulCeilingRecord } from '../result';
import { summarize } from '../stats';
import { checkEntries, referenceEntries, sampleEntries } from './inputs';
import { prepareMatmul } from './prepare';
import {
  BEST_SUBGROUP_MATRIX,
  F32_FMA,
  type MatmulSize,
  type MatmulVariant,
  matmulShapeError,
  matmulUnsupported,
} from './variants';

/**
 * The compute ceiling, measured on the spot beside the streaming-read one (bandwidth.ts): the best
 * subgroup-matrix product of the ladder (f16 in, f32 accumulate) on a square size, or the f32 FMA
 * product where the device offers no subgroup matrices (the record says which). Kernels' TFLOP/s
 * are quoted as a percentage of it. Inputs are written on the GPU and the result is checked on
 * sampled entries before it is timed: a wrong product is an error, not a ceiling.
 *
 * Timing: repeated products until `warmupMs` have passed (GPUs start at idle clocks), then `runs`
 * samples of a pass of several back-to-back products (at least 2 ms a sample; after 3 samples, no
 * more than a second of them); the ceiling is taken from the fastest sample, as the bandwidth
 * ceiling is. At 4096³ on an H200 that is about 0.4 s of warm-up and 20 products of 1 ms.
 */

export interface MatmulCeilingOptions {
  /** M = N = K; default 4096. */
  readonly size?: number;
  readonly warmupMs?: number;
  /** Timed samples; default 10. */
  readonly runs?: number;
  /** Entries of C checked against the CPU; default 64. */
  readonly checkEntries?: number;
  readonly signal?: AbortSignal;
}

export const DEFAULT_CEILING_SIZE = 4096;
/** The largest size the flag and the URL take (C alone is 16 GiB there); the device's limits are checked once it is known. */
export const MAX_CEILING_SIZE = 65536;
/** On a software adapter (SwiftShader), where 4096³ would take minutes and timings mean little. */
export const FALLBACK_CEILING_SIZE = 256;
const SAMPLING_BUDGET_MS = 1000;
const CANDIDATES: readonly MatmulVariant[] = [BEST_SUBGROUP_MATRIX, F32_FMA];

/** Why a ceiling of this size cannot be measured on any device (checked before any GPU work); null when it can. */
export function ceilingSizeError(size: number): string | null {
  const s = { m: size, n: size, k: size };
  const errors = CANDIDATES.map((v) => matmulShapeError(v, s));
  return errors.find((e) => e !== null) ?? null;
}

/** The variant the ceiling runs on this device at this size, or a GpuError naming why none can. */
export function ceilingVariant(gpu: GpuContext, s: MatmulSize): MatmulVariant {
  const why: string[] = [];
  for (const v of CANDIDATES) {
    const no = matmulUnsupported(v, gpu, s);
    if (no === null) return v;
    why.push(`${v.name}: ${no}`);
  }
  throw new GpuError(`no matrix product for the compute ceiling runs here (${why.join('; ')})`);
}

export async function measureMatmulCeiling(
  gpu: GpuContext,
  opts: MatmulCeilingOptions = {},
): Promise<MatmulCeilingRecord> {
  const n = opts.size ?? DEFAULT_CEILING_SIZE;
  const size = { m: n, n, k: n };
  const shape = ceilingSizeError(n);
  if (shape) throw new GpuError(`compute ceiling: ${shape}`);
  const variant = ceilingVariant(gpu, size);
  const prepared = await prepareMatmul(gpu, variant, size);
  const timer = createTimer(gpu);
  try {
    const entries = sampleEntries(size, opts.checkEntries ?? 64);
    const once = (reps: number) =>
      timer.time((_encoder, openPass) => {
        const pass = openPass(`matmul ceiling ${variant.name}`);
        for (let r = 0; r < reps; r++) prepared.dispatch(pass);
        pass.end();
      });
    const first = await once(1);
    const check = checkEntries(entries, referenceEntries(size, entries), await prepared.read(entries));
    if (!check.pass)
      throw new GpuError(`compute ceiling: ${variant.name} at ${n}³ disagrees with the CPU reference (${check.worst})`);

    const warmupMs = opts.warmupMs ?? 400;
    const start = performance.now();
    let fastest = first;
    while (performance.now() - start < warmupMs) {
      if (opts.signal?.aborted) break;
      // About 50 ms of work a submission, so the GPU stays busy between them.
      const reps = Math.max(1, Math.min(64, Math.ceil(50 / Math.max(fastest, 0.01))));
      fastest = Math.min(fastest, (await once(reps)) / reps);
    }
    const reps = Math.max(1, Math.min(64, Math.ceil(2 / Math.max(fastest, 0.01))));
    const samples: number[] = [];
    const timed = performance.now();
    for (let i = 0; i < (opts.runs ?? 10); i++) {
      if (opts.signal?.aborted) break;
      // A slow device (a software adapter) stops after 3 samples once a second has passed.
      if (samples.length >= 3 && performance.now() - timed > SAMPLING_BUDGET_MS) break;
      samples.push((await once(reps)) / reps);
    }
    if (samples.length === 0) samples.push(first);
    const timing = summarize(samples);
    return {
      tflops: prepared.cost.flops / (timing.minMs / 1000) / 1e12,
      variant: variant.name,
      ran: prepared.ran,
      kind: variant.tiling.kind,
      size: n,
      clock: timer.clock,
      repsPerRun: reps,
      timing,
      check,
    };
  } finally {
    timer.destroy();
    prepared.destroy();
  }
}
