import type { ProblemData, ProblemSpec } from './problem';

/**
 * K/V computed, not stored: a counter-based hash of (seed, k|v, KV head, token, d), evaluated the
 * same way on the CPU (here: the reference, the tests) and on the GPU (shaders/hash-kv.wgsl, which
 * writes a segment's rows straight into a K/V pool). So a problem whose K/V would fill tens of GB
 * never holds them on the host: the GPU fills its pools, the reference evaluates the rows it checks.
 *
 * The hash is lowbias32 (Chris Wellons' integer mix), u32 arithmetic that JavaScript (Math.imul,
 * >>>) and WGSL compute alike:
 *   rowKey(seed, which, head, token) = mix(mix(mix(seed) ^ (2 head + which)) ^ token)
 *   value(rowKey, d)                 = toValue(mix(rowKey + d * 0x9e3779b9))
 *   toValue(h)                       = ((h >>> 21) - 1024) / 1024
 * with which 0 for K and 1 for V: 2048 values evenly spaced in [-1, 1), each exactly an f16 (so the
 * same data serves f32 and f16 problems, and the GPU writes f16 without rounding).
 *
 * A segment's seed comes from the problem's seed and the segment's index (hashSeed), so two segments
 * of one problem never share values, and neither the segment's length nor headsKV enters a value.
 */

/** A segment whose K/V are this hash (ProblemData.kvHashed). */
export interface HashKv {
  readonly kind: 'hash';
  /** u32. */
  readonly seed: number;
}

const GOLDEN = 0x9e3779b9;
const INV_1024 = 1 / 1024;

/** lowbias32: a u32 to u32 bijection with good avalanche. */
export function hashMix(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The key of one row (one token of one KV head of K or V) of a hashed segment. */
export function hashRowKey(seed: number, which: 0 | 1, head: number, token: number): number {
  return hashMix(hashMix(hashMix(seed) ^ (2 * head + which)) ^ token);
}

/** Element d of the row with key `rowKey`. */
export function hashValue(rowKey: number, d: number): number {
  return ((hashMix(rowKey + Math.imul(d, GOLDEN)) >>> 21) - 1024) / 1024;
}

/** A segment's seed from the problem's seed and the segment's index in spec.segments. */
export function hashSeed(problemSeed: number, segmentIndex: number): number {
  return hashMix(hashMix(problemSeed >>> 0) + segmentIndex + 1);
}

/**
 * Rows token0 .. token0 + count - 1 of KV head `head` of K (which 0) or V (1), [count, D], into
 * `out` (allocated when absent).
 */
export function hashRows(
  src: HashKv,
  which: 0 | 1,
  head: number,
  token0: number,
  count: number,
  headDim: number,
  out: Float32Array = new Float32Array(count * headDim),
): Float32Array {
  for (let t = 0; t < count; t++) {
    const key = hashRowKey(src.seed, which, head, token0 + t);
    const base = t * headDim;
    let x = key | 0;
    for (let d = 0; d < headDim; d++) {
      // hashMix(key + d * GOLDEN) inlined: this loop runs once per element the reference reads.
      let h = x ^ (x >>> 16);
      h = Math.imul(h, 0x7feb352d);
      h ^= h >>> 15;
      h = Math.imul(h, 0x846ca68b);
      h ^= h >>> 16;
      out[base + d] = ((h >>> 21) - 1024) * INV_1024;
      x = (x + GOLDEN) | 0;
    }
  }
  return out;
}

/** A hashed segment's whole K and V, [headsKV, length, D] each, as stored segments hold them. */
export function materializeHashSegment(
  spec: ProblemSpec,
  src: HashKv,
  length: number,
): { k: Float32Array; v: Float32Array } {
  const D = spec.headDim;
  const k = new Float32Array(spec.headsKV * length * D);
  const v = new Float32Array(spec.headsKV * length * D);
  for (let h = 0; h < spec.headsKV; h++) {
    hashRows(src, 0, h, 0, length, D, k.subarray(h * length * D, (h + 1) * length * D));
    hashRows(src, 1, h, 0, length, D, v.subarray(h * length * D, (h + 1) * length * D));
  }
  return { k, v };
}

/** The same problem with every hashed segment's K/V computed into host arrays (small problems only). */
export function materializeProblem(data: ProblemData): ProblemData {
  if (!data.kvHashed) return data;
  const kv = new Map(data.kv);
  for (const s of data.spec.segments) {
    const src = data.kvHashed.get(s.id);
    if (src) kv.set(s.id, materializeHashSegment(data.spec, src, s.length));
  }
  return { spec: data.spec, q: data.q, kv };
}

/** Why a kernel that reads only host K/V cannot take `data` (some segment's K/V is hashed); null when it can. */
export function hashedKvProblem(data: ProblemData): string | null {
  const first = data.kvHashed?.keys().next();
  if (!first || first.done) return null;
  return `segment "${first.value}" has hash-generated K/V (filled on the GPU, never held on the host), which this kernel does not read; only paged does`;
}
