import { checkBufferPlan, readBuffer } from '../gpu/buffers';
import type { GpuContext } from '../gpu/context';
import { GpuError, withErrorScopes } from '../gpu/errors';
import type { KernelCost, KernelDescriptor, KernelOptions, PreparedKernel } from '../kernels/kernel';
import { hashedKvProblem } from '../problem/hash-kv';
import { lseElements, type ProblemData, qElements } from '../problem/problem';

/**
 * Runs one kernel on one problem: refuse what cannot run here, prepare inside error scopes, run,
 * read back. checkKernels (check-kernels.ts) drives every kernel through these.
 */

/** What one kernel produced for one problem. */
export interface KernelOutput {
  readonly kernel: string;
  readonly variant: string;
  readonly o: Float32Array;
  readonly lse: Float32Array;
  readonly cost: KernelCost;
}

/** The kernel's own refusal of this problem here: unsupported(), or hash-generated K/V it does not read. */
function ownRefusal(
  gpu: GpuContext,
  kernel: KernelDescriptor,
  data: ProblemData,
  options: KernelOptions,
): string | null {
  return kernel.unsupported(data.spec, gpu, options) ?? (kernel.readsHashedKv ? null : hashedKvProblem(data));
}

/**
 * Throw when `kernel` cannot run `data` on this device with these options, before anything is
 * allocated: a GpuError with the kernel's own refusal, or a GpuLimitError naming the buffer and the
 * limit it is over (or a GpuError for the plausibility budget).
 */
function checkRunnable(gpu: GpuContext, kernel: KernelDescriptor, data: ProblemData, options: KernelOptions): void {
  const why = ownRefusal(gpu, kernel, data, options);
  if (why) throw new GpuError(`${kernel.name}: ${why}`);
  checkBufferPlan(gpu, kernel.buffers(data.spec, gpu, options), `${kernel.name} kernel`);
}

/**
 * Why `kernel` cannot run `data` here (what checkRunnable would throw, without the kernel's name in
 * front of its own refusal), or null when it can.
 */
export function kernelRefusal(
  gpu: GpuContext,
  kernel: KernelDescriptor,
  data: ProblemData,
  options: KernelOptions = {},
): string | null {
  const why = ownRefusal(gpu, kernel, data, options);
  if (why) return why;
  try {
    checkBufferPlan(gpu, kernel.buffers(data.spec, gpu, options), `${kernel.name} kernel`);
    return null;
  } catch (e) {
    if (e instanceof GpuError) return e.message;
    throw e;
  }
}

/** Check the kernel can run the problem here, then allocate and upload inside error scopes. */
export async function prepareKernel(
  gpu: GpuContext,
  kernel: KernelDescriptor,
  data: ProblemData,
  options: KernelOptions = {},
): Promise<PreparedKernel> {
  if (gpu.isLost) throw new GpuError('the WebGPU device was lost; acquire a new one');
  checkRunnable(gpu, kernel, data, options);
  return withErrorScopes(gpu.device, `${kernel.name}: prepare`, () => kernel.prepare(gpu, data, options));
}

/** Run a prepared kernel once and read back its output. */
export async function runPrepared(
  gpu: GpuContext,
  kernelName: string,
  prepared: PreparedKernel,
  data: ProblemData,
): Promise<KernelOutput> {
  await withErrorScopes(gpu.device, `${kernelName}: run`, async () => {
    const encoder = gpu.device.createCommandEncoder({ label: kernelName });
    prepared.encode(encoder, (label) => encoder.beginComputePass({ label }));
    gpu.device.queue.submit([encoder.finish()]);
    await gpu.device.queue.onSubmittedWorkDone();
  });
  const [o, lse] = await withErrorScopes(gpu.device, `${kernelName}: read back`, () =>
    Promise.all([
      readBuffer(gpu, prepared.o, qElements(data.spec) * 4),
      readBuffer(gpu, prepared.lse, lseElements(data.spec) * 4),
    ]),
  );
  if (gpu.isLost) throw new GpuError(`${kernelName}: the WebGPU device was lost during the run`);
  return {
    kernel: kernelName,
    variant: prepared.variant,
    o: new Float32Array(o),
    lse: new Float32Array(lse),
    cost: prepared.cost,
  };
}

/** Prepare, run once, read back, release. */
export async function runKernel(
  gpu: GpuContext,
  kernel: KernelDescriptor,
  data: ProblemData,
  options: KernelOptions = {},
): Promise<KernelOutput> {
  const prepared = await prepareKernel(gpu, kernel, data, options);
  try {
    return await runPrepared(gpu, kernel.name, prepared, data);
  } finally {
    prepared.destroy();
  }
}
