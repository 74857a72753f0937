import type { GpuContext } from '../gpu/context';
import type { ProblemSpec } from '../problem/problem';
import { type AutoChoice, chooseKernel, type KernelPaths } from './auto-choice';
import { hydragenKernel } from './hydragen';
import { matrixTilesFor } from './hydragen-shared';
import type { KernelDescriptor, KernelOptions } from './kernel';
import { kvFormatFor } from './kv-format';
import { pagedKernel } from './paged';

/**
 * `auto`: picks Hydragen or paged attention for each problem (auto-choice.ts) and runs it. The
 * variant string says which ran and why, in the CLI's table, the page and the result files.
 */
const byName = { hydragen: hydragenKernel, paged: pagedKernel } as const;

/** Which Hydragen and paged kernels would run on this device with these options (their rates differ). */
export function kernelPaths(spec: ProblemSpec, gpu: GpuContext, options: KernelOptions): KernelPaths {
  return {
    hydragenTensorCores:
      options.subgroupMatrix !== false &&
      typeof matrixTilesFor(spec.headDim, gpu, kvFormatFor(spec.kvDtype, gpu), options.stageKv, options.mmaShape) !==
        'string',
    pagedSubgroups: options.subgroups !== false && gpu.features.subgroups,
  };
}

const choose = (spec: ProblemSpec, gpu: GpuContext, options: KernelOptions): AutoChoice =>
  chooseKernel(spec, options, kernelPaths(spec, gpu, options));

export const autoKernel: KernelDescriptor = {
  name: 'auto',
  title: 'Auto: Hydragen when a long prefix is shared by enough sequences, else paged',

  unsupported(spec, gpu, options) {
    const c = choose(spec, gpu, options);
    return byName[c.kernel].unsupported(spec, gpu, c.options);
  },

  buffers(spec, gpu, options) {
    const c = choose(spec, gpu, options);
    return byName[c.kernel].buffers(spec, gpu, c.options);
  },

  cost(spec, gpu, options) {
    const c = choose(spec, gpu, options);
    return byName[c.kernel].cost(spec, gpu, c.options);
  },

  prepare(gpu, data, options) {
    const c = choose(data.spec, gpu, options);
    const prepared = byName[c.kernel].prepare(gpu, data, c.options);
    return { ...prepared, variant: `auto → ${prepared.variant}; ${c.reason}` };
  },
};
