import { type ProblemSpec, sequenceLengths } from '../problem/problem';
import { pagedPoolBlocks } from './build';

/**
 * Pool shards: when one K (or V) pool for the whole batch would exceed what a device binds at once
 * (maxStorageBufferBindingSize) or allocates (maxBufferSize), the batch is cut into runs of
 * consecutive sequences, each with pools of its own and its own dispatch. A block shared by
 * sequences of several shards is stored once in each of them; within a shard, sharing works as in
 * one pool. The paged kernel runs one dispatch per shard (src/kernels/paged.ts).
 */

/** Sequences first .. first + count - 1, whose blocks fill a pool of poolBlocks blocks. */
export interface PoolShard {
  readonly first: number;
  readonly count: number;
  readonly poolBlocks: number;
}

/** `spec` with only sequences first .. first + count - 1 (segments unchanged: unused ones are ignored). */
export function shardSpec(spec: ProblemSpec, shard: Pick<PoolShard, 'first' | 'count'>): ProblemSpec {
  return { ...spec, sequences: spec.sequences.slice(shard.first, shard.first + shard.count) };
}

/**
 * The fewest runs of consecutive sequences, taken greedily in batch order, whose pools (poolBlocks x
 * bytesPerBlock) each fit `maxBytes`, `limit` naming that bound. One shard when the whole pool fits.
 * A string naming the limit and the value when a single sequence's blocks do not fit.
 */
export function planPoolShards(
  spec: ProblemSpec,
  blockSize: number,
  bytesPerBlock: number,
  maxBytes: number,
  limit: string,
): PoolShard[] | string {
  const B = spec.sequences.length;
  const all = pagedPoolBlocks(spec, blockSize);
  if (all * bytesPerBlock <= maxBytes) return [{ first: 0, count: B, poolBlocks: all }];
  const lens = sequenceLengths(spec);
  const shards: PoolShard[] = [];
  let first = 0;
  const fits = (blocks: number) => blocks * bytesPerBlock <= maxBytes;
  while (first < B) {
    // Blocks of the run of `count` sequences from `first`; a run past the end never fits.
    const blocksOf = (count: number) =>
      count <= B - first ? pagedPoolBlocks(shardSpec(spec, { first, count }), blockSize) : Number.POSITIVE_INFINITY;
    const alone = blocksOf(1);
    if (!fits(alone))
      return `sequence ${first} (${lens[first]} tokens) needs ${alone * bytesPerBlock} bytes of K pool on its own; ${limit} is ${maxBytes}`;
    // A run's pool only grows as it takes more sequences, so the longest run that fits is found by
    // doubling, then halving (O(log B) pool counts a shard, not one a sequence).
    let good = 1;
    let goodBlocks = alone;
    let bad = 2;
    for (let blocks = blocksOf(bad); fits(blocks); blocks = blocksOf(bad)) {
      [good, goodBlocks] = [bad, blocks];
      bad *= 2;
    }
    while (bad - good > 1) {
      const mid = (good + bad) >> 1;
      const blocks = blocksOf(mid);
      if (fits(blocks)) [good, goodBlocks] = [mid, blocks];
      else bad = mid;
    }
    shards.push({ first, count: good, poolBlocks: goodBlocks });
    first += good;
  }
  return shards;
}
