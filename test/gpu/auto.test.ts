import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { GpuContext } from '../../src/gpu/context';
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
      const out = await expectMatchesReference(gpu, autoKernel, c.input);
      expect(out.variant).toMatch(/^auto → (hydragen|paged) \(/);
    });
  }

  it('chooses Hydragen for a long prefix shared by many sequences', async () => {
    // MHA, so the shared pass needs one FLOP per byte paged would read, and enough rows (64 a KV
    // head) and chunks (8192 keys) to fill the GPU the cost model assumes.
    const input = sharedPrefixProblem({
      batch: 64,
      prefixLength: 8192,
      suffixLength: 3,
      headsQ: 32,
      headsKV: 32,
      headDim: 16,
    });
    const out = await expectMatchesReference(gpu, autoKernel, input);
    expect(out.variant).toMatch(/^auto → hydragen .*: Hydragen$/);
  });
});
