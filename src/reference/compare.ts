import type { AttentionResult, KvDtype, ProblemSpec } from '../problem/problem';
import { batchSize } from '../problem/problem';

/**
 * Comparison of a kernel's result with the reference. An element passes when
 *   |got - ref| <= atol + rtol * |ref| + mtol * magnitude
 * and got is finite (NaN or ±Infinity in `got` always fails). `magnitude` (o only, when the
 * reference gives it) is Σ_j p_j |v_j|, the size of the values the element sums: rounding moves a
 * sum by a fraction of that, not of |ref|, which cancellation can make 0 (V near ±65504 summing to 0
 * comes back as 3.7e-3 from f32 arithmetic). The worst element is the one with the largest
 * |got - ref| / bound; relative errors use a floor on |ref| (REL_ERR_FLOOR).
 */
export interface Tolerance {
  readonly atol: number;
  readonly rtol: number;
  /** Per unit of the magnitude of the values summed: f32 rounding for f32 K/V, f16 rounding of P for f16 (absent: 0). */
  readonly mtol?: number;
}

/** Relative error is |Δ| / max(|ref|, REL_ERR_FLOOR), so values near 0 do not blow it up. */
export const REL_ERR_FLOOR = 1e-3;

const TOLERANCES: Readonly<Record<KvDtype, Tolerance>> = {
  f32: { atol: 1e-5, rtol: 1e-4, mtol: 2 ** -17 },
  f16: { atol: 2e-3, rtol: 5e-3, mtol: 2 ** -10 },
};

export const toleranceFor = (kvDtype: KvDtype): Tolerance => TOLERANCES[kvDtype];

/** Errors over one tensor (or over both, in Comparison.combined). */
export interface TensorErrors {
  /** Elements compared. */
  readonly count: number;
  /** Over every element; Infinity when got has a non-finite value. */
  readonly maxAbsErr: number;
  readonly maxRelErr: number;
  /** Elements that fail the tolerance, non-finite ones included. */
  readonly failures: number;
  /** NaN or ±Infinity values in got. */
  readonly nonFinite: number;
  /** The worst element (largest |Δ| / its bound); null when count is 0. */
  readonly worst: WorstElement | null;
  readonly pass: boolean;
}

export interface WorstElement {
  readonly tensor: 'o' | 'lse';
  /** Flat index into the tensor. */
  readonly index: number;
  /** [b, h, i, d] for o, [b, h, i] for lse. */
  readonly multiIndex: readonly number[];
  /** e.g. "o[b=3,h=1,i=0,d=17]". */
  readonly label: string;
  readonly ref: number;
  readonly got: number;
  readonly absErr: number;
  readonly relErr: number;
  /** |Δ| / (atol + rtol |ref| + mtol magnitude): above 1 fails. */
  readonly ratio: number;
}

export interface Comparison {
  readonly tolerance: Tolerance;
  readonly o: TensorErrors;
  readonly lse: TensorErrors;
  readonly combined: TensorErrors;
  readonly pass: boolean;
}

export function compareResults(
  spec: ProblemSpec,
  ref: AttentionResult & { readonly oMagnitude?: ArrayLike<number> },
  got: AttentionResult,
  tol: Tolerance = toleranceFor(spec.kvDtype),
): Comparison {
  const B = batchSize(spec);
  const Lq = spec.queriesPerSeq;
  const oShape = [B, spec.headsQ, Lq, spec.headDim];
  const lseShape = [B, spec.headsQ, Lq];
  const o = compareTensor('o', oShape, ['b', 'h', 'i', 'd'], ref.o, got.o, tol, ref.oMagnitude);
  const lse = compareTensor('lse', lseShape, ['b', 'h', 'i'], ref.lse, got.lse, tol);
  return combineErrors(o, lse, tol);
}

/** A Comparison from the errors over o and over lse: both must pass; the worse of the two worst elements. */
export function combineErrors(o: TensorErrors, lse: TensorErrors, tol: Tolerance): Comparison {
  const worst = !o.worst ? lse.worst : !lse.worst || o.worst.ratio >= lse.worst.ratio ? o.worst : lse.worst;
  const combined: TensorErrors = {
    count: o.count + lse.count,
    maxAbsErr: Math.max(o.maxAbsErr, lse.maxAbsErr),
    maxRelErr: Math.max(o.maxRelErr, lse.maxRelErr),
    failures: o.failures + lse.failures,
    nonFinite: o.nonFinite + lse.nonFinite,
    worst,
    pass: o.pass && lse.pass,
  };
  return { tolerance: tol, o, lse, combined, pass: combined.pass };
}

