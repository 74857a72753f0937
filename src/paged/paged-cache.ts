import { BlockPool, type BlockPoolOptions } from './block-pool';

/**
 * Per-sequence block tables over a BlockPool: the operations a serving engine performs.
 *
 * - append: tokens go at the end of the sequence's last block; a new block is allocated when it is
 *   full. If the last block is shared (count > 1) and partially filled, it is first copied into a
 *   fresh block owned by this sequence (copy-on-write); the other sharers keep the original.
 * - fork: a new sequence sharing every block of the source (each count + 1). Nothing is copied
 *   until one of them appends into a shared partial block.
 * - free: drop the sequence's reference to each of its blocks; blocks whose count reaches 0
 *   return to the pool.
 *
 * Invariant: a block is written only while its count is 1, so the filled rows of a shared block
 * never change, and every sharer sees exactly those rows. Each operation checks that enough blocks
 * are free before touching anything, so running out leaves the cache as it was.
 */

export interface SequenceTable {
  /** Tokens in the sequence. */
  readonly length: number;
  /** Block ids; token t lives in row t % blockSize of block blocks[floor(t / blockSize)]. */
  readonly blocks: readonly number[];
}

export interface MemoryReport {
  readonly blocksTotal: number;
  readonly blocksUsed: number;
  readonly blocksFree: number;
  /** Tokens physically stored (filled rows of used blocks; a shared row counts once). */
  readonly tokensStored: number;
  /** Tokens the sequences hold (sum of lengths; a shared token counts once per sequence). */
  readonly tokensLogical: number;
  /** Unfilled rows of used blocks, and their fraction of the used rows. */
  readonly fragmentationRows: number;
  readonly fragmentation: number;
  /** K and V bytes of one block at `bytesPerElement`. */
  readonly bytesPerBlock: number;
  readonly bytesUsed: number;
  /** Bytes the same tables would take with no sharing (each sequence its own blocks) minus bytesUsed. */
  readonly bytesSavedBySharing: number;
}

interface Seq {
  length: number;
  blocks: number[];
}

export class PagedKvCache {
  readonly pool: BlockPool;
  private readonly seqs = new Map<number, Seq>();
  private nextId = 0;

  constructor(pool: BlockPool | BlockPoolOptions) {
    this.pool = pool instanceof BlockPool ? pool : new BlockPool(pool);
  }

  get blockSize(): number {
    return this.pool.blockSize;
  }

  /** A new empty sequence; returns its id. */
  create(): number {
    const id = this.nextId++;
    this.seqs.set(id, { length: 0, blocks: [] });
    return id;
  }

  sequenceIds(): number[] {
    return [...this.seqs.keys()];
  }

  table(id: number): SequenceTable {
    const s = this.get(id);
    return { length: s.length, blocks: [...s.blocks] };
  }

  /** Blocks an append of `count` tokens to sequence `id` would allocate (copy-on-write included). */
  blocksNeeded(id: number, count: number): number {
    const s = this.get(id);
    if (count === 0) return 0;
    const bs = this.pool.blockSize;
    const inLast = s.length % bs;
    if (inLast === 0) return Math.ceil(count / bs);
    const last = s.blocks[s.blocks.length - 1];
    const cow = this.pool.refCount(last) > 1 ? 1 : 0;
    const room = bs - inLast;
    return cow + Math.ceil(Math.max(0, count - room) / bs);
  }

  /**
   * Append `count` tokens, taken from token `from` of `k`/`v` laid out [headsKV, total, D]
   * (a segment's layout). Throws PoolExhaustedError, changing nothing, if the pool is too small.
   */
  append(id: number, k: Float32Array, v: Float32Array, total: number, from = 0, count = total - from): void {
    this.get(id);
    const need = this.headsKvTokens(total);
    if (k.length !== need || v.length !== need)
      throw new Error(
        `append: k and v must hold ${need} elements ([headsKV, ${total}, D]); got ${k.length}, ${v.length}`,
      );
    if (!Number.isInteger(from) || !Number.isInteger(count) || from < 0 || count < 0 || from + count > total)
      throw new Error(`append: tokens ${from}..${from + count} are outside 0..${total}`);
    this.appendWith(id, count, (block, done, n) => this.pool.write(block, k, v, total, from + done, n));
  }

