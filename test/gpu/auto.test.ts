import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import type { KernelOutput } from '../../src/gpu/run-kernel';
import { autoKernel } from '../../src/kernels/auto';
import { sharedPrefixProblem } from '../../src/problem/builders';
import { commonCases } from './cases';
import { expectMatchesReference } from './check-kernel';

describe('auto kernel: delegates to the chosen kernel and says which', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await (await import('../setup/gpu-entry')).testGpu();
  });
  afterAll(() => gpu?.destroy());

  for (const c of commonCases) {
    it(c.name, async () => {
      const out = (await expectMatchesReference(gpu, autoKernel, c.input)) as KernelOutput;
      expect(out.variant).toMatch(/^auto → (hydragen|paged) \(/);
    });
  }

  it('chooses Hydragen for a long prefix shared by many sequences', async () => {
    const input = sharedPrefixProblem({
      batch: 8,
      prefixLength: 400,
      suffixLength: 3,
      headsQ: 4,
      headsKV: 2,
      headDim: 16,
    });
    const out = (await expectMatchesReference(gpu, autoKernel, input)) as KernelOutput;
    expect(out.variant).toMatch(/^auto → hydragen .*: Hydragen$/);
  });
});
