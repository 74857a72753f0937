import { describe, expect, it } from 'vitest';
import { matmulCeilingSuite } from '../../benches/matmul-ceiling';
import { findAnySuite, getSuite } from '../../benches/suites';
import { ceilingSizeError, ceilingVariant } from '../../src/bench/matmul/ceiling';
import {
  CHECK_TOLERANCE,
  checkEntries,
  inputValue,
  referenceEntries,
  SALT_A,
  SALT_B,
  sampleEntries,
} from '../../src/bench/matmul/inputs';
import { matmulWgsl } from '../../src/bench/matmul/prepare';
import {
  BEST_SUBGROUP_MATRIX,
  F32_FMA,
  invocationsOf,
  MATMUL_LADDER,
  matmulCost,
  matmulShapeError,
  matmulUnsupported,
  workgroupBytesOf,
} from '../../src/bench/matmul/variants';
import { isMatrixProduct, parseResultFile, RESULT_SCHEMA, RESULT_VERSION } from '../../src/bench/result';
import { defaultSettings } from '../../src/bench/runner';
import type { GpuContext } from '../../src/gpu/context';

/** A device as matmulUnsupported sees it: an H200 through Dawn, with overrides. */
function device(over: Partial<GpuContext> = {}, limits: Record<string, number> = {}): GpuContext {
  return {
    features: { timestampQuery: true, subgroups: true, shaderF16: true, subgroupMatrix: true },
    subgroupMinSize: 32,
    subgroupMaxSize: 32,
    subgroupMatrixConfigs: [{ componentType: 'f16', resultComponentType: 'f32', M: 16, N: 16, K: 16 }],
    limits: {
      maxComputeInvocationsPerWorkgroup: 1024,
      maxComputeWorkgroupSizeX: 1024,
      maxComputeWorkgroupStorageSize: 49152,
      maxComputeWorkgroupsPerDimension: 65535,
      maxStorageBufferBindingSize: 2147483644,
      maxBufferSize: 2 ** 40,
      ...limits,
    } as unknown as GPUSupportedLimits,
    ...over,
  } as GpuContext;
}

describe('matrix-product inputs and their CPU reference', () => {
  it('are multiples of 1/8 in [-1, 1), all 16 of them, different for A and B', () => {
    const seen = new Set<number>();
    let same = 0;
    for (let i = 0; i < 4096; i++) {
      const a = inputValue(SALT_A, i);
      expect(Number.isInteger(a * 8) && a >= -1 && a < 1).toBe(true);
      seen.add(a);
      if (a === inputValue(SALT_B, i)) same++;
    }
    expect(seen.size).toBe(16);
    expect(same).toBeLessThan(4096 / 8);
  });

  it('the reference is the plain product of those values', () => {
    const s = { m: 3, n: 2, k: 5 };
    const entries = sampleEntries(s, 100);
    expect(entries).toHaveLength(6);
    const ref = referenceEntries(s, entries);
    entries.forEach(([i, j], q) => {
      let sum = 0;
      for (let k = 0; k < s.k; k++) sum += inputValue(SALT_A, i * s.k + k) * inputValue(SALT_B, j * s.k + k);
      expect(ref[q]).toBe(sum);
    });
  });

  it('samples the requested number of entries of a large C, corners included, all inside', () => {
    const s = { m: 4096, n: 2048, k: 16 };
    const entries = sampleEntries(s, 64);
    expect(entries).toHaveLength(64);
    expect(entries).toContainEqual([0, 0]);
    expect(entries).toContainEqual([4095, 2047]);
    expect(entries.every(([i, j]) => i >= 0 && i < s.m && j >= 0 && j < s.n)).toBe(true);
    expect(new Set(entries.map(([, j]) => j)).size).toBeGreaterThan(32);
  });

  it('the check passes exact values and fails one step (1/64) off, or NaN', () => {
    const entries = [
      [0, 0],
      [1, 1],
    ] as const;
    const ref = new Float64Array([1.5, -2]);
    expect(checkEntries(entries, ref, new Float32Array([1.5, -2])).pass).toBe(true);
    expect(checkEntries(entries, ref, new Float32Array([1.5, -2 + CHECK_TOLERANCE / 2])).pass).toBe(true);
    const off = checkEntries(entries, ref, new Float32Array([1.5, -2 + 1 / 64]));
    expect(off.pass).toBe(false);
    expect(off.worst).toMatch(/1 of 2 entries off; worst C\[1,1\]/);
    expect(checkEntries(entries, ref, new Float32Array([Number.NaN, -2])).pass).toBe(false);
  });
});

