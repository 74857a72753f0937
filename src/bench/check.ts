import type { ProblemData, ProblemSpec } from '../problem/problem';
import { lseElements } from '../problem/problem';
import { referenceRows } from '../reference/attention';
import { compareResults, compareTensor, type TensorErrors, toleranceFor, unflatten } from '../reference/compare';
import type { CheckSummary } from './result';

/**
 * Equivalence checks inside benchmarks. A full f64 reference of a benchmark-sized problem would take
 * minutes on the CPU, so the reference is computed for a deterministic sample of output rows (evenly
 * spaced, first and last included); kernels are compared with each other over every row.
 */

export interface ReferenceSample {
  readonly rows: readonly number[];
  readonly o: Float64Array;
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

export function sampleReference(data: ProblemData, count: number): ReferenceSample {
  const rows = sampleRows(lseElements(data.spec), count);
  return { rows, ...referenceRows(data, rows) };
}

const rowLabel = (spec: ProblemSpec, row: number): string => {
  const [b, h, i] = unflatten(row, [spec.sequences.length, spec.headsQ, spec.queriesPerSeq]);
  return `b=${b},h=${h},i=${i}`;
};

function summary(against: string, rows: number, o: TensorErrors, lse: TensorErrors, worst: string): CheckSummary {
  return {
    against,
    rows,
    pass: o.pass && lse.pass,
    maxAbsErr: Math.max(o.maxAbsErr, lse.maxAbsErr),
    maxRelErr: Math.max(o.maxRelErr, lse.maxRelErr),
    worst,
  };
}

/** A kernel's output on the sampled rows vs the f64 reference, at the dtype's tolerance. */
export function checkAgainstReference(
  spec: ProblemSpec,
  ref: ReferenceSample,
  got: { o: Float32Array; lse: Float32Array },
): CheckSummary {
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
  const w = (eo.worst?.ratio ?? -1) >= (el.worst?.ratio ?? -1) ? eo.worst : el.worst;
  const worst = w
    ? `${w.tensor}[${rowLabel(spec, ref.rows[w.multiIndex[0]])}${w.tensor === 'o' ? `,d=${w.multiIndex[1]}` : ''}]`
    : '';
  return summary('f64 reference (sampled rows)', n, eo, el, worst);
}

/** A kernel's output vs another kernel's over every row, at the dtype's tolerance. */
export function checkAgainstKernel(
  spec: ProblemSpec,
  label: string,
  baseline: { o: Float32Array; lse: Float32Array },
  got: { o: Float32Array; lse: Float32Array },
): CheckSummary {
  const c = compareResults(spec, baseline, got);
  return summary(label, lseElements(spec), c.o, c.lse, c.combined.worst?.label ?? '');
}
