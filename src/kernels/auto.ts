import { chooseKernel } from './auto-choice';
import { hydragenKernel } from './hydragen';
import type { KernelDescriptor } from './kernel';
import { pagedKernel } from './paged';

/**
 * `auto`: picks Hydragen or paged attention for each problem (auto-choice.ts) and runs it. The
 * variant string says which ran and why, in the CLI's table, the page and the result files.
 */
const byName = { hydragen: hydragenKernel, paged: pagedKernel } as const;

export const autoKernel: KernelDescriptor = {
  name: 'auto',
  title: 'Auto: Hydragen when a long prefix is shared by enough sequences, else paged',

  unsupported(spec, gpu, options) {
    const c = chooseKernel(spec, options);
    return byName[c.kernel].unsupported(spec, gpu, c.options);
  },

  buffers(spec, gpu, options) {
    const c = chooseKernel(spec, options);
    return byName[c.kernel].buffers(spec, gpu, c.options);
  },

  cost(spec, gpu, options) {
    const c = chooseKernel(spec, options);
    return byName[c.kernel].cost(spec, gpu, c.options);
  },

  prepare(gpu, data, options) {
    const c = chooseKernel(data.spec, options);
    const prepared = byName[c.kernel].prepare(gpu, data, c.options);
    return { ...prepared, variant: `auto → ${prepared.variant}; ${c.reason}` };
  },
};
