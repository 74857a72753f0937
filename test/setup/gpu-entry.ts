import { acquireGpu, type GpuContext } from '../../src/gpu/context';

/**
 * The WebGPU entry point for GPU tests: `navigator.gpu` in the browser project, Dawn in the Node
 * project. Each project's setup file installs it; tests only call `testGpu()`.
 *
 * In the Node project every test file runs in one process (vitest.config.ts) and shares one
 * device: SwiftShader spends most of the suite's time compiling shaders, and a shared device
 * compiles each pipeline once for all files (paged's and Hydragen's tests compare with naive,
 * auto runs paged's and Hydragen's pipelines, ...). There, a test's destroy() leaves the device
 * to the next file; a lost device is replaced.
 */
const holder = globalThis as {
  testGpuEntry?: GPU;
  testGpuRuntime?: string;
  testGpuShared?: boolean;
  sharedTestGpu?: Promise<GpuContext>;
};

export function installTestGpuEntry(gpu: GPU | undefined, runtime: string, shareDevice = false): void {
  holder.testGpuEntry = gpu;
  holder.testGpuRuntime = runtime;
  holder.testGpuShared = shareDevice;
}

/** True once a setup file installed an entry point in this process (or page). */
export const hasTestGpuEntry = (): boolean => holder.testGpuEntry !== undefined;

/** A device for a test file (call it in beforeAll). Throws, so the test fails, when there is no adapter. */
export async function testGpu(): Promise<GpuContext> {
  const entry = holder.testGpuEntry;
  if (!entry) throw new Error('no WebGPU entry point was installed: GPU tests need WebGPU and never skip');
  const acquire = () => acquireGpu(entry, { runtime: holder.testGpuRuntime ?? 'unknown' });
  if (!holder.testGpuShared) return acquire();
  if (!holder.sharedTestGpu || (await holder.sharedTestGpu).isLost) holder.sharedTestGpu = acquire();
  return sharedView(await holder.sharedTestGpu);
}

/** The shared device with a destroy() that leaves it alive (own properties, so `{ ...gpu }` copies keep working). */
function sharedView(gpu: GpuContext): GpuContext {
  return {
    device: gpu.device,
    adapter: gpu.adapter,
    features: gpu.features,
    limits: gpu.limits,
    subgroupMinSize: gpu.subgroupMinSize,
    subgroupMaxSize: gpu.subgroupMaxSize,
    subgroupMatrixConfigs: gpu.subgroupMatrixConfigs,
    pipeline: (key, create) => gpu.pipeline(key, create),
    shader: (key, code) => gpu.shader(key, code),
    lost: gpu.lost,
    get isLost() {
      return gpu.isLost;
    },
    destroy() {},
  };
}