  /**
   * Append tokens `from` .. `from + count - 1` of a hashed segment (seed `seed`): the pool (storage
   * 'runs') records where they go; their values are the hash's (src/problem/hash-kv.ts).
   */
  appendHashed(id: number, seed: number, from: number, count: number): void {
    if (!Number.isInteger(from) || !Number.isInteger(count) || from < 0 || count < 0)
      throw new Error(`appendHashed: tokens ${from}..${from + count} are not a token range`);
    this.appendWith(id, count, (block, done, n) => this.pool.writeHashed(block, seed, from + done, n));
  }

  /** Blocks for `count` more tokens (copy-on-write first); `write(block, done, n)` fills n rows of each. */
  private appendWith(id: number, count: number, write: (block: number, done: number, n: number) => void): void {
    const s = this.get(id);
    this.pool.reserve(this.blocksNeeded(id, count), `appending ${count} tokens to sequence ${id}`);
    const bs = this.pool.blockSize;
    let done = 0;
    while (done < count) {
      const inLast = s.length % bs;
      let block: number;
      if (inLast === 0) {
        block = this.pool.allocate();
        s.blocks.push(block);
      } else {
        block = s.blocks[s.blocks.length - 1];
        if (this.pool.refCount(block) > 1) {
          const copy = this.pool.allocate();
          this.pool.copyBlock(block, copy);
          this.pool.release(block);
          s.blocks[s.blocks.length - 1] = copy;
          block = copy;
        }
      }
      const n = Math.min(bs - inLast, count - done);
      write(block, done, n);
      done += n;
      s.length += n;
    }
  }

  /** A new sequence sharing every block of `id`; returns its id. Allocates nothing. */
  fork(id: number): number {
    const s = this.get(id);
    for (const b of s.blocks) this.pool.retain(b);
    const child = this.nextId++;
    this.seqs.set(child, { length: s.length, blocks: [...s.blocks] });
    return child;
  }

  free(id: number): void {
    const s = this.get(id);
    for (const b of s.blocks) this.pool.release(b);
    this.seqs.delete(id);
  }

  /** Memory use; `bytesPerElement` is the K/V element size on the GPU (4 for f32, 2 for f16). */
  report(bytesPerElement = 4): MemoryReport {
    const pool = this.pool;
    const live = pool.liveBlocks();
    const tokensStored = live.reduce((a, b) => a + pool.filled(b), 0);
    let tokensLogical = 0;
    let blocksUnshared = 0;
    for (const s of this.seqs.values()) {
      tokensLogical += s.length;
      blocksUnshared += s.blocks.length;
    }
    const rows = live.length * pool.blockSize;
    const bytesPerBlock = 2 * pool.blockElements * bytesPerElement;
    return {
      blocksTotal: pool.numBlocks,
      blocksUsed: live.length,
      blocksFree: pool.freeCount,
      tokensStored,
      tokensLogical,
      fragmentationRows: rows - tokensStored,
      fragmentation: rows === 0 ? 0 : (rows - tokensStored) / rows,
      bytesPerBlock,
      bytesUsed: live.length * bytesPerBlock,
      bytesSavedBySharing: (blocksUnshared - live.length) * bytesPerBlock,
    };
  }

  private headsKvTokens(total: number): number {
    return this.pool.headsKV * total * this.pool.headDim;
  }

  private get(id: number): Seq {
    const s = this.seqs.get(id);
    if (!s) throw new Error(`paged cache: no sequence ${id}`);
    return s;
  }
}
