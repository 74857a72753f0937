import { describe, expect, it } from 'vitest';
import type { AdapterSummary } from '../../src/gpu/context';
import { computeUnitsOf } from '../../src/kernels/compute-units';
import { pagedPlan } from '../../src/kernels/paged';
import { noSharingProblem } from '../../src/problem/builders';
import { resolveProblem } from '../../src/problem/validate';

const spec = (batch: number, length: number, headsQ = 32, headsKV = 8, queriesPerSeq = 1) =>
  resolveProblem(noSharingProblem({ batch, length, headsQ, headsKV, headDim: 128, queriesPerSeq }));

describe('paged kernel plan', () => {
  it("splitK 'auto': off when the longest sequence fits one partition", () => {
    expect(pagedPlan(spec(2, 512), {}).splitK).toBe(false);
  });

  it("splitK 'auto': on for a small grid over sequences longer than a partition", () => {
    // 32 x 8 = 256 workgroups without split-K: under SPLIT_K_MIN_WORKGROUPS (2048).
    const p = pagedPlan(spec(32, 4096), {});
    expect(p).toMatchObject({ splitK: true, partitionSize: 512, maxParts: 8, rowsPerTile: 4, rowTiles: 1 });
    expect(p.partials).toBe(32 * 32 * 8);
  });

  it("splitK 'auto': off for a large grid of medium sequences, on past 8192 tokens", () => {
    // 512 x 8 = 4096 workgroups: enough without split-K.
    expect(pagedPlan(spec(512, 4096), {}).splitK).toBe(false);
    expect(pagedPlan(spec(512, 8193), {}).splitK).toBe(true);
  });

  it("splitK 'auto': on for 128 x 8 = 1024 workgroups (the H100 read 2.33 TB/s unsplit there) and for MQA's 128 x 4", () => {
    expect(pagedPlan(spec(128, 4096), {}).splitK).toBe(true);
    // MQA 32:1: 4 row tiles of 8 per KV head, one KV head: 512 workgroups.
    expect(pagedPlan(spec(128, 4096, 32, 1), {})).toMatchObject({ splitK: true, rowTiles: 4 });
    // Just at the threshold: 256 x 8 = 2048 stays unsplit.
    expect(pagedPlan(spec(256, 4096), {}).splitK).toBe(false);
  });

  it('explicit splitK and partition size win; without split-K one partition spans the longest sequence', () => {
    expect(pagedPlan(spec(2, 5000), { splitK: false })).toMatchObject({
      splitK: false,
      partitionSize: 5000,
      maxParts: 1,
    });
    expect(pagedPlan(spec(2, 100), { splitK: true, partitionSize: 40 })).toMatchObject({ maxParts: 3, parts: [3, 3] });
  });

  it('row tiles: at most 8 query rows of one KV head per workgroup', () => {
    expect(pagedPlan(spec(1, 64, 16, 1), {})).toMatchObject({ rowsPerTile: 8, rowTiles: 2 });
    expect(pagedPlan(spec(1, 64, 6, 2, 5), {})).toMatchObject({ rowsPerTile: 8, rowTiles: 2 });
  });

  it('block tables: one entry per block of each sequence', () => {
    expect(pagedPlan(spec(3, 33), { blockSize: 16 })).toMatchObject({ tableEntries: 9, poolBlocks: 9 });
  });

  it('refuses bad options with a message', () => {
    expect(() => pagedPlan(spec(1, 8), { blockSize: 4 })).toThrow(/block size 4/);
    expect(() => pagedPlan(spec(1, 8), { partitionSize: 0 })).toThrow(/partition size 0/);
  });

  it('split-K from compute units (H200: 132): partitions that bring the grid to 132 x 32 workgroups', () => {
    const h200 = { computeUnits: 132 };
    // B16: 128 workgroups unsplit -> 33 partitions wanted -> 505 tokens, rounded up to 512.
    expect(pagedPlan(spec(16, 16640), h200)).toMatchObject({ splitK: true, partitionSize: 512, maxParts: 33 });
    expect(pagedPlan(spec(32, 16640), h200)).toMatchObject({ splitK: true, partitionSize: 1024, maxParts: 17 });
    expect(pagedPlan(spec(128, 16640), h200)).toMatchObject({ splitK: true, partitionSize: 3328, maxParts: 5 });
    // B512: 4096 workgroups, just under 4224: two halves (the fixed rule's 33 partitions of 512 otherwise).
    expect(pagedPlan(spec(512, 16640), h200)).toMatchObject({ splitK: true, partitionSize: 8320, maxParts: 2 });
    expect(pagedPlan(spec(512, 16640), {})).toMatchObject({ splitK: true, partitionSize: 512, maxParts: 33 });
    // B1 x 4352: 8 workgroups; partitions never under 128 tokens.
    expect(pagedPlan(spec(1, 4352), h200)).toMatchObject({ splitK: true, partitionSize: 128, maxParts: 34 });
    // A grid already a GPU's worth: no split, however long.
    expect(pagedPlan(spec(528, 16640), h200).splitK).toBe(false);
    // An explicit partition size is kept; explicit splitK wins.
    expect(pagedPlan(spec(16, 16640), { ...h200, partitionSize: 256 })).toMatchObject({ partitionSize: 256 });
    expect(pagedPlan(spec(16, 16640), { ...h200, splitK: false }).splitK).toBe(false);
  });

  it("compute units from the adapter's device string, null when unknown", () => {
    const adapter = (device: string): AdapterSummary => ({
      vendor: 'nvidia',
      architecture: '',
      device,
      description: 'NVIDIA: 580.159.04 580.159.4.0',
      isFallbackAdapter: false,
      runtime: 'node (Dawn)',
    });
    expect(computeUnitsOf(adapter('nvidia-h200'))).toBe(132);
    expect(computeUnitsOf(adapter('nvidia-h100-80gb-hbm3'))).toBe(132);
    expect(computeUnitsOf(adapter('nvidia-h100-pcie'))).toBe(114);
    expect(computeUnitsOf(adapter('swiftshader-device-subzero'))).toBeNull();
  });

  it('refuses bad decode options with a message', () => {
    expect(() => pagedPlan(spec(1, 8), { decodeLanes: 3 })).toThrow(/decode lanes 3 must be a power of two/);
    expect(() => pagedPlan(spec(1, 8), { decodeUnroll: 9 })).toThrow(/decode unroll 9/);
    expect(() => pagedPlan(spec(1, 8), { decodeWg: 0 })).toThrow(/decode wg 0/);
    expect(() => pagedPlan(spec(1, 8), { computeUnits: 0 })).toThrow(/compute units 0/);
  });
});
