import type { GpuContext } from '../../src/gpu/context';

/**
 * The device as it is, except that it reports lower limits. WebGPU will not create a device with
 * limits below its defaults, so tests reach a limit's code path (a 2-D grid past
 * maxComputeWorkgroupsPerDimension, sharded pools past maxStorageBufferBindingSize) with small
 * problems this way; host code reads its limits from the context.
 */
export function withLimits(gpu: GpuContext, lower: Readonly<Record<string, number>>): GpuContext {
  const limits: Record<string, number> = {};
  for (const k in gpu.limits) limits[k] = (gpu.limits as unknown as Record<string, number>)[k];
  for (const [k, v] of Object.entries(lower)) {
    if (!(k in limits)) throw new Error(`withLimits: the device has no limit ${k}`);
    if (v > limits[k]) throw new Error(`withLimits: ${k} ${v} is above the device's ${limits[k]}`);
    limits[k] = v;
  }
  return { ...gpu, limits: limits as unknown as GPUSupportedLimits };
}
