import type { GpuContext } from '../gpu/context';
import type { KernelDescriptor, KernelOptions, PreparedKernel } from '../kernels/kernel';
import { getKernel } from '../kernels/registry';
import type { ProblemData } from '../problem/problem';
import type { Comparison } from '../reference/compare';
import {
  checkAgainstKernel,
  checkSummary,
  compareWithReference,
  type ReferenceSample,
  referenceName,
  sampleReference,
} from './check';
import type { CheckSummary } from './result';
import { type KernelOutput, kernelRefusal, prepareKernel, runPrepared } from './run-kernel';

/**
 * The one way kernels are run and checked. The CLI's verify, the page's Check, the benchmark runner
 * and the GPU tests all call checkKernels: for each kernel, in order,
 *   - skipped: refused before anything is allocated (the kernel's own `unsupported`, or a buffer
 *     over a device limit), with the reason;
 *   - ok: prepared, run once, read back, and compared with the f64 reference (every row, or a
 *     sample of rows) and, over every row, with the first kernel that ran;
 *   - failed: it threw (WebGPU error, bad plan, ...), with the message; the next kernel still runs.
 * A lost device, or an aborted `signal`, ends the checks: checkKernels throws (results so far went
 * to onResult).
 */

export interface CheckTarget {
  /** The kernel, or its registry name (an unknown name fails that target). */
  readonly kernel: KernelDescriptor | string;
  readonly options?: KernelOptions;
  /** Its name in results and in later kernels' comparison with it; the kernel's name by default. */
  readonly label?: string;
}

export interface KernelCheck {
  readonly label: string;
  readonly kernel: string;
  readonly options: KernelOptions;
  readonly status: 'ok' | 'skipped' | 'failed';
  /** Why it was skipped or failed. */
  readonly reason?: string;
  /** The variant that ran (once prepared). */
  readonly variant?: string;
  /** Element-wise errors against the reference's rows (when ok). */
  readonly vsReference?: Comparison;
  /** As result files record them (when ok): vs the reference, then vs the first kernel that ran. */
  readonly checks: readonly CheckSummary[];
}

export interface CheckOptions {
  /** The f64 reference, when the caller computed it (sampleReference). */
  readonly reference?: ReferenceSample;
  /** Without `reference`: output rows of the f64 reference, every row by default, else this many evenly spaced ones. */
  readonly referenceRows?: number;
  /** Called before each kernel and before its run (the page yields to its event loop here). A throw ends the checks. */
  readonly progress?: (index: number, phase: 'prepare' | 'check') => void | Promise<void>;
  /** While the kernel is still prepared, after its checks (the benchmark times it here). A throw fails the kernel. */
  readonly whilePrepared?: (prepared: PreparedKernel, check: KernelCheck, index: number) => Promise<void>;
  /** Each kernel's result as it comes, with its output when it ran (outputs are not kept: a benchmark's are large). */
  readonly onResult?: (check: KernelCheck, output: KernelOutput | undefined, index: number) => void | Promise<void>;
  /** Once aborted, the error in flight ends the checks instead of failing one kernel. */
  readonly signal?: AbortSignal;
}

export interface CheckReport {
  /** The reference the kernels were compared with (its rows; o and lse hold the whole output when `full`). */
  readonly reference: ReferenceSample;
  readonly results: readonly KernelCheck[];
}

/** Run and check each target on `data`, in order. */
export async function checkKernels(
  gpu: GpuContext,
  data: ProblemData,
  targets: readonly CheckTarget[],
  options: CheckOptions = {},
): Promise<CheckReport> {
  const spec = data.spec;
  const reference = options.reference ?? sampleReference(data, options.referenceRows ?? Number.POSITIVE_INFINITY);
  const results: KernelCheck[] = [];
  let baseline: { label: string; o: Float32Array; lse: Float32Array } | undefined;

  for (let i = 0; i < targets.length; i++) {
    const target = targets[i];
    const name = typeof target.kernel === 'string' ? target.kernel : target.kernel.name;
    const kernelOptions = target.options ?? {};
    const base = { label: target.label ?? name, kernel: name, options: kernelOptions, checks: [] };
    await options.progress?.(i, 'prepare');
    let result: KernelCheck;
    let output: KernelOutput | undefined;
    let prepared: PreparedKernel | undefined;
    try {
      const kernel = typeof target.kernel === 'string' ? getKernel(target.kernel) : target.kernel;
      const why = kernelRefusal(gpu, kernel, data, kernelOptions);
      if (why) {
        result = { ...base, status: 'skipped', reason: why };
      } else {
        prepared = await prepareKernel(gpu, kernel, data, kernelOptions);
        await options.progress?.(i, 'check');
        output = await runPrepared(gpu, kernel.name, prepared, data);
        const vsReference = compareWithReference(spec, reference, output);
        const checks = [checkSummary(referenceName(reference), reference.rows.length, vsReference)];
        if (baseline) checks.push(checkAgainstKernel(spec, baseline.label, baseline, output));
        else baseline = { label: base.label, o: output.o, lse: output.lse };
        result = { ...base, status: 'ok', variant: output.variant, vsReference, checks };
        await options.whilePrepared?.(prepared, result, i);
      }
    } catch (e) {
      if (gpu.isLost || options.signal?.aborted) throw e;
      result = { ...base, status: 'failed', variant: prepared?.variant, reason: (e as Error).message };
    } finally {
      prepared?.destroy();
    }
    results.push(result);
    await options.onResult?.(result, result.status === 'ok' ? output : undefined, i);
  }
  return { reference, results };
}