describe('matrix-product variants', () => {
  it('state their FLOPs (2·M·N·K) and the bytes of A, B and C', () => {
    const s = { m: 256, n: 128, k: 64 };
    expect(matmulCost(BEST_SUBGROUP_MATRIX, s)).toEqual({
      flops: 2 * 256 * 128 * 64,
      bytesMoved: (256 * 64 + 128 * 64) * 2 + 256 * 128 * 4,
    });
    expect(matmulCost(F32_FMA, s).bytesMoved).toBe((256 * 64 + 128 * 64) * 4 + 256 * 128 * 4);
  });

  it('refuse sizes that are not multiples of their tiles, naming the tile and the size', () => {
    expect(matmulShapeError(BEST_SUBGROUP_MATRIX, { m: 128, n: 128, k: 64 })).toBeNull();
    expect(matmulShapeError(BEST_SUBGROUP_MATRIX, { m: 100, n: 128, k: 64 })).toBe(
      'sgm-2x2-pad8-prefetch needs M a multiple of 128, N of 128 and K of 32 (its tiles have no edge handling); got 100x128x64',
    );
    expect(matmulShapeError(BEST_SUBGROUP_MATRIX, { m: 128, n: 128, k: 48 })).toMatch(/K of 32/);
    expect(matmulShapeError(MATMUL_LADDER[0], { m: 64, n: 64, k: 48 })).toBeNull();
    expect(matmulShapeError(F32_FMA, { m: 128, n: 128, k: 2 ** 18 })).toMatch(/past which the exact check/);
    expect(matmulShapeError(F32_FMA, { m: 0, n: 128, k: 8 })).toMatch(/M = 0 is not a positive integer/);
    expect(() => matmulWgsl(BEST_SUBGROUP_MATRIX, { m: 100, n: 128, k: 64 })).toThrow(/multiple of 128/);
  });

  it('generate WGSL with their workgroup size, workgroup memory and one product per result matrix and K step', () => {
    const s = { m: 256, n: 256, k: 64 };
    for (const v of MATMUL_LADDER) {
      const code = matmulWgsl(v, s);
      expect(code).toContain(`@workgroup_size(${invocationsOf(v)})`);
      const t = v.tiling;
      if (t.kind === 'f32-fma') {
        expect(code.match(/= fma\(/g)).toHaveLength(64);
        continue;
      }
      expect(code.match(/subgroupMatrixMultiplyAccumulate\(/g)).toHaveLength(t.matricesM * t.matricesN);
      expect(code.match(/subgroupMatrixStore\(/g)).toHaveLength(t.matricesM * t.matricesN);
      const shared = [...code.matchAll(/var<workgroup> \w+: array<f16, (\d+)>/g)].reduce((a, m) => a + 2 * +m[1], 0);
      expect(shared).toBe(workgroupBytesOf(v));
      expect(shared % 16).toBe(0);
    }
  });

  it('run where the device has what they need, and say what is missing where not', () => {
    const s = { m: 4096, n: 4096, k: 4096 };
    expect(matmulUnsupported(BEST_SUBGROUP_MATRIX, device(), s)).toBeNull();
    const noMatrices = device({
      features: { timestampQuery: true, subgroups: true, shaderF16: true, subgroupMatrix: false },
    });
    expect(matmulUnsupported(BEST_SUBGROUP_MATRIX, noMatrices, s)).toMatch(/no subgroup matrices/);
    expect(matmulUnsupported(F32_FMA, noMatrices, s)).toBeNull();
    expect(ceilingVariant(noMatrices, s)).toBe(F32_FMA);
    expect(ceilingVariant(device(), s)).toBe(BEST_SUBGROUP_MATRIX);
    expect(matmulUnsupported(BEST_SUBGROUP_MATRIX, device({ subgroupMinSize: 16, subgroupMaxSize: 64 }), s)).toBe(
      'subgroup-matrix products need subgroups of 32 (adapter: 16-64)',
    );
    expect(matmulUnsupported(BEST_SUBGROUP_MATRIX, device({ subgroupMatrixConfigs: [] }), s)).toMatch(/16x16x16/);
    expect(matmulUnsupported(BEST_SUBGROUP_MATRIX, device({}, { maxComputeWorkgroupStorageSize: 16384 }), s)).toBe(
      'sgm-2x2-pad8-prefetch needs 20480 bytes of workgroup memory; maxComputeWorkgroupStorageSize is 16384',
    );
    expect(matmulUnsupported(F32_FMA, device({}, { maxStorageBufferBindingSize: 2 ** 25 }), s)).toMatch(
      /matrix A \(67108864 bytes at 4096x4096x4096\) is over the device's maxStorageBufferBindingSize/,
    );
    expect(() => ceilingVariant(device({}, { maxComputeInvocationsPerWorkgroup: 64 }), s)).toThrow(
      /no matrix product for the compute ceiling runs here \(sgm-2x2-pad8-prefetch: .*; f32-fma: .*256 invocations/,
    );
  });

  it('the ceiling size must suit every candidate kernel, checked before any GPU work', () => {
    expect(ceilingSizeError(4096)).toBeNull();
    expect(ceilingSizeError(1000)).toMatch(/multiple of 128/);
  });
});

describe('the matmul-ceiling suite', () => {
  it('runs every ladder variant at sizes that fit every tile', () => {
    const configs = matmulCeilingSuite.configs();
    expect(configs.length).toBeGreaterThan(1);
    for (const c of configs) {
      expect(c.variants).toEqual(MATMUL_LADDER.map((v) => v.name));
      for (const v of MATMUL_LADDER) expect(matmulShapeError(v, c.size)).toBeNull();
    }
    expect(findAnySuite('matmul-ceiling')).toBe(matmulCeilingSuite);
    expect(() => getSuite('matmul-ceiling')).toThrow(/unknown suite/);
    expect(() => findAnySuite('nope')).toThrow(/known: .*matmul-ceiling/);
  });
});

describe('the compute ceiling in result files', () => {
  const file = (extra: Record<string, unknown>) => ({
    schema: RESULT_SCHEMA,
    version: RESULT_VERSION,
    createdAt: '2026-12-02T00:00:00.000Z',
    source: 'cli',
    device: { adapter: { vendor: 'nvidia', architecture: 'hopper', description: 'H200' } },
    clock: 'timestamp-query',
    settings: defaultSettings,
    suite: { name: 'matmul-ceiling', description: 'matrix products', axis: { name: 'size', log: true } },
    entries: [],
    ...extra,
  });
  const record = { tflops: 139.6, variant: 'sgm-2x2-pad8-prefetch', kind: 'subgroup-matrix', size: 4096 };

  it('is optional, and a finite positive number when present', () => {
    expect(parseResultFile(file({})).matmulCeilingTflops).toBeUndefined();
    expect(parseResultFile(file({ matmulCeilingTflops: 139.6, matmulCeiling: record })).matmulCeilingTflops).toBe(
      139.6,
    );
    for (const bad of [0, -1, 'fast', null]) {
      expect(() => parseResultFile(file({ matmulCeilingTflops: bad }), 'r.json')).toThrow(
        `r.json: matmulCeilingTflops (${bad === 'fast' ? '"fast"' : String(bad)}) must be a finite positive number`,
      );
    }
    expect(() => parseResultFile(file({ matmulCeiling: { ...record, tflops: 'x' } }), 'r.json')).toThrow(
      'r.json: matmulCeiling.tflops ("x") must be a finite positive number',
    );
    expect(() => parseResultFile(file({ matmulCeiling: { ...record, kind: 'tensor' } }))).toThrow(/matmulCeiling.kind/);
  });

  it('matrix-product entries say so in their problem', () => {
    expect(isMatrixProduct({ matmul: { m: 1, n: 1, k: 1, inputs: 'f16' } })).toBe(true);
    expect(isMatrixProduct({ headsQ: 1, headsKV: 1, headDim: 16, queriesPerSeq: 1, segments: [], sequences: [] })).toBe(
      false,
    );
  });
});
