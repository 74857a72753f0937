import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEntries, referenceEntries, sampleEntries } from '../../src/bench/matmul/inputs';
import { matmulWgsl, prepareMatmul } from '../../src/bench/matmul/prepare';
import { runMatrixProductSuite } from '../../src/bench/matmul/runner';
import {
  F32_FMA,
  MATMUL_LADDER,
  type MatmulSize,
  type MatmulVariant,
  matmulUnsupported,
} from '../../src/bench/matmul/variants';
import { type CheckSummary, parseResultFile } from '../../src/bench/result';
import { defaultSettings } from '../../src/bench/runner';
import type { GpuContext } from '../../src/gpu/context';
import { testGpu } from '../setup/gpu-entry';
import { emulateSubgroupMatrices } from './mma-emulation';

/**
 * Every matrix product of the compute-ceiling ladder (src/bench/matmul/variants.ts) on the adapter
 * here, checked on every entry of C against the CPU: the subgroup-matrix variants through the
 * emulation of subgroup matrices (mma-emulation.ts; SwiftShader offers none), the f32 FMA fallback
 * as generated. Inputs are filled on the GPU by the same fill shader the benchmarks use. Wrong
 * indices planted in the generated WGSL must fail. Sizes that are not multiples of a variant's tiles
 * are refused before any GPU work (test/unit/matmul.test.ts).
 * What this does not cover: the kernels' speed and memory ordering on real subgroup matrices
 * (see mma-emulation.ts), which only the GPU machine shows.
 */

/**
 * M != N (a swapped M and N shows), 2 x 1 workgroups of the 128x128 tiles, and 3 K slabs of 32 (the
 * prefetch of a slab other than the first and a last slab both run). One size: SwiftShader takes
 * seconds to compile each of these kernels (16 result matrices live across barriers), and the
 * sizes are constants of the generated WGSL, so each size is a compile.
 */
const SIZE: MatmulSize = { m: 256, n: 128, k: 96 };

let gpu: GpuContext;
beforeAll(async () => {
  gpu = await testGpu();
});
afterAll(() => gpu?.destroy());

/** The kernel's WGSL as the adapter here can run it. */
const runnable = (v: MatmulVariant, code: string) =>
  v.tiling.kind === 'subgroup-matrix'
    ? emulateSubgroupMatrices(code, { packWorkgroupHalves: true, fragmentsByReference: true })
    : code;

async function runAndCheck(v: MatmulVariant, s: MatmulSize, code = matmulWgsl(v, s)): Promise<CheckSummary> {
  const prepared = await prepareMatmul(gpu, v, s, runnable(v, code));
  try {
    const encoder = gpu.device.createCommandEncoder();
    prepared.encode(encoder, (label) => encoder.beginComputePass({ label }));
    gpu.device.queue.submit([encoder.finish()]);
    const entries = sampleEntries(s, s.m * s.n);
    return checkEntries(entries, referenceEntries(s, entries), await prepared.read(entries));
  } finally {
    prepared.destroy();
  }
}

/** `code` with its first `from` replaced by `to`; the planted fault must be there to plant. */
function plant(code: string, from: string, to: string): string {
  expect(code, `the generated WGSL has "${from}" to change`).toContain(from);
  return code.replace(from, to);
}

describe('matrix products of the compute-ceiling ladder, every entry against the CPU', () => {
  it('the FMA fallback runs here as it is (the others through the emulation)', () => {
    expect(matmulUnsupported(F32_FMA, gpu, SIZE)).toBeNull();
  });

  for (const v of MATMUL_LADDER) {
    it(`${v.name} at ${SIZE.m}x${SIZE.n}x${SIZE.k}`, async () => {
      const check = await runAndCheck(v, SIZE);
      expect(check.rows).toBe(SIZE.m * SIZE.n);
      expect(check.pass, check.worst).toBe(true);
      expect(check.maxAbsErr).toBe(0);
    });
  }
});

describe('a wrong index in a generated kernel fails the check', () => {
  const s = SIZE;
  const byName = (name: string) => {
    const v = MATMUL_LADDER.find((x) => x.name === name);
    if (!v) throw new Error(`no variant ${name}`);
    return v;
  };
  // Each is a compile (seconds on SwiftShader): the prefetch (in the cheaper of the two kernels that
  // prefetch; the generator writes it the same way in both), and a fragment offset.
  const faults: readonly { variant: string; what: string; from: string; to: string }[] = [
    {
      variant: 'sgm-staged-2x4-pad8',
      what: 'the prefetch reads one 16-byte word too far into the row',
      from: 'kn / 8u + (lid) % 4u',
      to: 'kn / 8u + 1u + (lid) % 4u',
    },
    { variant: 'sgm-storage-2x2', what: 'a right fragment one column late', from: '(n0 + 16u)', to: '(n0 + 17u)' },
  ];
  for (const f of faults) {
    it(`${f.variant}: ${f.what}`, async () => {
      const v = byName(f.variant);
      const check = await runAndCheck(v, s, plant(matmulWgsl(v, s), f.from, f.to));
      expect(check.pass).toBe(false);
    });
  }
});

describe('a matrix-product suite', () => {
  it('writes the ordinary result format: the products that run here timed and checked, the others skipped with the reason', async () => {
    const names = [MATMUL_LADDER[0].name, F32_FMA.name];
    const r = await runMatrixProductSuite(
      gpu,
      {
        kind: 'matrix-product',
        name: 'tiny',
        description: 'two variants at 128',
        axis: { name: 'size', log: true },
        configs: () => [{ axisValue: 128, label: 'M=N=K=128', size: { m: 128, n: 128, k: 128 }, variants: names }],
      },
      { ...defaultSettings, warmupMs: 0, budgetMs: 0, minRuns: 2, checkRows: 16 },
    );
    expect(parseResultFile(JSON.parse(JSON.stringify(r))).entries).toHaveLength(2);
    const [sgm, fma] = r.entries;
    if (gpu.features.subgroupMatrix) expect(sgm.status).toBe('ok');
    else expect(sgm).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/no subgroup matrices/) });
    expect(fma).toMatchObject({
      status: 'ok',
      label: 'f32-fma',
      kernel: 'matmul',
      problem: { matmul: { m: 128, n: 128, k: 128, inputs: 'f32' } },
      flops: 2 * 128 ** 3,
    });
    expect(fma.checks).toEqual([expect.objectContaining({ pass: true, rows: 64, maxAbsErr: 0 })]);
    expect(fma.timing?.runs).toBeGreaterThanOrEqual(2);
    expect(fma.tflopPerS).toBeCloseTo((2 * 128 ** 3) / ((fma.timing?.medianMs ?? 0) / 1000) / 1e12, 9);
  });
});
