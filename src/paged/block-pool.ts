/**
 * A pool of fixed-size KV blocks with reference counts and a free list (vLLM's block allocator).
 *
 * Each block holds `blockSize` tokens of K and of V for every KV head. The host arrays `k` and `v`
 * are exactly what gets uploaded to the GPU, laid out
 *
 *   k, v: [numBlocks, headsKV, blockSize, D]   (element ((block * headsKV + h) * blockSize + row) * D + d)
 *
 * so one KV head's slice of one block is blockSize * D contiguous elements: a workgroup working on
 * one KV head reads whole blocks with consecutive loads.
 *
 * A block's `filled` count says how many of its rows hold tokens; rows past it are never read by a
 * correct kernel. With `poison` set, every row that holds no token (fresh, freed, or past `filled`)
 * holds that value (NaN in the tests), so a kernel that reads one cannot pass.
 *
 * With `storage: 'runs'` the pool holds no K/V values (k and v are empty): each block records which
 * rows came from which hashed segment (HashRun, written by writeHashed, copied by copyBlock), and the
 * GPU fills its pool buffers from those runs (src/kernels/hash-kv-fill.ts). That is how a pool of
 * tens of GB is planned on the host in milliseconds.
 */

/** Rows row .. row + count - 1 of a block hold tokens token .. token + count - 1 of the hashed segment `seed`. */
export interface HashRun {
  readonly row: number;
  readonly count: number;
  readonly seed: number;
  readonly token: number;
}

export const BLOCK_SIZES: readonly number[] = [8, 16, 32];

/**
 * Each block's hashed runs as linked lists in flat arrays (no object a run: a pool of 500k blocks
 * was mostly garbage collection with one). Entries of released blocks are not reused.
 */
class RunStore {
  /** First and last entry of each block's list; -1 when it has none. */
  readonly head: Int32Array;
  readonly tail: Int32Array;
  /** Per entry: row, count, seed, token, next entry (-1 ends the list). */
  private readonly e: number[] = [];

  constructor(numBlocks: number) {
    this.head = new Int32Array(numBlocks).fill(-1);
    this.tail = new Int32Array(numBlocks).fill(-1);
  }

  add(block: number, row: number, count: number, seed: number, token: number): void {
    const at = this.e.length;
    this.e.push(row, count, seed, token, -1);
    if (this.head[block] < 0) this.head[block] = at;
    else this.e[this.tail[block] + 4] = at;
    this.tail[block] = at;
  }

  clear(block: number): void {
    this.head[block] = -1;
    this.tail[block] = -1;
  }

  /** Calls f(row, count, seed, token) for each run of the block, in row order. */
  each(block: number, f: (row: number, count: number, seed: number, token: number) => void): void {
    for (let at = this.head[block]; at >= 0; at = this.e[at + 4])
      f(this.e[at], this.e[at + 1], this.e[at + 2], this.e[at + 3]);
  }
}

export class PoolExhaustedError extends Error {
  constructor(
    readonly poolBlocks: number,
    readonly freeBlocks: number,
    readonly requested: number,
    what: string,
  ) {
    super(
      `KV block pool exhausted: ${what} needs ${requested} free block${requested === 1 ? '' : 's'}, ` +
        `but only ${freeBlocks} of the pool's ${poolBlocks} are free`,
    );
    this.name = 'PoolExhaustedError';
  }
}

export interface BlockPoolOptions {
  readonly numBlocks: number;
  readonly blockSize: number;
  readonly headsKV: number;
  readonly headDim: number;
  /** Value of every row that holds no token (default 0). */
  readonly poison?: number;
  /**
   * Order in which free blocks are handed out: a permutation of 0..numBlocks-1 (default ascending).
   * A shuffled order gives scrambled, non-contiguous block tables.
   */
  readonly allocationOrder?: readonly number[];
  /** 'host' (default): k and v hold the values. 'runs': no values, only each block's HashRuns. */
  readonly storage?: 'host' | 'runs';
}

