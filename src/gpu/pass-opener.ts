/**
 * Opens a compute pass. The harness decides the pass descriptor (for example timestamp writes),
 * so kernels never build pass descriptors themselves. The caller ends the pass.
 */
export type PassOpener = (label: string) => GPUComputePassEncoder;
