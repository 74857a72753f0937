import { existsSync } from 'node:fs';
import { acquireGpu, type GpuContext } from '../gpu/context';
import { dawnFlagsFromEnv, nodeGpu } from '../gpu/node-gpu';
import { checkDawnFlags } from './args';

/** SwiftShader's Vulkan driver as Debian's chromium package installs it. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * A device through Dawn, with flags from --dawn and DAWN_FLAGS; the adapter is printed first.
 * When Dawn finds no usable Vulkan driver and none was named (VK_ICD_FILENAMES / VK_DRIVER_FILES),
 * it tries SwiftShader from the chromium package once, and says so: correct results, no timings.
 */
/** No WebGPU device could be had (no driver, or Dawn flags it refused): one line, exit 1. */
export class GpuUnavailableError extends Error {
  override name = 'GpuUnavailableError';
}

export async function cliGpu(dawnFlags: readonly string[], log: (s: string) => void): Promise<GpuContext> {
  const fromEnv = dawnFlagsFromEnv();
  checkDawnFlags(fromEnv, 'DAWN_FLAGS');
  const flags = [...fromEnv, ...dawnFlags];
  const withFlags = flags.length ? ` with Dawn flags ${flags.join(' ')}` : '';
  const acquire = async () =>
    acquireGpu(await nodeGpu(flags), {
      runtime: 'node (Dawn)',
      onUncapturedError: (m) => log(`WebGPU error: ${m}`),
    });
  const named = process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES;
  const gpu = await acquire().catch(async (e: Error) => {
    if (named || !existsSync(SWIFTSHADER_ICD)) {
      throw new GpuUnavailableError(
        `no WebGPU device${withFlags}: ${e.message} Dawn found no usable Vulkan driver${named ? ` in ${named}` : ''}. Without a GPU, use ` +
          `SwiftShader from the chromium package: VK_ICD_FILENAMES=${SWIFTSHADER_ICD} (apt-get install chromium libvulkan1).`,
      );
    }
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    log(
      `no WebGPU device${withFlags} (${e.message}): trying SwiftShader (${SWIFTSHADER_ICD}); for correctness only, not timings`,
    );
    return acquire().catch((again: Error) => {
      throw new GpuUnavailableError(`no WebGPU device${withFlags}, not even SwiftShader: ${again.message}`);
    });
  });
  log(`adapter: ${describeAdapter(gpu)}`);
  if (flags.length) log(`dawn flags: ${flags.join(' ')}`);
  void gpu.lost.then((info) => {
    if (info.reason !== 'destroyed') log(`WebGPU device lost (${info.reason}): ${info.message}`);
  });
  return gpu;
}

export function describeAdapter(gpu: GpuContext): string {
  const a = gpu.adapter;
  const f = gpu.features;
  const feats = [
    f.timestampQuery && 'timestamp-query',
    f.subgroups && 'subgroups',
    f.shaderF16 && 'shader-f16',
    f.subgroupMatrix && 'subgroup-matrix',
  ].filter(Boolean);
  return (
    `vendor=${a.vendor || '?'} architecture=${a.architecture || '?'} description="${a.description}" ` +
    `fallback=${a.isFallbackAdapter} features=[${feats.join(', ')}] ` +
    `maxStorageBufferBindingSize=${gpu.limits.maxStorageBufferBindingSize}`
  );
}
