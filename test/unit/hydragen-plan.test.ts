import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { hydragenKernel } from '../../src/kernels/hydragen';
import { type HydragenPlan, keyChunks, planHydragen, sharedVisibleKeys } from '../../src/kernels/hydragen-plan';
import { chooseSharedTiles, sharedWorkgroupBytes, sharedWorkList } from '../../src/kernels/hydragen-shared';
import type { KernelOptions } from '../../src/kernels/kernel';
import { noSharingProblem, sharedPrefixProblem, unevenTreeProblem } from '../../src/problem/builders';
import type { ProblemInput, ProblemSpec } from '../../src/problem/problem';
import { resolveProblem } from '../../src/problem/validate';

const heads = { headsQ: 4, headsKV: 2, headDim: 16 };

/** Every slot is used by exactly one row, slots are in range, and each row sees the right parts. */
function expectConsistentSlots(spec: ProblemSpec, plan: HydragenPlan): void {
  const seen = new Set<number>();
  for (const parts of plan.rowParts) {
    for (const p of parts) {
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(plan.numPartials);
      expect(seen.has(p)).toBe(false);
      seen.add(p);
    }
  }
  const H = spec.headsQ;
  const Lq = spec.queriesPerSeq;
  plan.rowParts.forEach((parts, r) => {
    const b = Math.floor(r / (H * Lq));
    const sharedOfB = plan.shared.filter((s) => s.users.some((u) => u.seq === b));
    const chunks = sharedOfB.reduce((a, s) => a + s.chunks.length, 0);
    expect(parts.length).toBe(chunks + (plan.unique[b].length > 0 ? 1 : 0));
  });
}

describe('planHydragen', () => {
  it('one shared prefix: one shared segment with every sequence, suffixes unique', () => {
    const spec = resolveProblem(
      sharedPrefixProblem({ batch: 3, prefixLength: 10, suffixLength: [0, 2, 5], ...heads, queriesPerSeq: 2 }),
    );
    const plan = planHydragen(spec);
    expect(plan.direct).toBe(false);
    expect(plan.runUnique).toBe(true);
    expect(plan.shared.map((s) => s.id)).toEqual(['prefix']);
    expect(plan.shared[0].users.map((u) => [u.seq, u.tokenStart])).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
    ]);
    expect(plan.unique.map((u) => u.map((s) => [s.id, s.tokenStart, s.length]))).toEqual([
      [],
      [['s1', 10, 2]],
      [['s2', 10, 5]],
    ]);
    // rows = 3 * 4 * 2 = 24 unique slots, then 3 users x 8 shared slots.
    expect(plan.rows).toBe(24);
    expect(plan.sharedSlotBase).toBe(24);
    expect(plan.numPartials).toBe(48);
    expect(plan.rowParts[0]).toEqual([24]); // b0: prefix only
    expect(plan.rowParts[8]).toEqual([32, 8]); // b1 h0 i0: shared slot, then its unique slot
    expectConsistentSlots(spec, plan);
  });

  it('two prefix groups: two shared segments, each with its own sequences', () => {
    const spec = resolveProblem(
      sharedPrefixProblem({ batch: 5, prefixLength: 7, suffixLength: 3, groups: 2, ...heads }),
    );
    const plan = planHydragen(spec);
    expect(plan.shared.map((s) => [s.id, s.users.map((u) => u.seq)])).toEqual([
      ['g0-prefix', [0, 1, 2]],
      ['g1-prefix', [3, 4]],
    ]);
    expectConsistentSlots(spec, plan);
  });

  it('a tree: every inner node shared by the sequences below it, at its depth', () => {
    const spec = resolveProblem(unevenTreeProblem({ ...heads, rootLength: 37, midLength: 19, leafLength: 11 }));
    const plan = planHydragen(spec);
    // root -> 3 mid nodes -> [2, 1, 3] leaves; mid node 1 has one leaf, so its path is used by 1 sequence.
    const byId = new Map(plan.shared.map((s) => [s.id, s]));
    expect(byId.get('L0n0')?.users.length).toBe(6);
    expect(byId.get('L1n0')?.users.map((u) => [u.seq, u.tokenStart])).toEqual([
      [0, 37],
      [1, 37],
    ]);
    expect(byId.has('L1n1')).toBe(false);
    expect(byId.get('L1n2')?.users.length).toBe(3);
    expect([...byId.keys()].some((id) => id.startsWith('L2'))).toBe(false);
    expect(plan.unique[2].map((s) => s.id)).toEqual(['L1n1', 'L2n2', 's2']);
    expectConsistentSlots(spec, plan);
  });

  it('a segment shared at different positions keeps each position', () => {
    const input: ProblemInput = {
      ...heads,
      queriesPerSeq: 1,
      segments: [
        { id: 'a', length: 10 },
        { id: 'b', length: 4 },
        { id: 'c', length: 3 },
      ],
      sequences: [['a', 'c'], ['b', 'c'], ['c']],
    };
    const plan = planHydragen(resolveProblem(input));
    expect(plan.shared.map((s) => [s.id, s.users.map((u) => u.tokenStart)])).toEqual([['c', [10, 4, 0]]]);
  });

  it('nothing unique: no unique region, the shared slots start at 0', () => {
    const spec = resolveProblem(sharedPrefixProblem({ batch: 3, prefixLength: 6, suffixLength: 0, ...heads }));
    const plan = planHydragen(spec);
    expect(plan.runUnique).toBe(false);
    expect(plan.sharedSlotBase).toBe(0);
    expect(plan.numPartials).toBe(plan.rows);
    expectConsistentSlots(spec, plan);
  });

  it('no sharing: direct (no shared part, no merge)', () => {
    const plan = planHydragen(resolveProblem(noSharingProblem({ batch: 3, length: [1, 2, 3], ...heads })));
    expect(plan.direct).toBe(true);
    expect(plan.shared).toEqual([]);
    expect(plan.numPartials).toBe(0);
    expect(plan.rowParts).toEqual([]);
    expect(plan.unique.map((u) => u.length)).toEqual([1, 1, 1]);
  });

  it('chunks: each chunk is one more part per row, with its own slots', () => {
    const spec = resolveProblem(
      sharedPrefixProblem({ batch: 2, prefixLength: 100, suffixLength: 1, ...heads, queriesPerSeq: 3 }),
    );
    const plan = planHydragen(spec, { chunkKeys: 30 });
    expect(plan.shared[0].chunks).toEqual(keyChunks(100, 30));
    expect(plan.rowParts[0].length).toBe(5);
    expectConsistentSlots(spec, plan);
  });
});

