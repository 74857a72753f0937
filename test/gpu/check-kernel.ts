import { expect } from 'vitest';
import { checkKernels } from '../../src/bench/check-kernels';
import type { KernelOutput } from '../../src/bench/run-kernel';
import type { GpuContext } from '../../src/gpu/context';
import type { KernelDescriptor, KernelOptions } from '../../src/kernels/kernel';
import { generateProblemData, type KvSource } from '../../src/problem/generate';
import type { ProblemInput } from '../../src/problem/problem';
import { resolveProblem } from '../../src/problem/validate';
import { formatComparisonRow } from '../../src/reference/compare';

/**
 * Run `kernel` on `input` through checkKernels (as verify, the page and the benchmarks do) and expect
 * it to match the f64 reference, on every row, within the dtype's tolerance. Returns what it produced.
 * With kvSource 'hash' the K/V are hash-generated on the GPU and the reference evaluates the hash.
 */
export async function expectMatchesReference(
  gpu: GpuContext,
  kernel: KernelDescriptor,
  input: ProblemInput,
  options: KernelOptions = {},
  seed = 1234,
  kvSource: KvSource = 'host',
): Promise<KernelOutput> {
  const data = generateProblemData(resolveProblem(input), seed, kvSource);
  let got: KernelOutput | undefined;
  const { results } = await checkKernels(gpu, data, [{ kernel, options }], {
    onResult: (_, output) => {
      got = output;
    },
  });
  const [check] = results;
  if (check.status !== 'ok' || !check.vsReference || !got)
    throw new Error(`${kernel.name} ${check.status}: ${check.reason}`);
  expect(check.vsReference.pass, `${got.variant}: ${formatComparisonRow(check.vsReference)}`).toBe(true);
  return got;
}
