import { expect } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { runKernel } from '../../src/gpu/run-kernel';
import type { KernelDescriptor, KernelOptions } from '../../src/kernels/kernel';
import { generateProblemData, type KvSource } from '../../src/problem/generate';
import type { AttentionResult, ProblemInput } from '../../src/problem/problem';
import { resolveProblem } from '../../src/problem/validate';
import { referenceAttention } from '../../src/reference/attention';
import { compareResults, formatComparisonRow } from '../../src/reference/compare';

/**
 * Run `kernel` on `input` and expect it to match the f64 reference within the dtype's tolerance.
 * With kvSource 'hash' the K/V are hash-generated on the GPU and the reference evaluates the hash.
 */
export async function expectMatchesReference(
  gpu: GpuContext,
  kernel: KernelDescriptor,
  input: ProblemInput,
  options: KernelOptions = {},
  seed = 1234,
  kvSource: KvSource = 'host',
): Promise<AttentionResult> {
  const spec = resolveProblem(input);
  const data = generateProblemData(spec, seed, kvSource);
  const got = await runKernel(gpu, kernel, data, options);
  const ref = referenceAttention(data);
  const cmp = compareResults(spec, ref, got);
  expect(cmp.pass, `${got.variant}: ${formatComparisonRow(cmp)}`).toBe(true);
  return got;
}
