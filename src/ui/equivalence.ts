import { referenceRowCount } from '../bench/check';
import { checkKernels } from '../bench/check-kernels';
import type { CheckSummary } from '../bench/result';
import type { GpuContext } from '../gpu/context';
import { visiblePairs } from '../kernels/cost';
import type { KernelDescriptor, KernelOptions } from '../kernels/kernel';
import { generateProblemData } from '../problem/generate';
import { lseElements, type ProblemSpec } from '../problem/problem';
import { toleranceFor } from '../reference/compare';
import { yieldToEventLoop } from './run-suite';

/**
 * The page's "Check equivalence": checkKernels (src/bench/check-kernels.ts) on the problem, with the
 * f64 reference on every row when that is cheap and on a sample of rows when it is not
 * (referenceRowCount), yielding to the page between kernels; its results as the table shows them.
 */

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
  await yieldToEventLoop();
  const rows: EquivalenceRow[] = [];
  const { reference } = await checkKernels(
    gpu,
    data,
    kernels.map((kernel) => ({ kernel, options })),
    {
      referenceRows: referenceRowCount(total, visiblePairs(spec) * spec.headDim),
      progress: (_, phase) => (phase === 'prepare' ? yieldToEventLoop() : undefined),
      onResult: (check) => {
        const row: EquivalenceRow =
          check.status === 'ok'
            ? { kernel: check.kernel, variant: check.variant ?? '', checks: check.checks }
            : { kernel: check.kernel, variant: '', error: check.reason ?? check.status, checks: [] };
        rows.push(row);
        onRow(row);
      },
    },
  );
  return {
    tolerance: toleranceText(spec),
    referenceRows: reference.full
      ? `all ${total} rows`
      : `${reference.rows.length} of ${total} rows (evenly spaced sample)`,
    rows,
  };
}