describe('keyChunks', () => {
  it('splits into near-equal chunks covering every key once', () => {
    expect(keyChunks(10)).toEqual([{ keyStart: 0, keyCount: 10 }]);
    expect(keyChunks(10, 4)).toEqual([
      { keyStart: 0, keyCount: 3 },
      { keyStart: 3, keyCount: 3 },
      { keyStart: 6, keyCount: 4 },
    ]);
    expect(keyChunks(1, 1)).toEqual([{ keyStart: 0, keyCount: 1 }]);
    expect(() => keyChunks(5, 0)).toThrow(/chunkKeys/);
  });
});

describe('sharedVisibleKeys (causal masking across the split)', () => {
  const spec = resolveProblem(
    sharedPrefixProblem({ batch: 2, prefixLength: 8, suffixLength: 0, ...heads, queriesPerSeq: 3 }),
  );
  it('queries inside a shared segment see only keys up to their position', () => {
    // L = 8, Lq = 3: queries at 5, 6, 7.
    expect([0, 1, 2].map((i) => sharedVisibleKeys(spec, 8, i, 0, 8))).toEqual([6, 7, 8]);
    // A chunk of keys 6..7 (start 6, count 2).
    expect([0, 1, 2].map((i) => sharedVisibleKeys(spec, 8, i, 6, 2))).toEqual([0, 1, 2]);
  });
  it('not causal: every key', () => {
    const nc = { ...spec, causal: false };
    expect(sharedVisibleKeys(nc, 8, 0, 6, 2)).toBe(2);
  });
});

