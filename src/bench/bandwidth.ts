import streamReadWgsl from '../../shaders/stream-read.wgsl?raw';
import type { GpuContext } from '../gpu/context';
import { withErrorScopes } from '../gpu/errors';
import { createTimer } from '../gpu/timer';
import { summarize, type TimingSummary } from './stats';

/**
 * The streaming-read bandwidth ceiling, measured on the spot (shaders/stream-read.wgsl): a large
 * buffer read once per pass with vec4 loads in a grid-stride loop. Kernels' GB/s are quoted as a
 * percentage of it. Timed with timestamp queries when the device has them (else wall clock).
 */

export interface BandwidthCeiling {
  readonly gbPerS: number;
  readonly bytes: number;
  readonly clock: 'timestamp-query' | 'wall-clock';
  readonly timing: TimingSummary;
}

export interface BandwidthOptions {
  /** Buffer size in bytes (capped by the device's binding and buffer limits); default 256 MiB. */
  readonly bytes?: number;
  /** Timed passes; default 10. */
  readonly runs?: number;
  readonly signal?: AbortSignal;
}

const WG = 256;

export async function measureBandwidth(gpu: GpuContext, opts: BandwidthOptions = {}): Promise<BandwidthCeiling> {
  const device = gpu.device;
  const limit = Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
  const bytes = Math.max(16, Math.floor(Math.min(opts.bytes ?? 256 * 2 ** 20, limit) / 16) * 16);
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
