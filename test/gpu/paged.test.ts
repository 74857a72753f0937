import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKernel } from '../../src/bench/run-kernel';
import type { GpuContext } from '../../src/gpu/context';
import type { KernelOptions } from '../../src/kernels/kernel';
import { naiveKernel } from '../../src/kernels/naive';
import { pagedKernel, pagedPlan, pagedSubgroupShape } from '../../src/kernels/paged';
import { pagedPoolBlocks } from '../../src/paged/build';
import { planPoolShards, shardSpec } from '../../src/paged/shards';
import { noSharingProblem, sharedPrefixProblem, unevenTreeProblem } from '../../src/problem/builders';
import { generateProblemData } from '../../src/problem/generate';
import type { ProblemInput } from '../../src/problem/problem';
import { resolveProblem } from '../../src/problem/validate';
import { compareResults, formatComparisonRow } from '../../src/reference/compare';
import { commonCases } from './cases';
import { expectMatchesReference } from './check-kernel';
import { check, poisoned, withBindingLimit } from './paged-check';

/**
 * The paged kernel vs the f64 reference and vs the naive kernel. Every run poisons the rows of the
 * pool that hold no token (the tail of each sequence's last block, and free blocks) with NaN, so a
 * kernel that reads past a sequence's end cannot pass.
 */

