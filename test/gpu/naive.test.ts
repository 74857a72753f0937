import { afterAll, beforeAll, describe, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { naiveKernel } from '../../src/kernels/naive';
import { commonCases } from './cases';
import { expectMatchesReference } from './check-kernel';

describe('naive kernel vs the f64 reference', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await (await import('../setup/gpu-entry')).testGpu();
  });
  afterAll(() => gpu?.destroy());

  for (const c of commonCases) {
    it(c.name, async () => {
      await expectMatchesReference(gpu, naiveKernel, c.input);
    });
  }
});
