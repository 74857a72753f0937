import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutputBuffer, readBuffer, uploadStorage } from '../../src/gpu/buffers';
import type { GpuContext } from '../../src/gpu/context';
import { withErrorScopes } from '../../src/gpu/errors';
import { createLseMerge, type RowParts } from '../../src/kernels/lse-merge';
import { createPrng } from '../../src/problem/prng';
import { mergePartials } from '../../src/reference/lse-merge';
import { testGpu } from '../setup/gpu-entry';
import { withLimits } from './with-limits';

const D80 = 80;

/** `pass`, except that each dispatchWorkgroups call also appends its workgroup counts to `into`. */
function recordingDispatches(pass: GPUComputePassEncoder, into: number[][]): GPUComputePassEncoder {
  return new Proxy(pass, {
    get(target, key) {
      if (key === 'dispatchWorkgroups')
        return (...counts: number[]) => {
          into.push(counts);
          target.dispatchWorkgroups(...(counts as [number, number?, number?]));
        };
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Merge partials on the GPU; partial p has values from the PRNG and lse given. */
async function gpuMerge(
  gpu: GpuContext,
  lses: number[],
  rowParts: RowParts,
  D = D80,
  /** Receives each dispatch's workgroup counts. */
  dispatches: number[][] = [],
) {
  const prng = createPrng(7);
  const partO = new Float32Array(lses.length * D).map(() => prng.uniform(-2, 2));
  const partLse = new Float32Array(lses);
  const rows = rowParts.length;
  const out = await withErrorScopes(gpu.device, 'merge test', async () => {
    const bufs = {
      partO: uploadStorage(gpu, 'part o', partO),
      partLse: uploadStorage(gpu, 'part lse', partLse),
      o: createOutputBuffer(gpu, 'o', rows * D * 4),
      lse: createOutputBuffer(gpu, 'lse', rows * 4),
    };
    const merge = createLseMerge(gpu, D, bufs, rowParts);
    const enc = gpu.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    merge.dispatch(recordingDispatches(pass, dispatches));
    pass.end();
    gpu.device.queue.submit([enc.finish()]);
    const o = new Float32Array(await readBuffer(gpu, bufs.o, rows * D * 4));
    const lse = new Float32Array(await readBuffer(gpu, bufs.lse, rows * 4));
    merge.destroy();
    return { o, lse };
  });
  const expected = rowParts.map((parts) =>
    mergePartials(
      parts.map((p) => ({ o: partO.subarray(p * D, (p + 1) * D), lse: partLse[p] })),
      D,
    ),
  );
  return { out, expected };
}

function expectRowsClose(
  out: { o: Float32Array; lse: Float32Array },
  expected: { o: Float64Array; lse: number }[],
  D = D80,
): void {
  const bad: string[] = [];
  expected.forEach((e, r) => {
    const lseOk =
      e.lse === Number.NEGATIVE_INFINITY
        ? out.lse[r] === e.lse
        : Math.abs(out.lse[r] - e.lse) <= 1e-5 + 1e-6 * Math.abs(e.lse);
    if (!lseOk) bad.push(`lse[${r}] = ${out.lse[r]}, expected ${e.lse}`);
    for (let d = 0; d < D; d++) {
      const got = out.o[r * D + d];
      if (!(Math.abs(got - e.o[d]) <= 1e-5 + 1e-4 * Math.abs(e.o[d])))
        bad.push(`o[${r},${d}] = ${got}, expected ${e.o[d]}`);
    }
  });
  expect(bad.slice(0, 5)).toEqual([]);
}

describe('LSE merge kernel vs the f64 merge', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await testGpu();
  });
  afterAll(() => gpu?.destroy());

  it('equal LSEs average the parts', async () => {
    const { out, expected } = await gpuMerge(gpu, [1.5, 1.5, 1.5], [[0, 1], [0, 1, 2], [2]]);
    expectRowsClose(out, expected);
  });

  it('LSEs 80 apart: the small part vanishes without NaN', async () => {
    const { out, expected } = await gpuMerge(
      gpu,
      [3, 83, -77, 3],
      [
        [0, 1],
        [2, 3],
        [1, 2],
      ],
    );
    expectRowsClose(out, expected);
  });

  it('an empty part (lse -inf) has weight 0; all-empty rows give o = 0, lse = -inf', async () => {
    const inf = Number.NEGATIVE_INFINITY;
    const { out, expected } = await gpuMerge(gpu, [inf, 2.25, inf], [[0, 1], [0], [0, 2], [1, 0, 2], []]);
    expectRowsClose(out, expected);
    expect(out.lse[1]).toBe(inf);
    expect(out.lse[4]).toBe(inf);
    expect(Array.from(out.o.subarray(4 * D80, 5 * D80)).every((x) => x === 0)).toBe(true);
  });

  // A workgroup's slices (WG / (D / 4) of them) share a row's partials; rows with more partials
  // than threads, empty ones among them, and head dims giving 1 to 128 slices.
  for (const D of [4, 16, 80, 128, 256, 512]) {
    it(`many partials a row (up to 300, some empty), D ${D}`, async () => {
      const inf = Number.NEGATIVE_INFINITY;
      const n = 400;
      const lses = Array.from({ length: n }, (_, i) => (i % 11 === 3 ? inf : ((i * 37) % 23) - 11));
      const rowParts = [
        Array.from({ length: 300 }, (_, j) => (j * 7) % n),
        Array.from({ length: 33 }, (_, j) => 100 + j),
        [3, 14],
        Array.from({ length: 129 }, (_, j) => n - 1 - j),
        [5],
      ];
      const { out, expected } = await gpuMerge(gpu, lses, rowParts, D);
      expectRowsClose(out, expected, D);
      expect(out.lse[2]).toBe(inf);
    });
  }

  // Rows are laid out over a 2-D grid once they outnumber maxComputeWorkgroupsPerDimension (65535
  // on most devices). The device reports a lower limit here, so a few hundred rows take the 2-D
  // path: 333 rows over 50 x 7 workgroups, the last row of workgroups partly past the end.
  it('more rows than one grid dimension holds (2-D grid)', async () => {
    const limited = withLimits(gpu, { maxComputeWorkgroupsPerDimension: 50 });
    const n = 335;
    const lses = Array.from({ length: n }, (_, i) => (i % 7) - 3);
    const rowParts = Array.from({ length: n - 2 }, (_, r) => [r, r + 1, r + 2]);
    const dispatches: number[][] = [];
    const { out, expected } = await gpuMerge(limited, lses, rowParts, D80, dispatches);
    expect(dispatches).toEqual([[50, 7]]);
    expectRowsClose(out, expected);
  });

  it('refuses more rows than a 2-D grid holds, naming the limit', () => {
    const limited = withLimits(gpu, { maxComputeWorkgroupsPerDimension: 16 });
    const [partO, partLse, o, lse] = ['part o', 'part lse', 'o', 'lse'].map((l) => createOutputBuffer(gpu, l, 16));
    const rowParts = Array.from({ length: 16 * 16 + 1 }, () => [0]);
    expect(() => createLseMerge(limited, D80, { partO, partLse, o, lse }, rowParts)).toThrow(
      /257 rows exceed 16\^2 workgroups/,
    );
    for (const b of [partO, partLse, o, lse]) b.destroy();
  });
});