export function compareTensor(
  tensor: 'o' | 'lse',
  shape: readonly number[],
  axes: readonly string[],
  ref: ArrayLike<number>,
  got: ArrayLike<number>,
  tol: Tolerance,
  /** Per element, the magnitude of the values it sums (see Tolerance); absent: 0. */
  magnitude?: ArrayLike<number>,
): TensorErrors {
  const n = shape.reduce((a, x) => a * x, 1);
  if (ref.length !== n)
    throw new Error(`compareResults: reference ${tensor} has ${ref.length} elements; expected ${n}`);
  if (got.length !== n) throw new Error(`compareResults: ${tensor} has ${got.length} elements; expected ${n}`);
  if (magnitude && magnitude.length !== n)
    throw new Error(`compareResults: ${tensor}'s magnitudes have ${magnitude.length} elements; expected ${n}`);
  const mtol = tol.mtol ?? 0;
  const bound = (k: number, r: number) => tol.atol + tol.rtol * Math.abs(r) + (magnitude ? mtol * magnitude[k] : 0);
  let maxAbsErr = 0;
  let maxRelErr = 0;
  let failures = 0;
  let nonFinite = 0;
  let worstIndex = -1;
  let worstRatio = -1;
  for (let k = 0; k < n; k++) {
    const r = ref[k];
    const g = got[k];
    let abs: number;
    let rel: number;
    let ratio: number;
    if (!Number.isFinite(g)) {
      nonFinite++;
      abs = rel = ratio = Number.POSITIVE_INFINITY;
    } else {
      abs = Math.abs(g - r);
      rel = abs / Math.max(Math.abs(r), REL_ERR_FLOOR);
      ratio = abs / bound(k, r);
    }
    if (!(abs <= bound(k, r))) failures++;
    if (abs > maxAbsErr) maxAbsErr = abs;
    if (rel > maxRelErr) maxRelErr = rel;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worstIndex = k;
    }
  }
  let worst: WorstElement | null = null;
  if (worstIndex >= 0) {
    const multiIndex = unflatten(worstIndex, shape);
    const r = ref[worstIndex];
    const g = got[worstIndex];
    const abs = Number.isFinite(g) ? Math.abs(g - r) : Number.POSITIVE_INFINITY;
    worst = {
      tensor,
      index: worstIndex,
      multiIndex,
      label: `${tensor}[${multiIndex.map((x, a) => `${axes[a]}=${x}`).join(',')}]`,
      ref: r,
      got: g,
      absErr: abs,
      relErr: abs / Math.max(Math.abs(r), REL_ERR_FLOOR),
      ratio: worstRatio,
    };
  }
  return { count: n, maxAbsErr, maxRelErr, failures, nonFinite, worst, pass: failures === 0 };
}

/** Row-major multi-index of a flat index. */
export function unflatten(index: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let rest = index;
  for (let a = shape.length - 1; a >= 0; a--) {
    out[a] = rest % shape[a];
    rest = Math.floor(rest / shape[a]);
  }
  return out;
}

const sci = (x: number): string => (Number.isFinite(x) ? x.toExponential(2) : String(x));

/**
 * One line for tables and logs, e.g.
 * "PASS  o: abs 1.19e-7 rel 2.05e-6  lse: abs 4.77e-7 rel 1.03e-7  worst o[b=0,h=1,i=0,d=3] got 0.1 ref 0.1  0/264 failing"
 */
export function formatComparisonRow(c: Comparison): string {
  const w = c.combined.worst;
  const worst = w ? `worst ${w.label} got ${w.got} ref ${w.ref}` : 'no elements';
  const nonFinite = c.combined.nonFinite > 0 ? ` (${c.combined.nonFinite} NaN/Inf)` : '';
  return [
    c.pass ? 'PASS' : 'FAIL',
    ` o: abs ${sci(c.o.maxAbsErr)} rel ${sci(c.o.maxRelErr)}`,
    ` lse: abs ${sci(c.lse.maxAbsErr)} rel ${sci(c.lse.maxRelErr)}`,
    ` ${worst}`,
    ` ${c.combined.failures}/${c.combined.count} failing${nonFinite}`,
  ].join(' ');
}
