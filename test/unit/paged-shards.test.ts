import { describe, expect, it } from 'vitest';
import { pagedPoolBlocks } from '../../src/paged/build';
import { planPoolShards, shardSpec } from '../../src/paged/shards';
import { noSharingProblem, sharedPrefixProblem } from '../../src/problem/builders';
import { resolveProblem } from '../../src/problem/validate';

const heads = { headsQ: 4, headsKV: 2, headDim: 16 };
/** Bytes of one block: headsKV x blockSize x D x 4 (f32), block size 16. */
const BLOCK = 2 * 16 * 16 * 4;

describe('pool shards', () => {
  it('one shard when the whole pool fits', () => {
    const spec = resolveProblem(noSharingProblem({ batch: 5, length: 40, ...heads }));
    const blocks = pagedPoolBlocks(spec, 16);
    expect(planPoolShards(spec, 16, BLOCK, blocks * BLOCK, 'limit')).toEqual([
      { first: 0, count: 5, poolBlocks: blocks },
    ]);
  });

  it('the fewest runs of consecutive sequences that each fit, in batch order', () => {
    // Ragged lengths: 3, 1, 2, 3, 1, 1 blocks; at most 4 blocks a shard.
    const lens = [40, 5, 20, 33, 1, 16];
    const spec = resolveProblem(noSharingProblem({ batch: lens.length, length: lens, ...heads }));
    const shards = planPoolShards(spec, 16, BLOCK, 4 * BLOCK, 'limit');
    expect(shards).toEqual([
      { first: 0, count: 2, poolBlocks: 4 },
      { first: 2, count: 1, poolBlocks: 2 },
      { first: 3, count: 2, poolBlocks: 4 },
      { first: 5, count: 1, poolBlocks: 1 },
    ]);
  });

  it('stores a shared prefix once in every shard that uses it, and each shard is as long as it can be', () => {
    const spec = resolveProblem(sharedPrefixProblem({ batch: 37, prefixLength: 64, suffixLength: 20, ...heads }));
    // Prefix 4 blocks; each suffix starts a new block after it: 2 blocks (20 tokens). Room for 4 + 2 x 5.
    const max = (4 + 2 * 5) * BLOCK;
    const shards = planPoolShards(spec, 16, BLOCK, max, 'limit');
    if (typeof shards === 'string') throw new Error(shards);
    expect(shards.map((s) => s.count)).toEqual([5, 5, 5, 5, 5, 5, 5, 2]);
    let next = 0;
    for (const s of shards) {
      expect(s.first).toBe(next);
      next += s.count;
      expect(s.poolBlocks).toBe(pagedPoolBlocks(shardSpec(spec, s), 16));
      expect(s.poolBlocks * BLOCK).toBeLessThanOrEqual(max);
      if (s.first + s.count < 37)
        expect(pagedPoolBlocks(shardSpec(spec, { first: s.first, count: s.count + 1 }), 16) * BLOCK).toBeGreaterThan(
          max,
        );
    }
    expect(next).toBe(37);
  });

  it('names the limit and the bytes when one sequence alone does not fit', () => {
    const spec = resolveProblem(noSharingProblem({ batch: 3, length: [10, 100, 10], ...heads }));
    expect(planPoolShards(spec, 16, BLOCK, 3 * BLOCK, 'maxStorageBufferBindingSize')).toBe(
      `sequence 1 (100 tokens) needs ${7 * BLOCK} bytes of K pool on its own; maxStorageBufferBindingSize is ${3 * BLOCK}`,
    );
  });

  it('a shard of a spec keeps its sequences and every segment', () => {
    const spec = resolveProblem(sharedPrefixProblem({ batch: 4, prefixLength: 8, suffixLength: 2, ...heads }));
    const sub = shardSpec(spec, { first: 1, count: 2 });
    expect(sub.sequences).toEqual(spec.sequences.slice(1, 3));
    expect(sub.segments).toBe(spec.segments);
  });
});
