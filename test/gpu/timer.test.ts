import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { createTimer, MAX_TIMED_PASSES } from '../../src/gpu/timer';
import { testGpu } from '../setup/gpu-entry';

// The timer's batching: several runs in one submission, each timed on its own.
describe('GPU timer', () => {
  let gpu: GpuContext;
  let pipeline: GPUComputePipeline;
  let bindGroup: GPUBindGroup;
  let buffer: GPUBuffer;

  beforeAll(async () => {
    gpu = await testGpu();
    const code = `
      @group(0) @binding(0) var<storage, read_write> data: array<u32>;
      @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
        if (id.x < arrayLength(&data)) { data[id.x] = data[id.x] * 3u + 1u; }
      }`;
    pipeline = gpu.device.createComputePipeline({
      layout: 'auto',
      compute: { module: gpu.device.createShaderModule({ code }), entryPoint: 'main' },
    });
    buffer = gpu.device.createBuffer({ size: 4096 * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    bindGroup = gpu.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer } }],
    });
  });
  afterAll(() => {
    buffer?.destroy();
    gpu?.destroy();
  });

  /** A run of `passes` compute passes. */
  const run = (passes: number) => (_encoder: GPUCommandEncoder, openPass: (label: string) => GPUComputePassEncoder) => {
    for (let p = 0; p < passes; p++) {
      const pass = openPass(`timed ${p}`);
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(64);
      pass.end();
    }
  };

  for (const preferTimestamps of [true, false]) {
    it(`returns one time per run (${preferTimestamps ? 'timestamps if offered' : 'wall clock'})`, async () => {
      const timer = createTimer(gpu, preferTimestamps);
      try {
        if (preferTimestamps) expect(timer.clock).toBe(gpu.features.timestampQuery ? 'timestamp-query' : 'wall-clock');
        else expect(timer.clock).toBe('wall-clock');
        const times = await timer.timeSamples(run(3), 5);
        expect(times).toHaveLength(5);
        for (const t of times) {
          expect(Number.isFinite(t)).toBe(true);
          expect(t).toBeGreaterThanOrEqual(0);
        }
        expect(await timer.time(run(1))).toBeGreaterThanOrEqual(0);
      } finally {
        timer.destroy();
      }
    });
  }

  it('refuses work it cannot time', async () => {
    const timer = createTimer(gpu);
    try {
      await expect(timer.timeSamples(run(1), 0)).rejects.toThrow(/count 0/);
      if (timer.clock === 'timestamp-query') {
        await expect(timer.timeSamples(run(0), 2)).rejects.toThrow(/no compute pass/);
        await expect(timer.timeSamples(run(2), MAX_TIMED_PASSES / 2 + 1)).rejects.toThrow(
          new RegExp(`more than ${MAX_TIMED_PASSES} compute passes`),
        );
      }
    } finally {
      timer.destroy();
    }
  });
});
