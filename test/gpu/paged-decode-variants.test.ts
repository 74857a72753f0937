import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelOutput } from '../../src/bench/run-kernel';
import type { GpuContext } from '../../src/gpu/context';
import type { KernelOptions } from '../../src/kernels/kernel';
import { pagedPlan, pagedSubgroupShape } from '../../src/kernels/paged';
import { pagedPoolBlocks } from '../../src/paged/build';
import { planPoolShards, shardSpec } from '../../src/paged/shards';
import { noSharingProblem, sharedPrefixProblem } from '../../src/problem/builders';
import type { ProblemInput } from '../../src/problem/problem';
import { resolveProblem } from '../../src/problem/validate';
import { expectMatchesReference } from './check-kernel';
import { check, poisoned, withBindingLimit } from './paged-check';

/**
 * Every decode-kernel variant the benchmarks' ladder times (benches/paged-ladder.ts), on odd shapes
 * whose partitions span several steps of every variant (a wrong step or table index shows),
 * with NaN in every pool row that holds no token and scrambled block tables, against the f64
 * reference and the naive kernel, on host and on hash-generated K/V. SwiftShader's subgroups have
 * 4 lanes, so lanes 8 and 16 (the H200's) are not reachable here; the template is the same for
 * every lane count (only the butterfly's depth and the words a lane change), and lanes 1, 2 and 4
 * run here. Tiles of 2 rows: SwiftShader's shader compiler takes gigabytes on the 4-row tiles of
 * the ladder's shapes (13 GB before it was stopped), though the H200's driver does not.
 */

const shapes: [string, ProblemInput, KernelOptions][] = [
  [
    'ragged 1/7/16/17/333, GQA 4:2, block 8, split-K partitions of 100',
    noSharingProblem({ batch: 5, length: [1, 7, 16, 17, 333], headsQ: 4, headsKV: 2, headDim: 32 }),
    { blockSize: 8, splitK: true, partitionSize: 100 },
  ],
  [
    'shared prefix 145 + suffixes 0/3/119, MQA 2:1, block 32, no split-K',
    sharedPrefixProblem({ batch: 3, prefixLength: 145, suffixLength: [0, 3, 119], headsQ: 2, headsKV: 1, headDim: 32 }),
    { blockSize: 32, splitK: false },
  ],
  [
    'causal Lq 2, MHA 2:2, f16, lengths 2/9/100, split-K partitions of 16',
    noSharingProblem({
      batch: 3,
      length: [2, 9, 100],
      headsQ: 2,
      headsKV: 2,
      headDim: 32,
      queriesPerSeq: 2,
      causal: true,
      kvDtype: 'f16',
    }),
    { blockSize: 16, splitK: true, partitionSize: 16 },
  ],
];

const variants: [string, KernelOptions][] = [
  ['prefetch, default shape', { decodePrefetch: true }],
  ['64 invocations (16 teams), 3 tokens a step, prefetch', { decodeWg: 64, decodeUnroll: 3, decodePrefetch: true }],
  ['2 lanes a token, 8 invocations, 1 token a step', { decodeLanes: 2, decodeWg: 8, decodeUnroll: 1 }],
  [
    '1 lane a token, 4 invocations, 2 tokens a step, prefetch',
    { decodeLanes: 1, decodeWg: 4, decodeUnroll: 2, decodePrefetch: true },
  ],
  ['4 lanes, 32 invocations, 8 tokens a step', { decodeLanes: 4, decodeWg: 32, decodeUnroll: 8 }],
];

describe('paged decode kernel variants vs the f64 reference and the naive kernel', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await (await import('../setup/gpu-entry')).testGpu();
  });
  afterAll(() => gpu?.destroy());

  it('the test adapter offers subgroups (else these would test the portable kernel)', () => {
    expect(gpu.features.subgroups).toBe(true);
  });

  for (const [vname, voptions] of variants) {
    it(`variant: ${vname}`, async () => {
      for (const [i, [sname, input, options]] of shapes.entries()) {
        const all = { ...options, ...voptions, subgroups: true };
        const spec = resolveProblem(input);
        const shape = pagedSubgroupShape(spec, gpu, pagedPlan(spec, all).rowsPerTile, all);
        expect(typeof shape === 'string' ? shape : '', sname).toBe('');
        const unroll = voptions.decodeUnroll ?? (typeof shape === 'string' ? 0 : shape.unroll);
        const want = new RegExp(
          `subgroups, \\d+ lanes a token, \\d+ invocations, ${unroll} tokens a step${voptions.decodePrefetch ? ', prefetch' : ''}`,
        );
        // Host K/V for odd shapes, hash-generated for the others: both pool paths under every variant.
        await check(gpu, input, all, { shuffleSeed: 11 + i }, want, i % 2 === 0 ? 'host' : 'hash');
      }
    });
  }

  it('split-K from compute units: partitions chosen to fill 3 units x 32 workgroups', async () => {
    const [, input] = shapes[0];
    // Grid 5 sequences x 2 KV heads = 10 workgroups; 96 wanted: partitions of max(128, 333 / 10).
    await check(gpu, input, { blockSize: 8, computeUnits: 3 }, { shuffleSeed: 2 }, /split-K 128/, 'hash');
  });

  it('hash-generated K/V through pool shards (binding limit of the largest sequence), prefetch', async () => {
    const input = noSharingProblem({ batch: 6, length: [3, 300, 170, 41, 333, 4], headsQ: 8, headsKV: 2, headDim: 32 });
    const spec = resolveProblem(input);
    const bs = 8;
    const blockBytes = spec.headsKV * bs * spec.headDim * 4;
    const largest = Math.max(
      ...spec.sequences.map((_, b) => pagedPoolBlocks(shardSpec(spec, { first: b, count: 1 }), bs)),
    );
    const shards = planPoolShards(spec, bs, blockBytes, largest * blockBytes, 'limit');
    if (typeof shards === 'string') throw new Error(shards);
    expect(shards.length).toBeGreaterThanOrEqual(3);
    const got = (await expectMatchesReference(
      withBindingLimit(gpu, largest * blockBytes),
      poisoned({ shuffleSeed: 6 }),
      input,
      { blockSize: bs, decodePrefetch: true },
      1234,
      'hash',
    )) as KernelOutput;
    expect(got.variant).toMatch(new RegExp(`prefetch, KV f32, ${shards.length} pool shards\\)$`));
  });
});