export class BlockPool {
  readonly numBlocks: number;
  readonly blockSize: number;
  readonly headsKV: number;
  readonly headDim: number;
  readonly poison: number;
  /** [numBlocks, headsKV, blockSize, D] */
  readonly k: Float32Array;
  /** [numBlocks, headsKV, blockSize, D] */
  readonly v: Float32Array;
  /** Reference count of each block; 0 = free. */
  private readonly refs: Uint32Array;
  /** Rows of each block that hold tokens. */
  private readonly fill: Uint32Array;
  /** Free block ids; the next allocation pops from the end. */
  private readonly free: number[];
  /** With storage 'runs': each live block's runs, in row order. */
  private readonly runsOf: RunStore | null;

  constructor(o: BlockPoolOptions) {
    for (const [name, v] of [
      ['numBlocks', o.numBlocks],
      ['headsKV', o.headsKV],
      ['headDim', o.headDim],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`BlockPool: ${name} (${v}) must be a positive integer`);
    }
    if (!BLOCK_SIZES.includes(o.blockSize))
      throw new Error(`BlockPool: blockSize (${o.blockSize}) must be one of ${BLOCK_SIZES.join(', ')}`);
    this.numBlocks = o.numBlocks;
    this.blockSize = o.blockSize;
    this.headsKV = o.headsKV;
    this.headDim = o.headDim;
    this.poison = o.poison ?? 0;
    this.runsOf = o.storage === 'runs' ? new RunStore(o.numBlocks) : null;
    const n = this.runsOf ? 0 : o.numBlocks * o.headsKV * o.blockSize * o.headDim;
    this.k = new Float32Array(n);
    this.v = new Float32Array(n);
    if (this.poison !== 0) {
      this.k.fill(this.poison);
      this.v.fill(this.poison);
    }
    this.refs = new Uint32Array(o.numBlocks);
    this.fill = new Uint32Array(o.numBlocks);
    const order = o.allocationOrder;
    if (!order) {
      // Ascending: block 0 is handed out first, so it sits at the end of the free list.
      this.free = Array.from({ length: o.numBlocks }, (_, i) => o.numBlocks - 1 - i);
      return;
    }
    if (order.length !== o.numBlocks || new Set(order).size !== o.numBlocks || order.some((b) => !this.valid(b)))
      throw new Error(`BlockPool: allocationOrder must be a permutation of 0..${o.numBlocks - 1}`);
    this.free = [...order].reverse();
  }

  /** Elements of one block of K (or V): headsKV * blockSize * D. */
  get blockElements(): number {
    return this.headsKV * this.blockSize * this.headDim;
  }

  get freeCount(): number {
    return this.free.length;
  }

  get usedCount(): number {
    return this.numBlocks - this.free.length;
  }

  refCount(block: number): number {
    this.check(block);
    return this.refs[block];
  }

  filled(block: number): number {
    this.check(block);
    return this.fill[block];
  }

  /** Throw a PoolExhaustedError unless `n` blocks are free (call before mutating anything). */
  reserve(n: number, what: string): void {
    if (n > this.free.length) throw new PoolExhaustedError(this.numBlocks, this.free.length, n, what);
  }

  /** A fresh block with reference count 1 and no tokens. */
  allocate(what = 'allocate'): number {
    this.reserve(1, what);
    const b = this.free.pop() as number;
    this.refs[b] = 1;
    this.fill[b] = 0;
    return b;
  }

  retain(block: number): void {
    this.checkLive(block);
    this.refs[block]++;
  }

  /** Drop one reference; at 0 the block returns to the free list (and is re-poisoned). */
  release(block: number): void {
    this.checkLive(block);
    if (--this.refs[block] > 0) return;
    this.runsOf?.clear(block);
    if (this.poison !== 0 && !this.runsOf) {
      const at = block * this.blockElements;
      this.k.fill(this.poison, at, at + this.blockElements);
      this.v.fill(this.poison, at, at + this.blockElements);
    }
    this.fill[block] = 0;
    this.free.push(block);
  }

  /** Copy the filled rows of `src` into the fresh block `dst` (copy-on-write). */
  copyBlock(src: number, dst: number): void {
    this.checkLive(src);
    this.checkLive(dst);
    const n = this.fill[src];
    this.fill[dst] = n;
    if (this.runsOf) {
      const store = this.runsOf;
      store.clear(dst);
      store.each(src, (row, count, seed, token) => store.add(dst, row, count, seed, token));
      return;
    }
    const rowElems = this.headDim;
    for (let h = 0; h < this.headsKV; h++) {
      const from = this.rowOffset(src, h, 0);
      const to = this.rowOffset(dst, h, 0);
      this.k.copyWithin(to, from, from + n * rowElems);
      this.v.copyWithin(to, from, from + n * rowElems);
    }
  }

