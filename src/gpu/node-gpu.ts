import { createRequire } from 'node:module';

/**
 * The WebGPU entry point in Node, through Dawn's addon.
 *
 * When WEBGPU_DAWN_NODE is set (the GPU server, see ../shared/device/README.md) the addon is loaded
 * from that path; otherwise from the `webgpu` npm package. Dawn toggles go to create(), e.g.
 * "enable-dawn-features=vulkan_enable_f16_on_nvidia,allow_unsafe_apis".
 *
 * Every object create() returns is kept referenced for the life of the process: when one was
 * garbage-collected while its device lived, Dawn crashed at random (../shared/STYLE.md, Pitfalls).
 */

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

const keepAlive: GPU[] = [];

export async function nodeGpu(dawnFlags: readonly string[] = []): Promise<GPU> {
  const addonPath = process.env.WEBGPU_DAWN_NODE;
  let dawn: DawnModule;
  if (addonPath) {
    dawn = createRequire(import.meta.url)(addonPath) as DawnModule;
  } else {
    const pkg = 'webgpu';
    dawn = (await import(/* @vite-ignore */ pkg)) as DawnModule;
  }
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([...dawnFlags]);
  keepAlive.push(gpu);
  (globalThis as { __dawnKeepAlive?: GPU[] }).__dawnKeepAlive = keepAlive;
  return gpu;
}

/** Dawn flags from the environment: DAWN_FLAGS="flag1;flag2" (semicolon-separated, as flags contain commas). */
export function dawnFlagsFromEnv(): string[] {
  return (process.env.DAWN_FLAGS ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
}
