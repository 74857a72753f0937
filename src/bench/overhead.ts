import noopWgsl from '../../shaders/noop.wgsl?raw';
import { bindBuffers } from '../gpu/bind-group';
import type { GpuContext } from '../gpu/context';
import { withErrorScopes } from '../gpu/errors';
import { createTimer } from '../gpu/timer';
import type { PassOpener } from '../kernels/kernel';
import { summarize } from './stats';

/**
 * Fixed costs of timed GPU work, measured on the spot with the same timer the suites use, for
 * reading small problems (a decode step at B 1 is microseconds): what does a run cost when it
 * does nothing? Each shape is timed as the runner times a kernel (runs in one submission, each
 * with its own pass timestamps), median of the runs:
 *
 *   empty pass                 a compute pass with no dispatch: the timer's own span
 *   1 no-op dispatch           one pass, one workgroup of a kernel that does nothing
 *   2 passes x 1 no-op         two passes of one each: a kernel plus its split-K merge pass
 *   1 pass x 9 no-op           nine dispatches in one pass: the paged kernel over 9 pool shards
 *   4224 no-op workgroups      one dispatch of 132 x 32 workgroups: the cost of a full grid's launch
 */

export interface FixedCosts {
  /** Shape label (above) to median milliseconds. */
  readonly medianMs: Readonly<Record<string, number>>;
  readonly clock: 'timestamp-query' | 'wall-clock';
}

const RUNS = 200;

export async function measureFixedCosts(gpu: GpuContext): Promise<FixedCosts> {
  const device = gpu.device;
  return withErrorScopes(device, 'fixed costs', async () => {
    const pipeline = gpu.pipeline('noop', () => ({
      label: 'noop',
      layout: 'auto',
      compute: { module: gpu.shader('noop', noopWgsl), entryPoint: 'main' },
    }));
    const sink = device.createBuffer({ label: 'noop sink', size: 16, usage: GPUBufferUsage.STORAGE });
    const group = bindBuffers(device, pipeline, 'noop', [sink]);
    const timer = createTimer(gpu);
    const shapes: [string, number, number, number][] = [
      // label, passes, dispatches a pass, workgroups a dispatch
      ['empty pass', 1, 0, 0],
      ['1 no-op dispatch', 1, 1, 1],
      ['2 passes x 1 no-op', 2, 1, 1],
      ['1 pass x 9 no-op', 1, 9, 1],
      ['4224 no-op workgroups', 1, 1, 4224],
    ];
    try {
      const medianMs: Record<string, number> = {};
      for (const [label, passes, dispatches, groups] of shapes) {
        const record = (_encoder: GPUCommandEncoder, openPass: PassOpener) => {
          for (let p = 0; p < passes; p++) {
            const pass = openPass(label);
            if (dispatches > 0) {
              pass.setPipeline(pipeline);
              pass.setBindGroup(0, group);
              for (let d = 0; d < dispatches; d++) pass.dispatchWorkgroups(groups);
            }
            pass.end();
          }
        };
        await timer.timeSamples(record, 20); // warm-up
        const per = Math.max(1, Math.floor(1000 / passes));
        const samples: number[] = [];
        while (samples.length < RUNS) samples.push(...(await timer.timeSamples(record, Math.min(per, RUNS))));
        medianMs[label] = summarize(samples).medianMs;
      }
      return { medianMs, clock: timer.clock };
    } finally {
      timer.destroy();
      sink.destroy();
    }
  });
}