  /**
   * Write `count` tokens at the end of `block` (which must be exclusively owned), taking token
   * `from` .. `from + count` of `k`/`v` laid out [headsKV, total, D].
   */
  write(block: number, k: Float32Array, v: Float32Array, total: number, from: number, count: number): void {
    if (this.runsOf) throw new Error('BlockPool: a pool of hashed runs holds no values to write');
    const row = this.writableRows(block, count);
    const D = this.headDim;
    for (let h = 0; h < this.headsKV; h++) {
      const src = (h * total + from) * D;
      const dst = this.rowOffset(block, h, row);
      this.k.set(k.subarray(src, src + count * D), dst);
      this.v.set(v.subarray(src, src + count * D), dst);
    }
    this.fill[block] = row + count;
  }

  /** Record that the next `count` rows of `block` (exclusively owned) are tokens from `token` of hashed segment `seed`. */
  writeHashed(block: number, seed: number, token: number, count: number): void {
    if (!this.runsOf) throw new Error('BlockPool: hashed K/V needs a pool with storage "runs"');
    const row = this.writableRows(block, count);
    this.runsOf.add(block, row, count, seed, token);
    this.fill[block] = row + count;
  }

  /** A block's hashed runs (storage 'runs'; empty for a block with none). */
  runs(block: number): HashRun[] {
    this.check(block);
    const out: HashRun[] = [];
    this.runsOf?.each(block, (row, count, seed, token) => out.push({ row, count, seed, token }));
    return out;
  }

  /** Every live block's runs as u32 [block, row, count, seed, token] each, in block order (the GPU fill's table). */
  runTable(): Uint32Array {
    const store = this.runsOf;
    if (!store) return new Uint32Array(0);
    let n = 0;
    for (let b = 0; b < this.numBlocks; b++) if (this.refs[b] > 0) store.each(b, () => n++);
    const table = new Uint32Array(5 * n);
    let at = 0;
    for (let b = 0; b < this.numBlocks; b++) {
      if (this.refs[b] === 0) continue;
      store.each(b, (row, count, seed, token) => {
        table[at++] = b;
        table[at++] = row;
        table[at++] = count;
        table[at++] = seed;
        table[at++] = token;
      });
    }
    return table;
  }

  get storage(): 'host' | 'runs' {
    return this.runsOf ? 'runs' : 'host';
  }

  /** The first free row of `block` after checking it is live, exclusively owned and has room for `count`. */
  private writableRows(block: number, count: number): number {
    this.checkLive(block);
    if (this.refs[block] !== 1) throw new Error(`BlockPool: write to block ${block} shared ${this.refs[block]} ways`);
    const row = this.fill[block];
    if (row + count > this.blockSize)
      throw new Error(`BlockPool: ${count} tokens do not fit block ${block} (${row} of ${this.blockSize} filled)`);
    return row;
  }

  /** Element offset of (block, KV head h, row) in k and v. */
  rowOffset(block: number, h: number, row: number): number {
    return ((block * this.headsKV + h) * this.blockSize + row) * this.headDim;
  }

  /** Every block with a nonzero count, for invariant checks. */
  liveBlocks(): number[] {
    const out: number[] = [];
    for (let b = 0; b < this.numBlocks; b++) if (this.refs[b] > 0) out.push(b);
    return out;
  }

  /** The free list as a set (for invariant checks). */
  freeBlocks(): ReadonlySet<number> {
    return new Set(this.free);
  }

  private valid(b: number): boolean {
    return Number.isInteger(b) && b >= 0 && b < this.numBlocks;
  }

  private check(b: number): void {
    if (!this.valid(b)) throw new Error(`BlockPool: block ${b} out of range 0..${this.numBlocks - 1}`);
  }

  private checkLive(b: number): void {
    this.check(b);
    if (this.refs[b] === 0) throw new Error(`BlockPool: block ${b} is free`);
  }
}
