import type { PassOpener } from '../kernels/kernel';
import type { GpuContext } from './context';

/**
 * Times GPU work. With `timestamp-query` every compute pass gets begin/end timestamps and a run's
 * time is the last pass's end minus the first pass's begin (gaps between passes included);
 * without it, wall clock from submit to onSubmittedWorkDone (includes submit overhead).
 * `clock` says which was used.
 */

export type Clock = 'timestamp-query' | 'wall-clock';

/** Timestamp queries per query set (WebGPU's maximum count is 4096). */
const MAX_QUERIES = 4096;

export interface GpuTimer {
  readonly clock: Clock;
  /**
   * Encode with `record` (which may record several repetitions), submit, wait, and return the
   * elapsed milliseconds of all of it.
   */
  time(record: (encoder: GPUCommandEncoder, openPass: PassOpener) => void): Promise<number>;
  destroy(): void;
}

export function createTimer(gpu: GpuContext, preferTimestamps = true): GpuTimer {
  const device = gpu.device;
  if (!(preferTimestamps && gpu.features.timestampQuery)) {
    return {
      clock: 'wall-clock',
      async time(record) {
        const encoder = device.createCommandEncoder({ label: 'timed' });
        record(encoder, (label) => encoder.beginComputePass({ label }));
        const cb = encoder.finish();
        const t0 = performance.now();
        device.queue.submit([cb]);
        await device.queue.onSubmittedWorkDone();
        return performance.now() - t0;
      },
      destroy() {},
    };
  }
  const querySet = device.createQuerySet({ label: 'timer', type: 'timestamp', count: MAX_QUERIES });
  const resolve = device.createBuffer({
    label: 'timer resolve',
    size: MAX_QUERIES * 8,
    usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
  });
  const read = device.createBuffer({
    label: 'timer read',
    size: MAX_QUERIES * 8,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  return {
    clock: 'timestamp-query',
    async time(record) {
      const encoder = device.createCommandEncoder({ label: 'timed' });
      let passes = 0;
      record(encoder, (label) => {
        if (2 * passes + 2 > MAX_QUERIES) {
          throw new Error(`timed work opened more than ${MAX_QUERIES / 2} compute passes; time fewer repetitions`);
        }
        const w = { querySet, beginningOfPassWriteIndex: 2 * passes, endOfPassWriteIndex: 2 * passes + 1 };
        passes++;
        return encoder.beginComputePass({ label, timestampWrites: w });
      });
      if (passes === 0) throw new Error('timed work opened no compute pass');
      encoder.resolveQuerySet(querySet, 0, 2 * passes, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, read, 0, 2 * passes * 8);
      device.queue.submit([encoder.finish()]);
      await read.mapAsync(GPUMapMode.READ, 0, 2 * passes * 8);
      const ts = new BigInt64Array(read.getMappedRange(0, 2 * passes * 8).slice(0));
      read.unmap();
      // Passes run in order; take the earliest begin and the latest end to be robust to 0 stamps.
      let begin = ts[0];
      let end = ts[1];
      for (let p = 0; p < passes; p++) {
        if (ts[2 * p] < begin) begin = ts[2 * p];
        if (ts[2 * p + 1] > end) end = ts[2 * p + 1];
      }
      return Number(end - begin) / 1e6;
    },
    destroy() {
      querySet.destroy();
      resolve.destroy();
      read.destroy();
    },
  };
}
