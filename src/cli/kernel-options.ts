import type { KernelOptions } from '../kernels/kernel';
import { UsageError } from './usage-error';

/** --block-size, --split-k and --partition-size into KernelOptions. */
export function kernelOptionsFromArgs(v: {
  'block-size'?: string;
  'split-k'?: string;
  'partition-size'?: string;
}): KernelOptions {
  const out: { blockSize?: number; splitK?: boolean | 'auto'; partitionSize?: number } = {};
  if (v['block-size'] !== undefined) {
    const n = Number(v['block-size']);
    if (![8, 16, 32].includes(n)) throw new UsageError(`--block-size must be 8, 16 or 32 (got ${v['block-size']})`);
    out.blockSize = n;
  }
  if (v['split-k'] !== undefined) {
    const s = v['split-k'];
    if (s !== 'on' && s !== 'off' && s !== 'auto') throw new UsageError(`--split-k must be on, off or auto (got ${s})`);
    out.splitK = s === 'auto' ? 'auto' : s === 'on';
  }
  if (v['partition-size'] !== undefined) {
    const n = Number(v['partition-size']);
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(`--partition-size must be a positive integer (got ${v['partition-size']})`);
    out.partitionSize = n;
  }
  return out;
}
