import type { AdapterSummary } from '../gpu/context';

/**
 * Compute units (NVIDIA SMs) of a GPU, for planning grids. WebGPU does not report them, so this is
 * a small table of GPUs we have run on or expect to, matched on the adapter's device string (Dawn
 * on Vulkan gives e.g. "nvidia-h200", "nvidia-h100-80gb-hbm3"), or null when the adapter is not in
 * it. A caller that knows better passes a number (KernelOptions.computeUnits, CLI --compute-units).
 */
const TABLE: readonly (readonly [RegExp, number])[] = [
  [/h200/i, 132],
  [/h100.*pcie/i, 114],
  [/h100/i, 132],
  [/a100/i, 108],
  [/l40s/i, 142],
  [/rtx[- ]?4090/i, 128],
];

export function computeUnitsOf(adapter: AdapterSummary): number | null {
  const name = `${adapter.device} ${adapter.description}`;
  for (const [re, n] of TABLE) if (re.test(name)) return n;
  return null;
}

/** A number as given; 'adapter' looked up (null when the adapter is unknown); undefined stays undefined. */
export function resolveComputeUnits(
  option: number | 'adapter' | undefined,
  adapter: AdapterSummary,
): number | undefined {
  if (option === 'adapter') return computeUnitsOf(adapter) ?? undefined;
  return option;
}
