import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKernel } from '../../src/bench/run-kernel';
import { readBuffer } from '../../src/gpu/buffers';
import type { GpuContext } from '../../src/gpu/context';
import { createHashedPool } from '../../src/kernels/hash-kv-fill';
import { encodeKv, type KvFormat, kvFormatBytes } from '../../src/kernels/kv-format';
import { naiveKernel } from '../../src/kernels/naive';
import { buildPagedCache } from '../../src/paged/build';
import { sharedPrefixProblem, unevenTreeProblem } from '../../src/problem/builders';
import { generateProblemData } from '../../src/problem/generate';
import { materializeProblem } from '../../src/problem/hash-kv';
import { resolveProblem } from '../../src/problem/validate';

/**
 * The GPU's hash fill (shaders/hash-kv.wgsl) writes, byte for byte, what the CPU evaluator
 * (src/problem/hash-kv.ts) gives for the same pool built from host arrays.
 */
describe('hash-generated K/V on the GPU', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await (await import('../setup/gpu-entry')).testGpu();
  });
  afterAll(() => gpu?.destroy());

  const cases: [string, Parameters<typeof unevenTreeProblem>[0] | null, number, KvFormat][] = [
    ['uneven tree (copy-on-write blocks), D 16, block 8, f32', { headsQ: 4, headsKV: 2, headDim: 16 }, 8, 'f32'],
    ['uneven tree, D 80, block 16, f16 (packed words)', { headsQ: 4, headsKV: 2, headDim: 80 }, 16, 'f16-packed'],
    ['shared prefix 45 + ragged suffixes, D 128, block 32, f16 (native words)', null, 32, 'f16-native'],
  ];
  for (const [name, tree, bs, format] of cases) {
    it(name, async () => {
      const input = tree
        ? unevenTreeProblem(tree)
        : sharedPrefixProblem({
            batch: 5,
            prefixLength: 45,
            suffixLength: [0, 1, 17, 40, 3],
            headsQ: 8,
            headsKV: 2,
            headDim: 128,
          });
      const hashed = generateProblemData(resolveProblem(input), 21, 'hash');
      const built = buildPagedCache(hashed, bs, { shuffleSeed: 9 });
      // Rows that hold no token (free blocks, block tails) are NaN in both.
      const host = buildPagedCache(materializeProblem(hashed), bs, { shuffleSeed: 9, poison: Number.NaN });
      const pool = createHashedPool(gpu, built.cache.pool, format, 'test', Number.NaN);
      try {
        const bytes = built.cache.pool.numBlocks * built.cache.pool.blockElements * kvFormatBytes(format);
        for (const [which, buf, values] of [
          ['k', pool.k, host.cache.pool.k],
          ['v', pool.v, host.cache.pool.v],
        ] as const) {
          const got = new Uint8Array(await readBuffer(gpu, buf, bytes));
          const want = encodeKv(values, format);
          const wantBytes = new Uint8Array(want.buffer, want.byteOffset, want.byteLength);
          let bad = -1;
          for (let i = 0; i < bytes && bad < 0; i++) if (got[i] !== wantBytes[i]) bad = i;
          expect(bad, `${which}: first differing byte`).toBe(-1);
        }
      } finally {
        pool.k.destroy();
        pool.v.destroy();
      }
    });
  }

  it('a kernel that reads only host K/V refuses hashed data, naming the segment', async () => {
    const data = generateProblemData(
      resolveProblem(unevenTreeProblem({ headsQ: 4, headsKV: 2, headDim: 16 })),
      1,
      'hash',
    );
    await expect(runKernel(gpu, naiveKernel, data)).rejects.toThrow(/naive: segment "\w+" has hash-generated K\/V/);
  });
});
