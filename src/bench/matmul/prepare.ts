import lowbias32Wgsl from '../../../shaders/lowbias32.wgsl?raw';
import matmulFillWgsl from '../../../shaders/matmul-fill.wgsl?raw';
import type { GpuContext } from '../../gpu/context';
import { GpuError, withErrorScopes } from '../../gpu/errors';
import type { KernelCost, PassOpener } from '../../kernels/kernel';
import { f32FmaWgsl } from './f32-fma-wgsl';
import { type Entry, SALT_A, SALT_B } from './inputs';
import { subgroupMatrixWgsl } from './subgroup-matrix-wgsl';
import {
  describeMatmul,
  inputsOf,
  type MatmulSize,
  type MatmulVariant,
  matmulBuffers,
  matmulCost,
  matmulShapeError,
  tileOf,
} from './variants';

/**
 * A matrix product bound to its buffers on one device: A and B filled on the GPU
 * (shaders/matmul-fill.wgsl), the variant's pipeline built for the size, one dispatch a run.
 * Used by the compute ceiling (ceiling.ts), the matrix-product suites (runner.ts) and the tests
 * (which pass the generated WGSL through the subgroup-matrix emulation first).
 */

export interface PreparedMatmul {
  readonly variant: MatmulVariant;
  readonly size: MatmulSize;
  /** What ran, one line. */
  readonly ran: string;
  readonly cost: KernelCost;
  /** Record one product into an open pass. */
  dispatch(pass: GPUComputePassEncoder): void;
  /** Record one product in a pass of its own. */
  encode(encoder: GPUCommandEncoder, openPass: PassOpener): void;
  /** C at the entries (after the work submitted so far). */
  read(entries: readonly Entry[]): Promise<Float32Array>;
  destroy(): void;
}

/** The variant's WGSL for a size (throws when the size does not fit its tiles). */
export function matmulWgsl(v: MatmulVariant, s: MatmulSize): string {
  const why = matmulShapeError(v, s);
  if (why) throw new GpuError(why);
  return v.tiling.kind === 'f32-fma' ? f32FmaWgsl(s) : subgroupMatrixWgsl(v.tiling, s);
}

// GPUBufferUsage / GPUMapMode bits, spelled out so this module loads before Dawn's globals are installed in Node.
const MAP_READ = 0x01;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const UNIFORM = 0x40;
const STORAGE = 0x80;
const FILL_WG = 256;

/**
 * Allocate, fill and compile (inside error scopes: a WebGPU error becomes a thrown GpuError). The
 * caller checks matmulUnsupported first; `code` replaces the generated WGSL (the tests' emulation).
 */
export async function prepareMatmul(
  gpu: GpuContext,
  variant: MatmulVariant,
  size: MatmulSize,
  code: string = matmulWgsl(variant, size),
): Promise<PreparedMatmul> {
  const device = gpu.device;
  const buffers: GPUBuffer[] = [];
  const buffer = (label: string, bytes: number, usage: number) => {
    const b = device.createBuffer({ label: `matmul ${label}`, size: Math.max(16, Math.ceil(bytes / 4) * 4), usage });
    buffers.push(b);
    return b;
  };
  const destroy = () => {
    for (const b of buffers) b.destroy();
  };
  try {
    return await withErrorScopes(device, `matrix product ${variant.name} ${size.m}x${size.n}x${size.k}`, async () => {
      const [sa, sb, sc] = matmulBuffers(variant, size).map((b) => b.bytes);
      const a = buffer('A', sa, STORAGE);
      const b = buffer('B', sb, STORAGE);
      const c = buffer('C', sc, STORAGE | COPY_SRC);
      await fill(gpu, a, size.m * size.k, SALT_A, inputsOf(variant));
      await fill(gpu, b, size.n * size.k, SALT_B, inputsOf(variant));

      const module = device.createShaderModule({ label: `matmul ${variant.name}`, code });
      const pipeline = await device.createComputePipelineAsync({
        label: `matmul ${variant.name}`,
        layout: 'auto',
        compute: { module, entryPoint: 'main' },
      });
      const group = device.createBindGroup({
        label: `matmul ${variant.name}`,
        layout: pipeline.getBindGroupLayout(0),
        entries: [a, b, c].map((buf, i) => ({ binding: i, resource: { buffer: buf } })),
      });
      const tile = tileOf(variant);
      const dispatch = (pass: GPUComputePassEncoder) => {
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(size.n / tile.n, size.m / tile.m);
      };
      return {
        variant,
        size,
        ran: describeMatmul(variant),
        cost: matmulCost(variant, size),
        dispatch,
        encode(_encoder, openPass) {
          const pass = openPass(`matmul ${variant.name}`);
          dispatch(pass);
          pass.end();
        },
        read: (entries) => readEntries(gpu, c, size, entries),
        destroy,
      };
    });
  } catch (e) {
    destroy();
    throw e;
  }
}

async function fill(gpu: GpuContext, dst: GPUBuffer, count: number, salt: number, inputs: 'f16' | 'f32') {
  const device = gpu.device;
  const entryPoint = inputs === 'f16' ? 'fill_f16' : 'fill_f32';
  const pipeline = gpu.pipeline(`matmul-fill:${entryPoint}`, () => ({
    label: `matmul ${entryPoint}`,
    layout: 'auto',
    compute: { module: gpu.shader('matmul-fill', lowbias32Wgsl + matmulFillWgsl), entryPoint },
  }));
  const params = device.createBuffer({ label: 'matmul fill params', size: 16, usage: UNIFORM | COPY_DST });
  device.queue.writeBuffer(params, 0, new Uint32Array([count, salt, 0, 0]));
  const group = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: params } },
      { binding: inputs === 'f16' ? 1 : 2, resource: { buffer: dst } },
    ],
  });
  const encoder = device.createCommandEncoder({ label: 'matmul fill' });
  const pass = encoder.beginComputePass({ label: 'matmul fill' });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(Math.min(Math.ceil(count / FILL_WG), 4096, gpu.limits.maxComputeWorkgroupsPerDimension));
  pass.end();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  params.destroy();
}

/** C at the entries: the whole matrix when every entry is asked for, else one 4-byte copy an entry. */
async function readEntries(
  gpu: GpuContext,
  c: GPUBuffer,
  s: MatmulSize,
  entries: readonly Entry[],
): Promise<Float32Array> {
  const device = gpu.device;
  const whole = entries.length === s.m * s.n;
  const bytes = whole ? s.m * s.n * 4 : entries.length * 4;
  const staging = device.createBuffer({
    label: 'matmul C (readback)',
    size: Math.max(16, bytes),
    usage: MAP_READ | COPY_DST,
  });
  try {
    const encoder = device.createCommandEncoder({ label: 'matmul readback' });
    if (whole) encoder.copyBufferToBuffer(c, 0, staging, 0, bytes);
    else
      for (const [q, [i, j]] of entries.entries()) encoder.copyBufferToBuffer(c, (i * s.n + j) * 4, staging, q * 4, 4);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(MAP_READ, 0, bytes);
    const all = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
    staging.unmap();
    if (whole) return Float32Array.from(entries, ([i, j]) => all[i * s.n + j]);
    return all;
  } finally {
    staging.destroy();
  }
}
