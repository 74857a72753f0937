import { acquireGpu, type GpuContext } from '../../src/gpu/context';

/**
 * The WebGPU entry point for GPU tests: `navigator.gpu` in the browser project, Dawn in the Node
 * project. Each project's setup file installs it; tests only call `testGpu()`.
 */
const holder = globalThis as { testGpuEntry?: GPU; testGpuRuntime?: string };

export function installTestGpuEntry(gpu: GPU | undefined, runtime: string): void {
  holder.testGpuEntry = gpu;
  holder.testGpuRuntime = runtime;
}

/** A device for a test file (call it in beforeAll). Throws, so the test fails, when there is no adapter. */
export function testGpu(): Promise<GpuContext> {
  const entry = holder.testGpuEntry;
  if (!entry) throw new Error('no WebGPU entry point was installed: GPU tests need WebGPU and never skip');
  return acquireGpu(entry, { runtime: holder.testGpuRuntime ?? 'unknown' });
}
