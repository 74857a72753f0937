import { checkAgainstKernel, checkAgainstReference, sampleReference } from '../bench/check';
import type { CheckSummary } from '../bench/result';
import type { GpuContext } from '../gpu/context';
import { GpuError } from '../gpu/errors';
import { runKernel } from '../gpu/run-kernel';
import { visiblePairs } from '../kernels/cost';
import type { KernelDescriptor, KernelOptions } from '../kernels/kernel';
import { generateProblemData } from '../problem/generate';
import { lseElements, type ProblemSpec } from '../problem/problem';
import { toleranceFor } from '../reference/compare';
import { yieldToEventLoop } from './run-suite';

/**
 * "Check equivalence": run each selected kernel once on the problem and compare its output with the
 * f64 CPU reference (every row when the problem is small, a deterministic sample of rows when it is
 * not) and with the first kernel that ran (every row).
 */

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

export interface EquivalenceRow {
  readonly kernel: string;
  readonly variant: string;
  /** Set when the kernel did not run (unsupported, over a limit, or a WebGPU error). */
  readonly error?: string;
  readonly checks: readonly CheckSummary[];
}

export interface EquivalenceReport {
  readonly tolerance: string;
  readonly referenceRows: string;
  readonly rows: readonly EquivalenceRow[];
}

export const toleranceText = (spec: ProblemSpec): string => {
  const t = toleranceFor(spec.kvDtype);
  return `KV ${spec.kvDtype}: |Δ| ≤ ${t.atol} + ${t.rtol}·|ref| (+ ${t.mtol?.toExponential(2)}·Σp|v| against the f64 reference) on every element of o and lse`;
};

export async function checkEquivalence(
  gpu: GpuContext,
  spec: ProblemSpec,
  kernels: readonly KernelDescriptor[],
  options: KernelOptions,
  seed: number,
  onRow: (row: EquivalenceRow) => void = () => {},
): Promise<EquivalenceReport> {
  const data = generateProblemData(spec, seed);
  const total = lseElements(spec);
  const count = referenceRowCount(total, visiblePairs(spec) * spec.headDim);
  const full = count === total;
  await yieldToEventLoop();
  const reference = sampleReference(data, count);
  const rows: EquivalenceRow[] = [];
  let baseline: { label: string; o: Float32Array; lse: Float32Array } | undefined;
  for (const k of kernels) {
    await yieldToEventLoop();
    let row: EquivalenceRow;
    try {
      const out = await runKernel(gpu, k, data, options);
      const vsReference = checkAgainstReference(spec, reference, out);
      const checks = [full ? { ...vsReference, against: 'f64 reference' } : vsReference];
      if (baseline) checks.push(checkAgainstKernel(spec, baseline.label, baseline, out));
      else baseline = { label: k.name, o: out.o, lse: out.lse };
      row = { kernel: k.name, variant: out.variant, checks };
    } catch (e) {
      if (gpu.isLost || !(e instanceof GpuError)) throw e;
      row = { kernel: k.name, variant: '', error: (e as Error).message, checks: [] };
    }
    rows.push(row);
    onRow(row);
  }
  return {
    tolerance: toleranceText(spec),
    referenceRows: full ? `all ${total} rows` : `${reference.rows.length} of ${total} rows (evenly spaced sample)`,
    rows,
  };
}