describe('shared-kernel tiles and work list', () => {
  const limits = (storage: number) =>
    ({
      maxComputeWorkgroupStorageSize: storage,
      maxComputeInvocationsPerWorkgroup: 256,
      maxComputeWorkgroupSizeX: 256,
    }) as GPUSupportedLimits;

  it('picks the largest candidate that fits, and names the limit when none does', () => {
    const t = chooseSharedTiles(128, limits(32768));
    expect(typeof t).not.toBe('string');
    if (typeof t !== 'string') expect(sharedWorkgroupBytes(128, t)).toBeLessThanOrEqual(32768);
    for (const D of [16, 64, 80, 96, 128, 256]) expect(typeof chooseSharedTiles(D, limits(16384))).toBe('object');
    const why = chooseSharedTiles(256, limits(1024));
    expect(why).toMatch(/maxComputeWorkgroupStorageSize is 1024/);
  });

  it('tiles rows across users, one item per (chunk, KV head, tile), with per-tile key limits', () => {
    // B 3, Lq 2, G 2: 3 users x 2 heads x 2 queries = 12 rows per KV head; tileQ 8 -> 2 tiles.
    const spec = resolveProblem(
      sharedPrefixProblem({ batch: 3, prefixLength: 5, suffixLength: [0, 1, 0], ...heads, queriesPerSeq: 2 }),
    );
    const plan = planHydragen(spec);
    const list = sharedWorkList(spec, plan, new Map([['prefix', 64]]), 8);
    expect(list.count).toBe(4);
    const item = (n: number) => Array.from(list.items.subarray(n * 9, n * 9 + 9));
    // kv head 1 starts at 64 + 1 * 5 * 16 elements = 144 -> vec4 36; rows 8..11 of tile 1.
    // Tile 1 holds user 2 (length 5, queries at 3, 4): sees 4 and 5 keys -> limit 5.
    expect(item(3)).toEqual([36, 0, 5, 5, 1, 0, 8, 4, 0]);
    // Users: seq, tokenStart, qpos base (len - Lq), slot base.
    expect(Array.from(list.users.subarray(0, 8))).toEqual([0, 0, 3, plan.shared[0].users[0].slotBase, 1, 0, 4, 32]);
  });
});

describe('hydragen descriptor: split-K choice and cost', () => {
  const limits = {
    maxComputeWorkgroupStorageSize: 49152,
    maxComputeInvocationsPerWorkgroup: 1024,
    maxComputeWorkgroupSizeX: 1024,
    maxComputeWorkgroupsPerDimension: 65535,
    maxStorageBufferBindingSize: 2 ** 31 - 4,
    maxBufferSize: 2 ** 36,
  } as GPUSupportedLimits;
  const gpu = { limits, features: { shaderF16: true } } as unknown as GpuContext;
  const bench = (batch: number, prefixLength: number) =>
    resolveProblem(
      sharedPrefixProblem({ batch, prefixLength, suffixLength: 256, headsQ: 32, headsKV: 8, headDim: 128 }),
    );
  const partialBytes = (spec: ProblemSpec, options: KernelOptions = {}) =>
    hydragenKernel.buffers(spec, gpu, options).find((b) => b.label === 'partial lse')?.bytes ?? 0;

  it('auto splits a long prefix when few work items would run, not when many would', () => {
    const rows = (b: number) => b * 32;
    // B 128, P 16384: 128 items unsplit -> 4 chunks: unique + 4 shared partials per row.
    expect(partialBytes(bench(128, 16384))).toBe(rows(128) * 5 * 4);
    expect(partialBytes(bench(128, 16384), { splitK: false })).toBe(rows(128) * 2 * 4);
    expect(partialBytes(bench(128, 16384), { splitK: true, partitionSize: 8192 })).toBe(rows(128) * 3 * 4);
    // B 512: 512 items already.
    expect(partialBytes(bench(512, 4096))).toBe(rows(512) * 2 * 4);
  });

  it('counts the prefix once per KV head, not per sequence', () => {
    const spec = bench(64, 4096);
    const h = hydragenKernel.cost(spec, gpu, { splitK: false });
    const kvOnce = 2 * (4096 + 64 * 256) * 8 * 128 * 4;
    const rows = 64 * 32;
    const qOLse = rows * 128 * 4 * 3 + rows * 4; // Q read by the shared and the unique part, O, LSE
    const partials = (2 * rows + 2 * rows) * 129 * 4; // written, then read by the merge
    expect(h.bytesMoved).toBe(kvOnce + qOLse + partials);
  });
});
