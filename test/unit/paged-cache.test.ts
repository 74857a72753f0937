import { describe, expect, it } from 'vitest';
import { BlockPool, PoolExhaustedError } from '../../src/paged/block-pool';
import { PagedKvCache } from '../../src/paged/paged-cache';
import { createPrng } from '../../src/problem/prng';

const H = 2;
const D = 4;

/** K/V for `ids` laid out [H, n, D]: k = id + h/10 in every element, v = -k. Token ids are unique and nonzero. */
function tokens(ids: readonly number[]): { k: Float32Array; v: Float32Array } {
  const n = ids.length;
  const k = new Float32Array(H * n * D);
  for (let h = 0; h < H; h++) for (let t = 0; t < n; t++) k.fill(ids[t] + h / 10, (h * n + t) * D, (h * n + t + 1) * D);
  return { k, v: k.map((x) => -x) };
}

/** Every invariant the cache promises, checked against a reference list of token ids per sequence. */
function checkInvariants(cache: PagedKvCache, ref: Map<number, number[]>): void {
  const pool = cache.pool;
  const bs = pool.blockSize;
  expect(new Set(cache.sequenceIds())).toEqual(new Set(ref.keys()));
  const counts = new Map<number, number>();
  for (const [id, want] of ref) {
    const t = cache.table(id);
    expect(t.length).toBe(want.length);
    expect(t.blocks.length).toBe(Math.ceil(want.length / bs));
    t.blocks.forEach((b, i) => {
      counts.set(b, (counts.get(b) ?? 0) + 1);
      const rows = Math.min(bs, want.length - i * bs);
      // Every sharer sees exactly the filled rows of a block.
      expect(pool.filled(b)).toBe(rows);
    });
    // Contents equal the reference, token by token and head by head.
    for (let p = 0; p < want.length; p++) {
      const b = t.blocks[Math.floor(p / bs)];
      for (let h = 0; h < H; h++) {
        const at = pool.rowOffset(b, h, p % bs);
        const expected = Math.fround(want[p] + h / 10);
        if (pool.k[at] !== expected || pool.v[at + D - 1] !== -expected)
          throw new Error(`sequence ${id} token ${p} head ${h}: block ${b} holds ${pool.k[at]}, expected ${expected}`);
      }
    }
  }
  // No block shared without a count; no count without a holder; no block both live and free; none leaked.
  const live = pool.liveBlocks();
  expect(new Set(live)).toEqual(new Set(counts.keys()));
  for (const [b, c] of counts) expect(pool.refCount(b), `block ${b}`).toBe(c);
  const free = pool.freeBlocks();
  for (const b of live) expect(free.has(b)).toBe(false);
  // With a poisoned pool, the rows past a block's fill hold the poison (nothing stale survives).
  if (Number.isNaN(pool.poison)) {
    for (const b of live) {
      const f = pool.filled(b);
      if (f < bs) for (let h = 0; h < H; h++) expect(pool.k[pool.rowOffset(b, h, f)]).toBeNaN();
    }
  }
  expect(free.size + live.length).toBe(pool.numBlocks);
}

