/** A bind group for group 0 of `pipeline` with one whole buffer per binding: `buffers[i]` at binding i (null skips i). */
export function bindBuffers(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  label: string,
  buffers: readonly (GPUBuffer | null)[],
): GPUBindGroup {
  const entries: GPUBindGroupEntry[] = [];
  buffers.forEach((buffer, binding) => {
    if (buffer) entries.push({ binding, resource: { buffer } });
  });
  return device.createBindGroup({ label, layout: pipeline.getBindGroupLayout(0), entries });
}
