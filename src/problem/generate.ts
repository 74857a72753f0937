import { type HashKv, hashSeed } from './hash-kv';
import { createPrng, type Prng } from './prng';
import { type ProblemData, type ProblemSpec, qElements, type SegmentKV, segmentElements } from './problem';

/** Where K/V come from: drawn on the host (the default), or a hash the GPU evaluates (hash-kv.ts). */
export type KvSource = 'host' | 'hash';

/**
 * Random tensors for a problem, reproducible from (spec, seed).
 *
 * Draw order (fixed; changing it changes every generated problem):
 *   1. q, all [B, headsQ, Lq, D] elements in row-major order;
 *   2. for each segment in spec.segments order: its k, then its v, each [headsKV, length, D] row-major.
 * Every value is uniform in [-1, 1). For kvDtype 'f16', K and V are rounded to the nearest f16, so
 * the data holds exactly what the GPU will see. Q stays f32.
 *
 * With `kvSource` 'hash', q is drawn as above and every segment's K/V is instead the hash of
 * hash-kv.ts with seed hashSeed(seed, segment index) (ProblemData.kvHashed; `kv` is empty), values
 * f16-exact in [-1, 1): seconds of host work become none, whatever the K/V's size.
 */
export function generateProblemData(spec: ProblemSpec, seed: number, kvSource: KvSource = 'host'): ProblemData {
  const rng = createPrng(seed);
  const q = fill(rng, qElements(spec), false);
  if (kvSource === 'hash') {
    const kvHashed = new Map<string, HashKv>(
      spec.segments.map((s, i) => [s.id, { kind: 'hash', seed: hashSeed(seed, i) }] as const),
    );
    return { spec, q, kv: new Map(), kvHashed };
  }
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

/** Draws per fillU32 call: large enough to amortize it, small enough to stay in cache. */
const CHUNK = 1 << 14;
const TWO_31 = 2 ** 31;
/** POW2[k] = 2^(k - 64), exact. */
const POW2 = Float64Array.from({ length: 128 }, (_, k) => 2 ** (k - 64));

/**
 * n draws of rng.uniform(-1, 1), rounded to f16 when asked: the same values as
 * `roundToF16(rng.uniform(-1, 1))` one by one, computed without a call per value (big problems
 * draw billions). A draw k in [0, 2^32) is x = (k - 2^31) / 2^31 exactly.
 */
function fill(rng: Prng, n: number, f16: boolean): Float32Array {
  const a = new Float32Array(n);
  const draws = new Uint32Array(Math.min(CHUNK, n));
  for (let start = 0; start < n; start += CHUNK) {
    const d = start + CHUNK <= n ? draws : draws.subarray(0, n - start);
    rng.fillU32(d);
    if (f16) for (let i = 0; i < d.length; i++) a[start + i] = drawToF16(d[i]);
    else for (let i = 0; i < d.length; i++) a[start + i] = ((d[i] ^ 0x80000000) | 0) / TWO_31;
  }
  return a;
}

/**
 * The f16 value nearest to the draw's x = j / 2^31, j = k - 2^31 in [-2^31, 2^31), ties to even:
 * equal to roundToF16(x) (test/unit/generate.test.ts compares them), in int32 steps. |j| < 2^17 is
 * below f16's smallest normal 2^-14: a multiple of 2^-24 = 2^7 / 2^31. Otherwise 11 significant bits
 * of |j| are kept (a carry to 2^11 is the next power of two, also exact).
 */
export function drawToF16(k: number): number {
  const j = (k ^ 0x80000000) | 0;
  const s = j >> 31; // -1 for negative j, else 0
  const a = ((j ^ s) - s) >>> 0; // |j|, 2^31 for j = -2^31
  const shift = a < 131072 ? 7 : 21 - Math.clz32(a); // (31 - clz32(a)) - 10 significant bits
  const q = a >>> shift;
  const r = a & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  const m = q + (r > half || (r === half && (q & 1) === 1) ? 1 : 0);
  const v = m * POW2[shift - 31 + 64];
  return s ? -v : v;
}
