import { checkBufferPlan } from '../gpu/buffers';
import type { GpuContext } from '../gpu/context';
import type { KernelDescriptor, KernelOptions } from '../kernels/kernel';
import type { ProblemSpec } from '../problem/problem';

/**
 * What each kernel would allocate for a problem on this device, before anything runs: the sum of
 * its buffers() and, when it cannot run, why (unsupported, or the device limit it would exceed).
 */

export interface MemoryEstimate {
  readonly kernel: string;
  readonly title: string;
  readonly totalBytes: number;
  readonly largestBuffer: { readonly label: string; readonly bytes: number } | null;
  /** Why the kernel will not run this problem here; null when it can. */
  readonly refusal: string | null;
}

export function estimateMemory(
  spec: ProblemSpec,
  gpu: GpuContext,
  kernels: readonly KernelDescriptor[],
  options: KernelOptions,
): MemoryEstimate[] {
  return kernels.map((k) => {
    const base = { kernel: k.name, title: k.title };
    const why = k.unsupported(spec, gpu, options);
    let requests: ReturnType<KernelDescriptor['buffers']> = [];
    try {
      requests = k.buffers(spec, gpu, options);
    } catch (e) {
      return { ...base, totalBytes: 0, largestBuffer: null, refusal: why ?? (e as Error).message };
    }
    const totalBytes = requests.reduce((a, r) => a + r.bytes, 0);
    const largestBuffer = requests.reduce<{ label: string; bytes: number } | null>(
      (m, r) => (m === null || r.bytes > m.bytes ? { label: r.label, bytes: r.bytes } : m),
      null,
    );
    if (why) return { ...base, totalBytes, largestBuffer, refusal: why };
    try {
      checkBufferPlan(gpu, requests, `${k.name} kernel`);
    } catch (e) {
      return { ...base, totalBytes, largestBuffer, refusal: (e as Error).message };
    }
    return { ...base, totalBytes, largestBuffer, refusal: null };
  });
}

/** "1.5 MiB"-style size for tables (formatBytes in gpu/errors adds the exact count for messages). */
export function shortBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}
