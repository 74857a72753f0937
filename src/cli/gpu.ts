import { acquireGpu, type GpuContext } from '../gpu/context';
import { dawnFlagsFromEnv, nodeGpu } from '../gpu/node-gpu';

/** A device through Dawn, with flags from --dawn and DAWN_FLAGS; the adapter is printed first. */
export async function cliGpu(dawnFlags: readonly string[], log: (s: string) => void): Promise<GpuContext> {
  const flags = [...dawnFlagsFromEnv(), ...dawnFlags];
  const gpu = await acquireGpu(await nodeGpu(flags), {
    runtime: 'node (Dawn)',
    onUncapturedError: (m) => log(`WebGPU error: ${m}`),
  }).catch((e: Error) => {
    const hint = process.env.VK_ICD_FILENAMES
      ? ''
      : ' Dawn found no Vulkan driver. Without a GPU, use SwiftShader from the chromium package: ' +
        'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (apt-get install chromium libvulkan1).';
    throw new Error(`${e.message}${hint}`);
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
