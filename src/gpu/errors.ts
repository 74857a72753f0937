/** An error from WebGPU or from a device limit, with a message a person can act on. */
export class GpuError extends Error {
  override name = 'GpuError';
}

/** A problem that does not fit the device: names the limit, what is needed and what the device allows. */
export class GpuLimitError extends GpuError {
  override name = 'GpuLimitError';
  constructor(
    readonly limit: string,
    readonly needed: number,
    readonly allowed: number,
    what: string,
  ) {
    super(`${what} needs ${formatBytes(needed)} but the device's ${limit} is ${formatBytes(allowed)}`);
  }
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB (${n} bytes)`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB (${n} bytes)`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB (${n} bytes)`;
  return `${n} bytes`;
}

/**
 * Run `body` inside validation, out-of-memory and internal error scopes; a WebGPU error raised
 * inside becomes a thrown GpuError with WebGPU's message, never a silent wrong answer.
 */
export async function withErrorScopes<T>(device: GPUDevice, what: string, body: () => T | Promise<T>): Promise<T> {
  device.pushErrorScope('internal');
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T | undefined;
  let thrown: unknown;
  try {
    result = await body();
  } catch (e) {
    thrown = e;
  }
  const validation = await device.popErrorScope();
  const oom = await device.popErrorScope();
  const internal = await device.popErrorScope();
  if (thrown !== undefined) throw thrown;
  if (validation) throw new GpuError(`WebGPU validation error during ${what}: ${validation.message}`);
  if (oom) throw new GpuError(`WebGPU out of memory during ${what}: ${oom.message}`);
  if (internal) throw new GpuError(`WebGPU internal error during ${what}: ${internal.message}`);
  return result as T;
}
