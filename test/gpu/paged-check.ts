import { expect } from 'vitest';
import { runKernel } from '../../src/bench/run-kernel';
import type { GpuContext } from '../../src/gpu/context';
import type { KernelDescriptor, KernelOptions } from '../../src/kernels/kernel';
import { naiveKernel } from '../../src/kernels/naive';
import { pagedKernel, preparePaged } from '../../src/kernels/paged';
import type { PagedCacheOptions } from '../../src/paged/build';
import { generateProblemData, type KvSource } from '../../src/problem/generate';
import { materializeProblem } from '../../src/problem/hash-kv';
import type { ProblemInput } from '../../src/problem/problem';
import { resolveProblem } from '../../src/problem/validate';
import { compareResults, formatComparisonRow } from '../../src/reference/compare';
import { expectMatchesReference } from './check-kernel';
import { withLimits } from './with-limits';

/**
 * The paged kernel's checks, shared by paged.test.ts and paged-decode-variants.test.ts: every run
 * poisons the rows of the pool that hold no token with NaN, so a kernel that reads past a
 * sequence's end cannot pass, and compares with the f64 reference and the naive kernel.
 */

/** The paged descriptor with a NaN-poisoned pool (and, optionally, scrambled block order). */
export const poisoned = (cache: PagedCacheOptions = {}): KernelDescriptor => ({
  ...pagedKernel,
  prepare: (gpu, data, options) => preparePaged(gpu, data, options, { poison: Number.NaN, ...cache }),
});

export async function check(
  gpu: GpuContext,
  input: ProblemInput,
  options: KernelOptions,
  cache: PagedCacheOptions = {},
  expectVariant?: RegExp,
  kvSource: KvSource = 'host',
): Promise<void> {
  // expectMatchesReference returns what runKernel gave it.
  const got = await expectMatchesReference(gpu, poisoned(cache), input, options, 1234, kvSource);
  if (expectVariant) expect(got.variant).toMatch(expectVariant);
  // And against the naive kernel on the same data (hashed K/V materialized for it).
  const data = materializeProblem(generateProblemData(resolveProblem(input), 1234, kvSource));
  const naive = await runKernel(gpu, naiveKernel, data);
  const cmp = compareResults(data.spec, naive, got);
  expect(cmp.pass, `paged vs naive: ${formatComparisonRow(cmp)}`).toBe(true);
}

/** The device as it is, except that it binds at most `bytes` a storage buffer (so the paged pool is sharded). */
export const withBindingLimit = (gpu: GpuContext, bytes: number): GpuContext =>
  withLimits(gpu, { maxStorageBufferBindingSize: bytes });
