import type { AttentionResult } from '../problem/problem';

/**
 * Exact merge of partial attention results: the reference for the GPU merge kernels.
 *
 * Attention over keys split into disjoint parts P_1..P_n, each part giving (o_i, lse_i) with
 * lse_i = ln Σ_{j in P_i} exp(s_j) (natural log, scores include the scale), equals
 *   m   = max_i lse_i
 *   w_i = exp(lse_i - m)
 *   o   = Σ_i w_i o_i / Σ_i w_i
 *   lse = m + ln Σ_i w_i
 * A part with no keys has lse = -Infinity and weight 0; its o is ignored (it may be NaN). With every
 * part empty the result is o = 0, lse = -Infinity. Subtracting m keeps every weight in [0, 1] with
 * at least one equal to 1, so parts whose LSEs are far apart (80 or 1e4) never overflow or give NaN.
 */
export function mergePartials(
  parts: readonly { o: ArrayLike<number>; lse: number }[],
  headDim: number,
): { o: Float64Array; lse: number } {
  const o = new Float64Array(headDim);
  const lse = mergeRow(
    parts.length,
    (i) => parts[i].lse,
    (i, d) => parts[i].o[d],
    headDim,
    o,
    0,
  );
  return { o, lse };
}

/**
 * Merge whole results row by row: every part is an AttentionResult over the same `rows` rows
 * (o [rows, headDim], lse [rows]), each over a disjoint share of the keys.
 */
export function mergeResults(
  parts: readonly AttentionResult[],
  rows: number,
  headDim: number,
): { o: Float64Array; lse: Float64Array } {
  parts.forEach((p, i) => {
    if (p.o.length !== rows * headDim || p.lse.length !== rows)
      throw new Error(
        `mergeResults: part ${i} has o of ${p.o.length} and lse of ${p.lse.length} elements; expected ${rows * headDim} and ${rows}`,
      );
  });
  const o = new Float64Array(rows * headDim);
  const lse = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    lse[r] = mergeRow(
      parts.length,
      (i) => parts[i].lse[r],
      (i, d) => parts[i].o[r * headDim + d],
      headDim,
      o,
      r * headDim,
    );
  }
  return { o, lse };
}

/** Writes the merged row into out[offset .. offset + headDim) and returns its lse. */
function mergeRow(
  n: number,
  lseOf: (i: number) => number,
  oOf: (i: number, d: number) => number,
  headDim: number,
  out: Float64Array,
  offset: number,
): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const l = lseOf(i);
    if (Number.isNaN(l) || l === Number.POSITIVE_INFINITY) throw new Error(`LSE merge: part ${i} has lse ${l}`);
    if (l > m) m = l;
  }
  for (let d = 0; d < headDim; d++) out[offset + d] = 0;
  if (m === Number.NEGATIVE_INFINITY) return m;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const l = lseOf(i);
    if (l === Number.NEGATIVE_INFINITY) continue;
    const w = Math.exp(l - m);
    sum += w;
    for (let d = 0; d < headDim; d++) out[offset + d] += w * oOf(i, d);
  }
  for (let d = 0; d < headDim; d++) out[offset + d] /= sum;
  return m + Math.log(sum);
}