describe('paged kernel vs the f64 reference and the naive kernel', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await (await import('../setup/gpu-entry')).testGpu();
  });
  afterAll(() => gpu?.destroy());

  for (const bs of [8, 16, 32]) {
    it(`block size ${bs}: lengths 1, ${bs - 1}, ${bs}, ${bs + 1}, 333; GQA 8:2, D32, decode`, async () => {
      const input = noSharingProblem({
        batch: 5,
        length: [1, bs - 1, bs, bs + 1, 333],
        headsQ: 8,
        headsKV: 2,
        headDim: 32,
      });
      await check(gpu, input, { blockSize: bs, splitK: false }, {}, /no split-K/);
    });

    it(`block size ${bs}: Lq 5 causal, split-K partitions of 40 (not a multiple of anything)`, async () => {
      const input = noSharingProblem({
        batch: 4,
        length: [5, bs + 1, 333, 81],
        headsQ: 4,
        headsKV: 2,
        headDim: 16,
        queriesPerSeq: 5,
      });
      await check(gpu, input, { blockSize: bs, splitK: true, partitionSize: 40 }, {}, /split-K 40/);
    });
  }

  it('length 5000 with split-K (partitions of 512), and without', async () => {
    const input = noSharingProblem({ batch: 2, length: [5000, 4999], headsQ: 2, headsKV: 1, headDim: 16 });
    await check(gpu, input, { splitK: true }, {}, /split-K 512/);
    await check(gpu, input, { splitK: false }, {}, /no split-K/);
  });

  it("splitK 'auto' turns split-K on for a small grid over long sequences", async () => {
    const input = noSharingProblem({ batch: 1, length: 1500, headsQ: 4, headsKV: 1, headDim: 16, queriesPerSeq: 5 });
    await check(gpu, input, { blockSize: 32 }, {}, /split-K 512/);
  });

  it('shared prefix of 64 (a multiple of the block size) + suffixes 0/1/17/16', async () => {
    const input = sharedPrefixProblem({
      batch: 4,
      prefixLength: 64,
      suffixLength: [0, 1, 17, 16],
      headsQ: 4,
      headsKV: 2,
      headDim: 32,
    });
    await check(gpu, input, { blockSize: 16 });
  });

  it('shared prefix of 37 (inside a block) + suffixes 0/3/20/0, Lq 3 causal, split-K 16', async () => {
    const input = sharedPrefixProblem({
      batch: 4,
      prefixLength: 37,
      suffixLength: [0, 3, 20, 0],
      headsQ: 4,
      headsKV: 2,
      headDim: 32,
      queriesPerSeq: 3,
    });
    await check(gpu, input, { blockSize: 16, splitK: true, partitionSize: 16 });
  });

  it('scrambled block table (pool shuffled by the PRNG), uneven tree, block size 8', async () => {
    const input = unevenTreeProblem({ headsQ: 4, headsKV: 2, headDim: 16, queriesPerSeq: 2 });
    await check(gpu, input, { blockSize: 8 }, { shuffleSeed: 17 });
    await check(gpu, input, { blockSize: 8, splitK: true, partitionSize: 24 }, { shuffleSeed: 18 });
  });

  it('MQA 16:1 (two row tiles per KV head), D64, decode', async () => {
    const input = noSharingProblem({ batch: 3, length: [9, 100, 33], headsQ: 16, headsKV: 1, headDim: 64 });
    await check(gpu, input, { blockSize: 16 });
  });

  it('GQA 6:2 with Lq 5 (15 rows per KV head: a full and a partial tile), causal', async () => {
    const input = noSharingProblem({
      batch: 2,
      length: [5, 70],
      headsQ: 6,
      headsKV: 2,
      headDim: 16,
      queriesPerSeq: 5,
    });
    await check(gpu, input, { blockSize: 8, splitK: true, partitionSize: 32 });
  });

  it('Lq 5 not causal', async () => {
    const input = noSharingProblem({
      batch: 2,
      length: [17, 40],
      headsQ: 4,
      headsKV: 2,
      headDim: 16,
      queriesPerSeq: 5,
      causal: false,
    });
    await check(gpu, input, { blockSize: 16, splitK: true, partitionSize: 16 });
  });

  it('f16 KV, shared prefix, split-K, scrambled', async () => {
    const input = sharedPrefixProblem({
      batch: 3,
      prefixLength: 45,
      suffixLength: [0, 7, 60],
      headsQ: 8,
      headsKV: 2,
      headDim: 48,
      kvDtype: 'f16',
      queriesPerSeq: 2,
    });
    await check(gpu, input, { blockSize: 32, splitK: true, partitionSize: 32 }, { shuffleSeed: 3 });
  });

  // Pool shards: a binding limit that holds only the largest sequence's blocks, so the batch is cut
  // into several runs of sequences, each with its own pools, tables and dispatch. The problems have
  // long sequences so that the pools, not q, o or the partials, are what outgrows the limit.
  const longPrefix = sharedPrefixProblem({
    batch: 7,
    prefixLength: 300,
    suffixLength: [0, 3, 200, 1, 333, 80, 170],
    headsQ: 8,
    headsKV: 2,
    headDim: 32,
  });
  const shardCases: [string, ProblemInput, KernelOptions][] = [
    ['shared prefix 300 + ragged suffixes, B7, GQA 8:2, D32, block 8', longPrefix, { blockSize: 8 }],
    [
      'the same, split-K partitions of 64, portable kernel',
      longPrefix,
      { blockSize: 8, splitK: true, partitionSize: 64, subgroups: false },
    ],
    [
      'f16, no sharing, lengths 3 to 900, B6, MQA 4:1, D64, Lq3 causal, split-K 256',
      {
        ...noSharingProblem({
          batch: 6,
          length: [3, 900, 170, 400, 640, 4],
          headsQ: 4,
          headsKV: 1,
          headDim: 64,
          queriesPerSeq: 3,
        }),
        kvDtype: 'f16',
      },
      { blockSize: 16, splitK: true, partitionSize: 256 },
    ],
  ];
  for (const [name, input, options] of shardCases) {
    it(`pool shards: ${name}`, async () => {
      const spec = resolveProblem(input);
      const bs = options.blockSize ?? 16;
      const blockBytes = spec.headsKV * bs * spec.headDim * (spec.kvDtype === 'f16' ? 2 : 4);
      const largest = Math.max(
        ...spec.sequences.map((_, b) => pagedPoolBlocks(shardSpec(spec, { first: b, count: 1 }), bs)),
      );
      const limit = largest * blockBytes;
      const shards = planPoolShards(spec, bs, blockBytes, limit, 'limit');
      if (typeof shards === 'string') throw new Error(shards);
      expect(shards.length).toBeGreaterThanOrEqual(3);
      const limited = withBindingLimit(gpu, limit);
      const got = await expectMatchesReference(limited, poisoned({ shuffleSeed: 5 }), input, options);
      expect(got.variant).toMatch(new RegExp(`, ${shards.length} pool shards\\)$`));
      // And against the naive kernel on the device as it is.
      const data = generateProblemData(spec, 1234);
      const cmp = compareResults(spec, await runKernel(gpu, naiveKernel, data), got);
      expect(cmp.pass, `paged vs naive: ${formatComparisonRow(cmp)}`).toBe(true);
      // A byte less and the largest sequence fits no pool: refused, naming the limit.
      expect(pagedKernel.unsupported(spec, withBindingLimit(gpu, limit - 1), options)).toMatch(
        /needs \d+ bytes of K pool on its own; maxStorageBufferBindingSize is \d+/,
      );
    });
  }

  it('refuses a block size that is not 8, 16 or 32', () => {
    const spec = resolveProblem(noSharingProblem({ batch: 1, length: 4, headsQ: 1, headsKV: 1, headDim: 16 }));
    expect(pagedKernel.unsupported(spec, gpu, { blockSize: 12 })).toMatch(/block size 12 is not one of 8, 16, 32/);
  });

  for (const c of commonCases) {
    it(`common: ${c.name}`, async () => {
      await expectMatchesReference(gpu, poisoned(), c.input);
    });
  }

  for (const c of commonCases) {
    it(`common, split-K partitions of 64: ${c.name}`, async () => {
      await expectMatchesReference(gpu, poisoned(), c.input, { splitK: true, partitionSize: 64 });
    });
  }

  it('the decode kernel (subgroups): the test adapters offer subgroups', () => {
    // The test adapters (SwiftShader in Node and Chromium) offer subgroups; without them the decode kernel cannot be tested.
    expect(gpu.features.subgroups, 'the test adapter offers no subgroups').toBe(true);
  });

  // The decode kernel runs and agrees on every shape within its register budget.
  const decodeCases: [string, ProblemInput, KernelOptions][] = [
    [
      'lengths 1 to 333, GQA 8:2, D32',
      noSharingProblem({ batch: 5, length: [1, 7, 16, 17, 333], headsQ: 8, headsKV: 2, headDim: 32 }),
      {},
    ],
    [
      'f16, block 8, split-K 40',
      noSharingProblem({ batch: 3, length: [1, 30, 200], headsQ: 8, headsKV: 2, headDim: 32, kvDtype: 'f16' }),
      { blockSize: 8, splitK: true, partitionSize: 40 },
    ],
    [
      'shared prefix 45, MQA 4:1, D64',
      sharedPrefixProblem({
        batch: 3,
        prefixLength: 45,
        suffixLength: [0, 3, 19],
        headsQ: 4,
        headsKV: 1,
        headDim: 64,
      }),
      {},
    ],
    [
      '8 rows a tile (MQA 8:1): unroll 2',
      noSharingProblem({ batch: 2, length: [70, 5], headsQ: 8, headsKV: 1, headDim: 32 }),
      { blockSize: 32 },
    ],
    [
      'causal, Lq 2, GQA 4:2 (2 heads x 2 queries a tile), split-K 16',
      noSharingProblem({
        batch: 3,
        length: [2, 9, 100],
        headsQ: 4,
        headsKV: 2,
        headDim: 32,
        queriesPerSeq: 2,
        causal: true,
      }),
      { splitK: true, partitionSize: 16 },
    ],
  ];
  for (const [name, input, options] of decodeCases) {
    it(`the decode kernel (subgroups): ${name}`, async () => {
      await check(gpu, input, { ...options, subgroups: true }, { shuffleSeed: 7 }, /subgroups/);
    });
  }

  // Both paths: the portable kernel and the decode kernel (where its shape fits) agree with the reference.
  const bothPathCases: [string, ProblemInput][] = [
    [
      'f16, lengths 1/77/600, GQA 8:2, D128',
      noSharingProblem({ batch: 3, length: [1, 77, 600], headsQ: 8, headsKV: 2, headDim: 128, kvDtype: 'f16' }),
    ],
    [
      'shared prefix 37, GQA 6:2, D80, Lq 5',
      sharedPrefixProblem({
        batch: 4,
        prefixLength: 37,
        suffixLength: [0, 5, 17, 1],
        headsQ: 6,
        headsKV: 2,
        headDim: 80,
        queriesPerSeq: 5,
      }),
    ],
    [
      'lengths 300/1, MQA 16:1, D256',
      noSharingProblem({ batch: 2, length: [300, 1], headsQ: 16, headsKV: 1, headDim: 256 }),
    ],
  ];
  for (const [name, input] of bothPathCases) {
    it(`both paths: ${name}`, async () => {
      await check(gpu, input, { subgroups: false }, {}, /portable/);
      const options = { splitK: true, partitionSize: 64, subgroups: true };
      const spec = resolveProblem(input);
      const shape = pagedSubgroupShape(spec, gpu, pagedPlan(spec, options).rowsPerTile, options);
      await check(gpu, input, options, {}, typeof shape === 'string' ? /portable/ : /subgroups/);
    });
  }
});
