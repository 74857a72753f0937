import { roundToF16 } from './f16';
import { createPrng, type Prng } from './prng';
import { type ProblemData, type ProblemSpec, qElements, type SegmentKV, segmentElements } from './problem';

/**
 * Random tensors for a problem, reproducible from (spec, seed).
 *
 * Draw order (fixed; changing it changes every generated problem):
 *   1. q, all [B, headsQ, Lq, D] elements in row-major order;
 *   2. for each segment in spec.segments order: its k, then its v, each [headsKV, length, D] row-major.
 * Every value is uniform in [-1, 1). For kvDtype 'f16', K and V are rounded to the nearest f16, so
 * the data holds exactly what the GPU will see. Q stays f32.
 */
export function generateProblemData(spec: ProblemSpec, seed: number): ProblemData {
  const rng = createPrng(seed);
  const q = fill(rng, qElements(spec), false);
  const f16 = spec.kvDtype === 'f16';
  const kv = new Map<string, SegmentKV>();
  for (const s of spec.segments) {
    const n = segmentElements(spec, s);
    const k = fill(rng, n, f16);
    const v = fill(rng, n, f16);
    kv.set(s.id, { k, v });
  }
  return { spec, q, kv };
}

function fill(rng: Prng, n: number, f16: boolean): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = rng.uniform(-1, 1);
    a[i] = f16 ? roundToF16(x) : x;
  }
  return a;
}
