import { autoKernel } from './auto';
import { hydragenKernel } from './hydragen';
import type { KernelDescriptor } from './kernel';
import { naiveKernel } from './naive';
import { pagedKernel } from './paged';

/** Every kernel the harness, CLI and page can run, in display order. */
export const kernels: readonly KernelDescriptor[] = [naiveKernel, hydragenKernel, pagedKernel, autoKernel];

export function getKernel(name: string): KernelDescriptor {
  const k = kernels.find((x) => x.name === name);
  if (!k) throw new Error(`unknown kernel "${name}"; known: ${kernels.map((x) => x.name).join(', ')}`);
  return k;
}

/** "all" or a comma-separated list of names. */
export function selectKernels(spec: string): KernelDescriptor[] {
  if (spec === 'all') return [...kernels];
  return spec.split(',').map((n) => getKernel(n.trim()));
}
