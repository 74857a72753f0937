import type { GpuContext } from './context';
import type { PassOpener } from './pass-opener';

/**
 * Times GPU work. With `timestamp-query` every compute pass gets begin/end timestamps and a run's
 * time is the last pass's end minus the first pass's begin (gaps between passes included);
 * without it, wall clock from submit to onSubmittedWorkDone (includes submit overhead).
 * `clock` says which was used.
 *
 * `timeSamples` records several runs back to back in one submission, each with its own
 * timestamps, so the GPU never waits for the CPU between them (it would otherwise idle while each
 * result is read back, and may lower its clocks in those gaps).
 */

export type Clock = 'timestamp-query' | 'wall-clock';

/** Timestamp queries per query set (WebGPU's maximum count is 4096). */
const MAX_QUERIES = 4096;
/** Compute passes one timed submission may open (two timestamps each). */
export const MAX_TIMED_PASSES = MAX_QUERIES / 2;

export interface GpuTimer {
  readonly clock: Clock;
  /**
   * Encode with `record` (which may record several repetitions), submit, wait, and return the
   * elapsed milliseconds of all of it.
   */
  time(record: (encoder: GPUCommandEncoder, openPass: PassOpener) => void): Promise<number>;
  /**
   * Record `count` runs of `record` into one submission and return each run's milliseconds. With
   * timestamps each run is timed on its own (`count` x passes per run must stay within
   * MAX_TIMED_PASSES); without them the runs are submitted and timed one by one.
   */
  timeSamples(record: (encoder: GPUCommandEncoder, openPass: PassOpener) => void, count: number): Promise<number[]>;
  destroy(): void;
}

export function createTimer(gpu: GpuContext, preferTimestamps = true): GpuTimer {
  const device = gpu.device;
  if (!(preferTimestamps && gpu.features.timestampQuery)) {
    const time = async (record: (encoder: GPUCommandEncoder, openPass: PassOpener) => void) => {
      const encoder = device.createCommandEncoder({ label: 'timed' });
      record(encoder, (label) => encoder.beginComputePass({ label }));
      const cb = encoder.finish();
      const t0 = performance.now();
      device.queue.submit([cb]);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    };
    return {
      clock: 'wall-clock',
      time,
      async timeSamples(record, count) {
        const out: number[] = [];
        for (let i = 0; i < count; i++) out.push(await time(record));
        return out;
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
  /** Encode `count` runs, each with its own passes' timestamps; submit once; each run's span. */
  const timeSamples = async (record: (encoder: GPUCommandEncoder, openPass: PassOpener) => void, count: number) => {
    if (!(Number.isInteger(count) && count >= 1))
      throw new Error(`timeSamples: count ${count} is not a positive integer`);
    const encoder = device.createCommandEncoder({ label: 'timed' });
    let passes = 0;
    const firstPass: number[] = [];
    for (let i = 0; i < count; i++) {
      firstPass.push(passes);
      record(encoder, (label) => {
        if (passes + 1 > MAX_TIMED_PASSES) {
          throw new Error(`timed work opened more than ${MAX_TIMED_PASSES} compute passes; time fewer repetitions`);
        }
        const w = { querySet, beginningOfPassWriteIndex: 2 * passes, endOfPassWriteIndex: 2 * passes + 1 };
        passes++;
        return encoder.beginComputePass({ label, timestampWrites: w });
      });
    }
    firstPass.push(passes);
    if (firstPass.some((p, i) => i > 0 && p === firstPass[i - 1])) throw new Error('timed work opened no compute pass');
    encoder.resolveQuerySet(querySet, 0, 2 * passes, resolve, 0);
    encoder.copyBufferToBuffer(resolve, 0, read, 0, 2 * passes * 8);
    device.queue.submit([encoder.finish()]);
    await read.mapAsync(GPUMapMode.READ, 0, 2 * passes * 8);
    const ts = new BigInt64Array(read.getMappedRange(0, 2 * passes * 8).slice(0));
    read.unmap();
    // Passes run in order; take each run's earliest begin and latest end (robust to 0 stamps).
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      let begin = ts[2 * firstPass[i]];
      let end = ts[2 * firstPass[i] + 1];
      for (let p = firstPass[i]; p < firstPass[i + 1]; p++) {
        if (ts[2 * p] < begin) begin = ts[2 * p];
        if (ts[2 * p + 1] > end) end = ts[2 * p + 1];
      }
      out.push(Number(end - begin) / 1e6);
    }
    return out;
  };
  return {
    clock: 'timestamp-query',
    timeSamples,
    async time(record) {
      return (await timeSamples(record, 1))[0];
    },
    destroy() {
      querySet.destroy();
      resolve.destroy();
      read.destroy();
    },
  };
}
