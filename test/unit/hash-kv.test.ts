import { describe, expect, it } from 'vitest';
import { buildPagedCache } from '../../src/paged/build';
import { noSharingProblem, sharedPrefixProblem, unevenTreeProblem } from '../../src/problem/builders';
import { roundToF16 } from '../../src/problem/f16';
import { generateProblemData } from '../../src/problem/generate';
import {
  hashedKvProblem,
  hashMix,
  hashRowKey,
  hashRows,
  hashSeed,
  hashValue,
  materializeProblem,
} from '../../src/problem/hash-kv';
import { resolveProblem } from '../../src/problem/validate';
import { referenceAttention, referenceRows } from '../../src/reference/attention';

/** The hashed K/V source: CPU evaluator, reference on hashed vs materialized data, pool runs. */

describe('hash-generated K/V', () => {
  it('hashMix is lowbias32 (known values) and a bijection on a sample', () => {
    // lowbias32 written out independently with BigInt arithmetic.
    const ref = (x: number) => {
      let h = BigInt(x >>> 0);
      const m = (a: bigint, b: bigint) => (a * b) & 0xffffffffn;
      h ^= h >> 16n;
      h = m(h, 0x7feb352dn);
      h ^= h >> 15n;
      h = m(h, 0x846ca68bn);
      h ^= h >> 16n;
      return Number(h);
    };
    for (const x of [0, 1, 2, 0x9e3779b9, 0xffffffff, 12345678, 0x80000000]) expect(hashMix(x)).toBe(ref(x));
    const seen = new Set<number>();
    for (let x = 0; x < 50_000; x++) seen.add(hashMix(x));
    expect(seen.size).toBe(50_000);
  });

  it('values are f16-exact, in [-1, 1), spread evenly, and hashRows agrees with hashValue', () => {
    const rows = hashRows({ kind: 'hash', seed: 7 }, 1, 3, 100, 64, 128);
    let sum = 0;
    for (let t = 0; t < 64; t++) {
      const key = hashRowKey(7, 1, 3, 100 + t);
      for (let d = 0; d < 128; d++) {
        const x = rows[t * 128 + d];
        expect(x).toBe(hashValue(key, d));
        expect(x >= -1 && x < 1).toBe(true);
        expect(roundToF16(x)).toBe(x);
        sum += x;
      }
    }
    expect(Math.abs(sum / (64 * 128))).toBeLessThan(0.05);
    // K and V, heads, tokens and seeds all differ.
    const first = (seed: number, which: 0 | 1, head: number, token: number) =>
      hashRows({ kind: 'hash', seed }, which, head, token, 1, 8).join();
    const base = first(7, 0, 0, 0);
    for (const other of [first(7, 1, 0, 0), first(7, 0, 1, 0), first(7, 0, 0, 1), first(8, 0, 0, 0)])
      expect(other).not.toBe(base);
  });

  it("generateProblemData(.., 'hash'): same q as host data, no host K/V, a seed per segment", () => {
    const spec = resolveProblem(
      sharedPrefixProblem({ batch: 3, prefixLength: 20, suffixLength: 5, headsQ: 4, headsKV: 2, headDim: 16 }),
    );
    const host = generateProblemData(spec, 5);
    const hashed = generateProblemData(spec, 5, 'hash');
    expect(hashed.q).toEqual(host.q);
    expect(hashed.kv.size).toBe(0);
    expect([...(hashed.kvHashed?.keys() ?? [])]).toEqual(spec.segments.map((s) => s.id));
    expect(spec.segments.map((_, i) => hashed.kvHashed?.get(spec.segments[i].id)?.seed)).toEqual(
      spec.segments.map((_, i) => hashSeed(5, i)),
    );
    expect(new Set([...(hashed.kvHashed?.values() ?? [])].map((h) => h.seed)).size).toBe(spec.segments.length);
    expect(hashedKvProblem(hashed)).toMatch(/segment "prefix" has hash-generated K\/V/);
    expect(hashedKvProblem(host)).toBeNull();
  });

  for (const [name, input] of [
    [
      'causal chunk over a shared prefix, GQA 6:2, D 80',
      sharedPrefixProblem({
        batch: 4,
        prefixLength: 37,
        suffixLength: [0, 3, 20, 1],
        headsQ: 6,
        headsKV: 2,
        headDim: 80,
        queriesPerSeq: 3,
        causal: true,
      }),
    ],
    ['uneven tree, MQA', unevenTreeProblem({ headsQ: 4, headsKV: 1, headDim: 16 })],
    [
      'ragged unshared, f16',
      noSharingProblem({ batch: 3, length: [1, 17, 70], headsQ: 4, headsKV: 2, headDim: 32, kvDtype: 'f16' }),
    ],
  ] as const) {
    it(`the reference on hashed data equals the reference on the same data materialized: ${name}`, () => {
      const hashed = generateProblemData(resolveProblem(input), 11, 'hash');
      const host = materializeProblem(hashed);
      expect(host.kvHashed).toBeUndefined();
      const a = referenceAttention(hashed);
      const b = referenceAttention(host);
      expect(a.o).toEqual(b.o);
      expect(a.lse).toEqual(b.lse);
      // Sampled rows in a scrambled order too (the per-head cache must follow the rows).
      const rows = [5, 0, 3, a.lse.length - 1, 1, 2];
      const r = referenceRows(hashed, rows);
      expect([...r.lse]).toEqual(rows.map((row) => b.lse[row]));
    });
  }

  it('a paged pool of hashed runs records, block by block, what the host pool holds', () => {
    const input = unevenTreeProblem({ headsQ: 4, headsKV: 2, headDim: 16 });
    const hashed = generateProblemData(resolveProblem(input), 3, 'hash');
    const host = materializeProblem(hashed);
    for (const bs of [8, 16]) {
      const runs = buildPagedCache(hashed, bs, { shuffleSeed: 4 });
      const vals = buildPagedCache(host, bs, { shuffleSeed: 4 });
      expect(runs.cache.pool.storage).toBe('runs');
      expect(runs.cache.pool.k.length).toBe(0);
      const pool = runs.cache.pool;
      const { headsKV: H, headDim: D } = hashed.spec;
      const seeds = new Map([...(hashed.kvHashed ?? [])].map(([id, h]) => [h.seed, id]));
      let rowsChecked = 0;
      for (const block of vals.cache.pool.liveBlocks()) {
        expect(pool.filled(block)).toBe(vals.cache.pool.filled(block));
        for (const run of pool.runs(block)) {
          const id = seeds.get(run.seed);
          if (!id) throw new Error(`run with unknown seed ${run.seed}`);
          for (let h = 0; h < H; h++) {
            const k = hashRows({ kind: 'hash', seed: run.seed }, 0, h, run.token, run.count, D);
            const v = hashRows({ kind: 'hash', seed: run.seed }, 1, h, run.token, run.count, D);
            const at = vals.cache.pool.rowOffset(block, h, run.row);
            expect(vals.cache.pool.k.subarray(at, at + run.count * D)).toEqual(k);
            expect(vals.cache.pool.v.subarray(at, at + run.count * D)).toEqual(v);
          }
          rowsChecked += run.count;
        }
      }
      expect(rowsChecked).toBe(vals.cache.report().tokensStored);
      hashed.spec.sequences.forEach((_, b) => {
        expect(runs.cache.table(runs.sequenceIds[b])).toEqual(vals.cache.table(vals.sequenceIds[b]));
      });
    }
  });
});
