import type { ProblemData, ProblemSpec } from '../problem/problem';
import { lseElements } from '../problem/problem';
import { referenceRows } from '../reference/attention';
import {
  type Comparison,
  combineErrors,
  compareResults,
  compareTensor,
  type TensorErrors,
  toleranceFor,
  unflatten,
  type WorstElement,
} from '../reference/compare';
import type { CheckSummary } from './result';

/**
 * The comparisons behind every check (checkKernels in check-kernels.ts). A full f64 reference of a
 * benchmark-sized problem would take minutes on the CPU, so the reference may be computed for a
 * deterministic sample of output rows (evenly spaced, first and last included); kernels are
 * compared with each other over every row.
 */

export interface ReferenceSample {
  /** Output rows the reference holds, ascending (row = (b * headsQ + h) * Lq + i). */
  readonly rows: readonly number[];
  /** True when `rows` is every row of the problem: o and lse are then the whole reference. */
  readonly full: boolean;
  /** [rows, D] */
  readonly o: Float64Array;
  /** [rows] */
  readonly lse: Float64Array;
  readonly oMagnitude: Float64Array;
}

/** Every row when there are at most `count`, else `count` evenly spaced rows. */
export function sampleRows(totalRows: number, count: number): number[] {
  if (totalRows <= count) return Array.from({ length: totalRows }, (_, r) => r);
  const rows = new Set<number>();
  for (let k = 0; k < count; k++) rows.add(Math.round((k * (totalRows - 1)) / (count - 1)));
  return [...rows].sort((a, b) => a - b);
}

/** The reference on `count` evenly spaced rows (every row when there are at most `count`; Infinity for all). */
export function sampleReference(data: ProblemData, count: number): ReferenceSample {
  const total = lseElements(data.spec);
  if (count >= total) return { rows: sampleRows(total, total), full: true, ...referenceRows(data, null) };
  const rows = sampleRows(total, count);
  return { rows, full: false, ...referenceRows(data, rows) };
}

/**
 * Reference work (multiply-adds) above which only sampled rows are computed on the CPU; the sample is
 * sized to about the same work (at least MIN_SAMPLED_ROWS rows), so the page stays responsive.
 */
export const FULL_REFERENCE_LIMIT = 2e7;
export const MIN_SAMPLED_ROWS = 8;
export const MAX_SAMPLED_ROWS = 256;

/** Rows of the reference to compute: all when cheap, else as many as the work budget allows. */
export function referenceRowCount(totalRows: number, work: number): number {
  if (work <= FULL_REFERENCE_LIMIT) return totalRows;
  const perRow = work / totalRows;
  const rows = Math.floor(FULL_REFERENCE_LIMIT / perRow);
  return Math.min(totalRows, Math.max(MIN_SAMPLED_ROWS, Math.min(MAX_SAMPLED_ROWS, rows)));
}

/** What a check against the reference is called in tables and result files. */
export const referenceName = (ref: ReferenceSample): string =>
  ref.full ? 'f64 reference' : 'f64 reference (sampled rows)';

/** A worst element found among gathered rows, named by its place in the whole output ([b, h, i(, d)]). */
function inWholeOutput(
  spec: ProblemSpec,
  rows: readonly number[],
  w: WorstElement | null,
  axes: readonly string[],
): WorstElement | null {
  if (!w) return null;
  const row = rows[w.multiIndex[0]];
  const D = spec.headDim;
  const multiIndex = [
    ...unflatten(row, [spec.sequences.length, spec.headsQ, spec.queriesPerSeq]),
    ...w.multiIndex.slice(1),
  ];
  return {
    ...w,
    index: w.tensor === 'o' ? row * D + w.multiIndex[1] : row,
    multiIndex,
    label: `${w.tensor}[${multiIndex.map((x, a) => `${axes[a]}=${x}`).join(',')}]`,
  };
}

/**
 * A kernel's output vs the reference on the reference's rows, element by element at the dtype's
 * tolerance; the worst element is named by its place in the whole output.
 */
export function compareWithReference(
  spec: ProblemSpec,
  ref: ReferenceSample,
  got: { o: Float32Array; lse: Float32Array },
): Comparison {
  if (ref.full) return compareResults(spec, ref, got);
  const D = spec.headDim;
  const n = ref.rows.length;
  const o = new Float32Array(n * D);
  const lse = new Float32Array(n);
  ref.rows.forEach((row, r) => {
    o.set(got.o.subarray(row * D, (row + 1) * D), r * D);
    lse[r] = got.lse[row];
  });
  const tol = toleranceFor(spec.kvDtype);
  const eo = compareTensor('o', [n, D], ['r', 'd'], ref.o, o, tol, ref.oMagnitude);
  const el = compareTensor('lse', [n], ['r'], ref.lse, lse, tol);
  const named = (e: TensorErrors, axes: readonly string[]): TensorErrors => ({
    ...e,
    worst: inWholeOutput(spec, ref.rows, e.worst, axes),
  });
  return combineErrors(named(eo, ['b', 'h', 'i', 'd']), named(el, ['b', 'h', 'i']), tol);
}

/** One comparison as a result file records it. */
export function checkSummary(against: string, rows: number, c: Comparison): CheckSummary {
  return {
    against,
    rows,
    pass: c.pass,
    maxAbsErr: c.combined.maxAbsErr,
    maxRelErr: c.combined.maxRelErr,
    worst: c.combined.worst?.label ?? '',
  };
}

/** A kernel's output vs another kernel's over every row, at the dtype's tolerance. */
export function checkAgainstKernel(
  spec: ProblemSpec,
  label: string,
  baseline: { o: Float32Array; lse: Float32Array },
  got: { o: Float32Array; lse: Float32Array },
): CheckSummary {
  return checkSummary(label, lseElements(spec), compareResults(spec, baseline, got));
}
