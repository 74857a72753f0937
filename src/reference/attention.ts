import { hashRows } from '../problem/hash-kv';
import { groupSize, lseElements, type ProblemData, sequenceLengths, visibleKeys } from '../problem/problem';

/** The f64 reference: o and lse, and per element of o the magnitude of the values it sums. */
export interface ReferenceResult {
  readonly o: Float64Array;
  readonly lse: Float64Array;
  readonly oMagnitude: Float64Array;
}

/**
 * Exact attention in f64, straight from the definition. For sequence b, query head h and query i:
 *   KV head   g = floor(h / (headsQ / headsKV))
 *   keys      the concatenation of the sequence's segments (head g), L in all
 *   visible   the first visibleKeys(spec, L, i) keys (all when not causal; causal: positions <= L - Lq + i)
 *   s_j       = scale * (q · k_j)
 *   m         = max_j s_j,  sum = Σ_j exp(s_j - m)
 *   o         = Σ_j exp(s_j - m) v_j / sum
 *   lse       = m + ln(sum)   (natural log)
 *   oMagnitude = Σ_j exp(s_j - m) |v_j| / sum: the size of the values o sums, which bounds how far
 *               f32 (or f16) rounding can move o (compare.ts scales its tolerance with it)
 * Layouts as in problem.ts: o [B, headsQ, Lq, D], lse [B, headsQ, Lq].
 * Hash-generated segments (data.kvHashed) are evaluated on the spot, one KV head's rows at a time.
 */
export function referenceAttention(data: ProblemData): ReferenceResult {
  return referenceRows(data, null);
}

/**
 * The reference for selected output rows only (row = (b * headsQ + h) * Lq + i), in the order given;
 * `rows` null means every row. o is [rows, D], lse is [rows]. Lets benchmarks check problems far too
 * large for a full CPU reference on a sample of rows.
 */
export function referenceRows(data: ProblemData, rows: readonly number[] | null): ReferenceResult {
  const { spec, q } = data;
  const D = spec.headDim;
  const Lq = spec.queriesPerSeq;
  const Hq = spec.headsQ;
  const group = groupSize(spec);
  const segLen = new Map(spec.segments.map((s) => [s.id, s.length]));
  const lengths = sequenceLengths(spec);
  const totalRows = lseElements(spec);
  const count = rows ? rows.length : totalRows;
  const o = new Float64Array(count * D);
  const lse = new Float64Array(count);
  const oMagnitude = new Float64Array(count * D);
  const scores = new Float64Array(Math.max(1, ...lengths));
  const qrow = new Float64Array(D);
  const acc = new Float64Array(D);
  const accAbs = new Float64Array(D);
  // A segment's K/V for KV head g: [length, D] each at element offset `base` of k and v.
  interface SegmentHead {
    readonly k: Float32Array;
    readonly v: Float32Array;
    readonly length: number;
    readonly base: number;
  }
  // Hashed segments' heads evaluated so far (a few: a sequence's segments for one head), and
  // arrays of past ones to reuse (allocating megabytes a row cost more than the hashing).
  const hashed = new Map<string, SegmentHead>();
  const spare: Float32Array[] = [];
  const take = (n: number): Float32Array => {
    const i = spare.findIndex((a) => a.length === n);
    return i >= 0 ? spare.splice(i, 1)[0] : new Float32Array(n);
  };
  const segmentsOf = (b: number, g: number): SegmentHead[] =>
    spec.sequences[b].map((id) => {
      const length = segLen.get(id) ?? 0;
      const kv = data.kv.get(id);
      if (kv) return { k: kv.k, v: kv.v, length, base: g * length * D };
      const src = data.kvHashed?.get(id);
      if (!src) throw new Error(`referenceAttention: no K/V for segment ${JSON.stringify(id)}`);
      const key = `${g}/${id}`;
      let got = hashed.get(key);
      if (!got) {
        if (hashed.size >= 8) {
          for (const h of hashed.values()) spare.push(h.k, h.v);
          hashed.clear();
          spare.splice(0, Math.max(0, spare.length - 16));
        }
        const k = hashRows(src, 0, g, 0, length, D, take(length * D));
        const v = hashRows(src, 1, g, 0, length, D, take(length * D));
        got = { k, v, length, base: 0 };
        hashed.set(key, got);
      }
      return got;
    });
  let segsOf = '';
  let segs: SegmentHead[] = [];

  for (let r = 0; r < count; r++) {
    const row = rows ? rows[r] : r;
    if (!Number.isInteger(row) || row < 0 || row >= totalRows) throw new Error(`referenceRows: no row ${row}`);
    const i = row % Lq;
    const h = Math.floor(row / Lq) % Hq;
    const b = Math.floor(row / (Lq * Hq));
    const L = lengths[b];
    const g = Math.floor(h / group);
    if (`${b}/${g}` !== segsOf) {
      segs = segmentsOf(b, g);
      segsOf = `${b}/${g}`;
    }
    const qOff = row * D;
    for (let d = 0; d < D; d++) qrow[d] = q[qOff + d];
    const n = visibleKeys(spec, L, i);

    // Scores over the visible keys, walking the segments in order.
    let m = Number.NEGATIVE_INFINITY;
    let j = 0;
    for (const s of segs) {
      if (j >= n) break;
      const take = Math.min(s.length, n - j);
      const base = s.base;
      for (let t = 0; t < take; t++, j++) {
        const kOff = base + t * D;
        let dot = 0;
        for (let d = 0; d < D; d++) dot += qrow[d] * s.k[kOff + d];
        const x = spec.scale * dot;
        scores[j] = x;
        if (x > m) m = x;
      }
    }

    let sum = 0;
    acc.fill(0);
    accAbs.fill(0);
    j = 0;
    for (const s of segs) {
      if (j >= n) break;
      const take = Math.min(s.length, n - j);
      const base = s.base;
      for (let t = 0; t < take; t++, j++) {
        const p = Math.exp(scores[j] - m);
        sum += p;
        const vOff = base + t * D;
        for (let d = 0; d < D; d++) {
          const v = s.v[vOff + d];
          acc[d] += p * v;
          accAbs[d] += p * Math.abs(v);
        }
      }
    }
    for (let d = 0; d < D; d++) {
      o[r * D + d] = acc[d] / sum;
      oMagnitude[r * D + d] = accAbs[d] / sum;
    }
    lse[r] = m + Math.log(sum);
  }
  return { o, lse, oMagnitude };
}
