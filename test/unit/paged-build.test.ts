import { describe, expect, it } from 'vitest';
import { buildPagedCache, pagedPoolBlocks, shuffledOrder } from '../../src/paged/build';
import { noSharingProblem, sharedPrefixProblem, unevenTreeProblem } from '../../src/problem/builders';
import { generateProblemData } from '../../src/problem/generate';
import type { ProblemData, ProblemInput } from '../../src/problem/problem';
import { resolveProblem } from '../../src/problem/validate';

const data = (input: ProblemInput): ProblemData => generateProblemData(resolveProblem(input), 99);

/** Every sequence's table reads back exactly the concatenation of its segments, every head. */
function expectExactTables(d: ProblemData, blockSize: number, shuffleSeed?: number) {
  const { cache, sequenceIds } = buildPagedCache(d, blockSize, { poison: Number.NaN, shuffleSeed });
  const { headsKV: H, headDim: D } = d.spec;
  const pool = cache.pool;
  d.spec.sequences.forEach((segs, b) => {
    const t = cache.table(sequenceIds[b]);
    let pos = 0;
    for (const id of segs) {
      const kv = d.kv.get(id);
      if (!kv) throw new Error(id);
      const n = kv.k.length / (H * D);
      for (let j = 0; j < n; j++, pos++) {
        const blk = t.blocks[Math.floor(pos / blockSize)];
        for (let h = 0; h < H; h++) {
          const at = pool.rowOffset(blk, h, pos % blockSize);
          const src = (h * n + j) * D;
          for (let e = 0; e < D; e++) {
            if (pool.k[at + e] !== kv.k[src + e] || pool.v[at + e] !== kv.v[src + e])
              throw new Error(`sequence ${b} token ${pos} head ${h} differs`);
          }
        }
      }
    }
    expect(t.length).toBe(pos);
  });
  return { cache, sequenceIds };
}

describe('buildPagedCache', () => {
  for (const bs of [8, 16, 32]) {
    it(`block size ${bs}: no sharing, ragged lengths`, () => {
      const d = data(
        noSharingProblem({ batch: 5, length: [1, bs - 1, bs, bs + 1, 333], headsQ: 4, headsKV: 2, headDim: 16 }),
      );
      const { cache } = expectExactTables(d, bs);
      const r = cache.report();
      expect(r.bytesSavedBySharing).toBe(0);
      expect(r.tokensStored).toBe(1 + bs - 1 + bs + bs + 1 + 333);
    });
  }

  it('a prefix that is a multiple of the block size shares all its blocks, copies none', () => {
    const d = data(
      sharedPrefixProblem({ batch: 4, prefixLength: 32, suffixLength: 5, headsQ: 2, headsKV: 1, headDim: 16 }),
    );
    const { cache, sequenceIds } = expectExactTables(d, 16);
    const tables = sequenceIds.map((id) => cache.table(id).blocks);
    for (const t of tables) expect(t.slice(0, 2)).toEqual(tables[0].slice(0, 2));
    expect(new Set(tables.map((t) => t[2])).size).toBe(4);
    expect(cache.pool.usedCount).toBe(2 + 4);
  });

  it('a prefix ending inside a block: full blocks shared, the partial block copied per continuing sequence', () => {
    const d = data(
      sharedPrefixProblem({
        batch: 4,
        prefixLength: 37,
        suffixLength: [3, 0, 20, 0],
        headsQ: 2,
        headsKV: 1,
        headDim: 16,
      }),
    );
    const { cache, sequenceIds } = expectExactTables(d, 16);
    const [a, b, c, e] = sequenceIds.map((id) => cache.table(id).blocks);
    expect(a.slice(0, 2)).toEqual(b.slice(0, 2));
    expect(c.slice(0, 2)).toEqual(b.slice(0, 2));
    // Sequences that stop with the prefix share its partial block; the others have their own copy.
    expect(b[2]).toBe(e[2]);
    expect(a[2]).not.toBe(b[2]);
    expect(c[2]).not.toBe(b[2]);
    expect(cache.pool.refCount(b[2])).toBe(2);
    expect(cache.report().bytesSavedBySharing).toBeGreaterThan(0);
  });

  it('a tree with odd lengths, scrambled allocation order', () => {
    const d = data(unevenTreeProblem({ headsQ: 4, headsKV: 2, headDim: 16 }));
    const { cache, sequenceIds } = expectExactTables(d, 8, 5);
    const all = sequenceIds.flatMap((id) => cache.table(id).blocks);
    const sorted = [...all].sort((x, y) => x - y);
    expect(all).not.toEqual(sorted);
  });

  it('the pool size formula is enough and not wasteful for prefix sharing', () => {
    const spec = resolveProblem(
      sharedPrefixProblem({ batch: 8, prefixLength: 100, suffixLength: 10, headsQ: 2, headsKV: 1, headDim: 16 }),
    );
    // prefix: 7 blocks; each suffix: copy of the partial block (4 + 10 tokens) = 1 block.
    expect(pagedPoolBlocks(spec, 16)).toBe(7 + 8);
  });

  it('shuffledOrder is a permutation', () => {
    const o = shuffledOrder(100, 3);
    expect([...o].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
