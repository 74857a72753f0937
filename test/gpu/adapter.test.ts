import { describe, expect, it } from 'vitest';
import { testGpu } from '../setup/gpu-entry';

// Runs first (files run in order): without an adapter the GPU suite must fail, never pass vacuously.
describe('WebGPU adapter', () => {
  it('exists and gives a device that runs a compute shader', async () => {
    const gpu = await testGpu();
    // It names itself (SwiftShader: vendor "google", architecture "swiftshader"), as reports and result files show it.
    const a = gpu.adapter;
    expect([a.vendor, a.architecture, a.description].join(''), JSON.stringify(a)).not.toBe('');
    const code = `
      @group(0) @binding(0) var<storage, read_write> data: array<u32>;
      @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
        if (id.x < arrayLength(&data)) { data[id.x] = id.x * 3u + 1u; }
      }`;
    const pipeline = gpu.device.createComputePipeline({
      layout: 'auto',
      compute: { module: gpu.device.createShaderModule({ code }), entryPoint: 'main' },
    });
    const n = 1000;
    const buf = gpu.device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const read = gpu.device.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = gpu.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(
      0,
      gpu.device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [{ binding: 0, resource: { buffer: buf } }],
      }),
    );
    pass.dispatchWorkgroups(Math.ceil(n / 64));
    pass.end();
    enc.copyBufferToBuffer(buf, 0, read, 0, n * 4);
    gpu.device.queue.submit([enc.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const out = new Uint32Array(read.getMappedRange().slice(0));
    expect(out[0]).toBe(1);
    expect(out[999]).toBe(999 * 3 + 1);
    gpu.destroy();
  });
});
