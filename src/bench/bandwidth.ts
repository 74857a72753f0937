import streamReadWgsl from '../../shaders/stream-read.wgsl?raw';
import type { GpuContext } from '../gpu/context';
import { formatBytes, GpuError, withErrorScopes } from '../gpu/errors';
import { createTimer } from '../gpu/timer';
import { summarize, type TimingSummary } from './stats';

/**
 * The streaming-read bandwidth ceiling, measured on the spot (shaders/stream-read.wgsl): a large
 * buffer read once per pass with vec4 loads in a grid-stride loop. Kernels' GB/s are quoted as a
 * percentage of it. Timed with timestamp queries when the device has them (else wall clock).
 */

export interface BandwidthCeiling {
  readonly gbPerS: number;
  /** Bytes read: the size asked for, or less when capped (see cappedBy). */
  readonly bytes: number;
  /** The size asked for (the default when none was). */
  readonly requestedBytes: number;
  /** Why fewer bytes than asked were read; absent when none were capped. */
  readonly cappedBy?: string;
  readonly clock: 'timestamp-query' | 'wall-clock';
  readonly timing: TimingSummary;
}

export interface BandwidthOptions {
  /** Buffer size in bytes (capped by the device's limits: ceilingBufferSize); default 1 GiB (64 MiB on a software adapter). */
  readonly bytes?: number;
  /** Timed passes; default 10. */
  readonly runs?: number;
  readonly signal?: AbortSignal;
}

const WG = 256;

/** The default buffer: 1 GiB, far more than any cache; 64 MiB on a software adapter (SwiftShader reads ~0.3 GB/s). */
export const DEFAULT_CEILING_BYTES = 2 ** 30;
export const SOFTWARE_CEILING_BYTES = 64 * 2 ** 20;

/**
 * The buffer size for a request (undefined: the default for this adapter): at most the smaller of
 * maxStorageBufferBindingSize and maxBufferSize, a multiple of 16 bytes. Says why when it reads
 * less than asked.
 */
export function ceilingBufferSize(
  requested: number | undefined,
  limits: Pick<GPUSupportedLimits, 'maxStorageBufferBindingSize' | 'maxBufferSize'>,
  isFallbackAdapter = false,
): { bytes: number; requestedBytes: number; cappedBy?: string } {
  const binding = limits.maxStorageBufferBindingSize;
  const buffer = limits.maxBufferSize;
  const [name, limit] = binding <= buffer ? ['maxStorageBufferBindingSize', binding] : ['maxBufferSize', buffer];
  const software = requested === undefined && isFallbackAdapter;
  const requestedBytes = requested ?? DEFAULT_CEILING_BYTES;
  const want = software ? SOFTWARE_CEILING_BYTES : requestedBytes;
  const bytes = Math.max(16, Math.floor(Math.min(want, limit) / 16) * 16);
  const why = [
    software ? `${formatBytes(SOFTWARE_CEILING_BYTES)} by default on a software adapter` : '',
    want > limit ? `capped at the device's ${name} (${formatBytes(limit)})` : '',
  ].filter((x) => x);
  return { bytes, requestedBytes, ...(why.length > 0 ? { cappedBy: why.join('; ') } : {}) };
}

export async function measureBandwidth(gpu: GpuContext, opts: BandwidthOptions = {}): Promise<BandwidthCeiling> {
  const sized = ceilingBufferSize(opts.bytes, gpu.limits, gpu.adapter.isFallbackAdapter);
  const requestedBytes = sized.requestedBytes;
  let bytes = sized.bytes;
  let cappedBy = sized.cappedBy;
  // A buffer the limits allow can still fail to allocate (device memory in use): halve it, twice at most, and say so.
  for (let attempt = 0; ; attempt++) {
    try {
      const m = await measureOnce(gpu, bytes, opts);
      return { ...m, requestedBytes, ...(cappedBy ? { cappedBy } : {}) };
    } catch (e) {
      if (!(e instanceof GpuError) || gpu.isLost || attempt >= 2 || bytes < 2 ** 20) throw e;
      cappedBy = `${cappedBy ? `${cappedBy}; ` : ''}${formatBytes(bytes)} could not be allocated (${(e as Error).message.split('\n')[0]}), halved`;
      bytes = Math.floor(bytes / 32) * 16;
    }
  }
}

async function measureOnce(
  gpu: GpuContext,
  bytes: number,
  opts: BandwidthOptions,
): Promise<Omit<BandwidthCeiling, 'requestedBytes' | 'cappedBy'>> {
  const device = gpu.device;
  const count = bytes / 16;
  const groups = Math.min(Math.ceil(count / WG), 4096, gpu.limits.maxComputeWorkgroupsPerDimension);

  return withErrorScopes(device, 'bandwidth ceiling', async () => {
    const module = gpu.shader('stream-read', streamReadWgsl);
    const pipe = (entryPoint: string) =>
      gpu.pipeline(`stream-read:${entryPoint}`, () => ({
        label: `stream-read ${entryPoint}`,
        layout: 'auto',
        compute: { module, entryPoint },
      }));
    const data = device.createBuffer({ label: 'stream-read data', size: bytes, usage: GPUBufferUsage.STORAGE });
    const sink = device.createBuffer({ label: 'stream-read sink', size: WG * 16, usage: GPUBufferUsage.STORAGE });
    const params = device.createBuffer({
      label: 'stream-read params',
      size: 16,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(params, 0, new Uint32Array([count, 0, 0, 0]));
    const timer = createTimer(gpu);
    try {
      const fill = pipe('stream_fill');
      const read = pipe('stream_read');
      const fillGroup = device.createBindGroup({
        layout: fill.getBindGroupLayout(0),
        entries: [
          { binding: 2, resource: { buffer: params } },
          { binding: 3, resource: { buffer: data } },
        ],
      });
      const readGroup = device.createBindGroup({
        layout: read.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: data } },
          { binding: 1, resource: { buffer: sink } },
          { binding: 2, resource: { buffer: params } },
        ],
      });
      const enc = device.createCommandEncoder({ label: 'stream-read fill' });
      const pass = enc.beginComputePass({ label: 'stream-read fill' });
      pass.setPipeline(fill);
      pass.setBindGroup(0, fillGroup);
      pass.dispatchWorkgroups(groups);
      pass.end();
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();

      const once = (reps: number) =>
        timer.time((_encoder, openPass) => {
          for (let r = 0; r < reps; r++) {
            const p = openPass('stream-read');
            p.setPipeline(read);
            p.setBindGroup(0, readGroup);
            p.dispatchWorkgroups(groups);
            p.end();
          }
        });
      // Warm-up; then repeat the pass so one timed run lasts at least ~2 ms (coarse clocks).
      const first = await once(1);
      await once(1);
      const reps = Math.min(64, Math.max(1, Math.ceil(2 / Math.max(first, 0.01))));
      const samples: number[] = [];
      for (let i = 0; i < (opts.runs ?? 10); i++) {
        if (opts.signal?.aborted) break;
        samples.push((await once(reps)) / reps);
      }
      if (samples.length === 0) samples.push(first);
      const timing = summarize(samples);
      return { gbPerS: bytes / (timing.minMs / 1000) / 1e9, bytes, clock: timer.clock, timing };
    } finally {
      timer.destroy();
      data.destroy();
      sink.destroy();
      params.destroy();
    }
  });
}
