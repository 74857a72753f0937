import type { GpuContext } from './context';
import { formatBytes, GpuError, GpuLimitError } from './errors';

/** One GPU buffer a kernel will allocate for a problem: its label and size, checked against device limits. */
export interface BufferRequest {
  readonly label: string;
  readonly bytes: number;
}

/**
 * Total device memory a problem may ask for before we call it implausible. WebGPU does not say how
 * much memory a device has, so this is a guard against typos (a batch of 1e6), not a capacity check.
 */
export const DEFAULT_TOTAL_BUDGET_BYTES = 48 * 2 ** 30;

/** WebGPU binding sizes and offsets are multiples of 4; an empty binding is invalid, so never go below 16. */
export const alignedBufferSize = (bytes: number): number => Math.max(16, Math.ceil(bytes / 4) * 4);

/**
 * Refuse a plan before allocating anything: every buffer must fit one binding
 * (maxStorageBufferBindingSize) and one buffer (maxBufferSize), and the total must be plausible.
 */
export function checkBufferPlan(
  gpu: GpuContext,
  requests: readonly BufferRequest[],
  what: string,
  totalBudget = DEFAULT_TOTAL_BUDGET_BYTES,
): void {
  const binding = gpu.limits.maxStorageBufferBindingSize;
  const buffer = gpu.limits.maxBufferSize;
  let total = 0;
  for (const r of requests) {
    if (!Number.isFinite(r.bytes) || r.bytes < 0)
      throw new GpuError(`${what}: buffer "${r.label}" has size ${r.bytes}`);
    if (r.bytes > binding)
      throw new GpuLimitError('maxStorageBufferBindingSize', r.bytes, binding, `${what}: buffer "${r.label}"`);
    if (r.bytes > buffer) throw new GpuLimitError('maxBufferSize', r.bytes, buffer, `${what}: buffer "${r.label}"`);
    total += r.bytes;
  }
  if (total > totalBudget) {
    throw new GpuError(
      `${what} needs ${formatBytes(total)} of GPU buffers in all, over the plausibility budget of ${formatBytes(totalBudget)}`,
    );
  }
}

// GPUBufferUsage / GPUMapMode bits, spelled out so this module loads before Dawn's globals are installed in Node.
const MAP_READ = 0x01;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const UNIFORM = 0x40;
const STORAGE = 0x80;

/** A storage buffer the kernel writes and the host may read back. */
export function createOutputBuffer(gpu: GpuContext, label: string, bytes: number): GPUBuffer {
  return gpu.device.createBuffer({ label, size: alignedBufferSize(bytes), usage: STORAGE | COPY_SRC | COPY_DST });
}

/** A storage buffer holding `data` (padded to a multiple of 4 bytes). */
export function uploadStorage(gpu: GpuContext, label: string, data: ArrayBufferView): GPUBuffer {
  const size = alignedBufferSize(data.byteLength);
  const buf = gpu.device.createBuffer({ label, size, usage: STORAGE | COPY_DST | COPY_SRC });
  writeBuffer(gpu, buf, data);
  return buf;
}

/** A uniform buffer holding `data`. */
export function uploadUniform(gpu: GpuContext, label: string, data: ArrayBufferView): GPUBuffer {
  const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
  const buf = gpu.device.createBuffer({ label, size, usage: UNIFORM | COPY_DST });
  writeBuffer(gpu, buf, data);
  return buf;
}

/** writeBuffer in slices (some implementations stage a whole write in one allocation), padded to 4 bytes. */
export function writeBuffer(gpu: GpuContext, buf: GPUBuffer, data: ArrayBufferView, offset = 0): void {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const slice = 64 * 2 ** 20;
  const aligned = bytes.byteLength - (bytes.byteLength % 4);
  for (let at = 0; at < aligned; at += slice) {
    const n = Math.min(slice, aligned - at);
    gpu.device.queue.writeBuffer(buf, offset + at, bytes, at, n);
  }
  if (aligned < bytes.byteLength) {
    const tail = new Uint8Array(4);
    tail.set(bytes.subarray(aligned));
    gpu.device.queue.writeBuffer(buf, offset + aligned, tail);
  }
}

/** Copy `bytes` from a storage buffer into a mappable one and read them. */
export async function readBuffer(gpu: GpuContext, src: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  const size = alignedBufferSize(bytes);
  const staging = gpu.device.createBuffer({ label: `${src.label} (readback)`, size, usage: MAP_READ | COPY_DST });
  const encoder = gpu.device.createCommandEncoder({ label: 'readback' });
  encoder.copyBufferToBuffer(src, 0, staging, 0, size);
  gpu.device.queue.submit([encoder.finish()]);
  await staging.mapAsync(MAP_READ);
  const copy = staging.getMappedRange(0, size).slice(0, bytes);
  staging.unmap();
  staging.destroy();
  return copy;
}