describe('paged KV cache operations', () => {
  it('appends across block boundaries', () => {
    const cache = new PagedKvCache({ numBlocks: 8, blockSize: 8, headsKV: H, headDim: D });
    const s = cache.create();
    const ids = Array.from({ length: 19 }, (_, i) => i + 1);
    const { k, v } = tokens(ids);
    cache.append(s, k, v, 19, 0, 5);
    cache.append(s, k, v, 19, 5, 14);
    expect(cache.table(s).blocks).toEqual([0, 1, 2]);
    checkInvariants(cache, new Map([[s, ids]]));
  });

  it('fork shares every block; the next write to a shared partial block copies it', () => {
    const cache = new PagedKvCache({ numBlocks: 8, blockSize: 8, headsKV: H, headDim: D });
    const a = cache.create();
    const t = tokens([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    cache.append(a, t.k, t.v, 10);
    const b = cache.fork(a);
    expect(cache.table(b).blocks).toEqual(cache.table(a).blocks);
    expect(cache.pool.usedCount).toBe(2);
    const x = tokens([11]);
    cache.append(b, x.k, x.v, 1);
    const ta = cache.table(a).blocks;
    const tb = cache.table(b).blocks;
    expect(tb[0]).toBe(ta[0]); // full block still shared
    expect(tb[1]).not.toBe(ta[1]); // partial block copied on write
    expect(cache.pool.refCount(ta[0])).toBe(2);
    expect(cache.pool.refCount(ta[1])).toBe(1);
    checkInvariants(
      cache,
      new Map([
        [a, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
        [b, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]],
      ]),
    );
  });

  it('free returns blocks only when their count reaches 0', () => {
    const cache = new PagedKvCache({ numBlocks: 4, blockSize: 16, headsKV: H, headDim: D });
    const a = cache.create();
    const t = tokens(Array.from({ length: 20 }, (_, i) => i + 1));
    cache.append(a, t.k, t.v, 20);
    const b = cache.fork(a);
    cache.free(a);
    expect(cache.pool.usedCount).toBe(2);
    cache.free(b);
    expect(cache.pool.usedCount).toBe(0);
    expect(cache.pool.freeCount).toBe(4);
  });

  it('running out of blocks is a clear error that changes nothing', () => {
    const cache = new PagedKvCache({ numBlocks: 2, blockSize: 8, headsKV: H, headDim: D });
    const a = cache.create();
    const ids = Array.from({ length: 12 }, (_, i) => i + 1);
    const t = tokens(ids);
    cache.append(a, t.k, t.v, 12);
    const b = cache.fork(a);
    const more = tokens([100, 101]);
    // b's append needs a copy of the shared partial block: 1 block, none free.
    expect(() => cache.append(b, more.k, more.v, 2)).toThrow(PoolExhaustedError);
    expect(() => cache.append(b, more.k, more.v, 2)).toThrow(
      /appending 2 tokens to sequence 1 needs 1 free block, but only 0 of the pool's 2 are free/,
    );
    checkInvariants(
      cache,
      new Map([
        [a, ids],
        [b, ids],
      ]),
    );
  });

  it('reports blocks, tokens, fragmentation and bytes saved by sharing', () => {
    const cache = new PagedKvCache({ numBlocks: 8, blockSize: 8, headsKV: H, headDim: D });
    const a = cache.create();
    const t = tokens(Array.from({ length: 20 }, (_, i) => i + 1));
    cache.append(a, t.k, t.v, 20);
    cache.fork(a);
    const r = cache.report(2);
    const bytesPerBlock = 2 * H * 8 * D * 2;
    expect(r).toMatchObject({
      blocksTotal: 8,
      blocksUsed: 3,
      blocksFree: 5,
      tokensStored: 20,
      tokensLogical: 40,
      fragmentationRows: 4,
      bytesPerBlock,
      bytesUsed: 3 * bytesPerBlock,
      bytesSavedBySharing: 3 * bytesPerBlock,
    });
    expect(r.fragmentation).toBeCloseTo(4 / 24);
  });

  it('refuses bad block sizes and bad allocation orders', () => {
    expect(() => new BlockPool({ numBlocks: 4, blockSize: 12, headsKV: 1, headDim: 4 })).toThrow(/8, 16, 32/);
    expect(
      () => new BlockPool({ numBlocks: 3, blockSize: 8, headsKV: 1, headDim: 4, allocationOrder: [0, 0, 1] }),
    ).toThrow(/permutation/);
  });
});

describe('paged KV cache: random append / fork / free (property test)', () => {
  for (const [seed, blockSize, numBlocks] of [
    [1, 8, 40],
    [2, 16, 24],
    [3, 32, 12],
    [4, 8, 6],
  ] as const) {
    it(`seed ${seed}, block size ${blockSize}, pool ${numBlocks}`, () => {
      const prng = createPrng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[prng.nextU32() % xs.length];
      const cache = new PagedKvCache({ numBlocks, blockSize, headsKV: H, headDim: D, poison: Number.NaN });
      const ref = new Map<number, number[]>();
      let nextToken = 1;
      let exhausted = 0;
      for (let step = 0; step < 400; step++) {
        const live = [...ref.keys()];
        const r = prng.nextFloat();
        if (live.length === 0 || r < 0.1) {
          ref.set(cache.create(), []);
        } else if (r < 0.6) {
          const id = pick(live);
          const n = 1 + (prng.nextU32() % (2 * blockSize + 3));
          const ids = Array.from({ length: n }, () => nextToken++);
          const t = tokens(ids);
          const from = prng.nextU32() % n;
          try {
            cache.append(id, t.k, t.v, n, from);
            ref.get(id)?.push(...ids.slice(from));
          } catch (e) {
            expect(e).toBeInstanceOf(PoolExhaustedError);
            exhausted++;
          }
        } else if (r < 0.8) {
          const id = pick(live);
          ref.set(cache.fork(id), [...(ref.get(id) ?? [])]);
        } else {
          const id = pick(live);
          cache.free(id);
          ref.delete(id);
        }
        checkInvariants(cache, ref);
      }
      for (const id of [...ref.keys()]) cache.free(id);
      expect(cache.pool.usedCount).toBe(0);
      expect(cache.pool.freeCount).toBe(numBlocks);
      // The smallest pool must actually run out, so the error path is exercised.
      if (numBlocks < 10) expect(exhausted).toBeGreaterThan(0);
    });
  }
});
