import { mmaShapeName, parseMmaShapeName } from '../kernels/hydragen-shared-mma-wgsl';
import type { KernelOptions } from '../kernels/kernel';
import { UsageError } from './usage-error';

/** Parse an on/off flag; undefined stays undefined (the kernel's default). */
function onOff(name: string, v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (v !== 'on' && v !== 'off') throw new UsageError(`--${name} must be on or off (got ${v})`);
  return v === 'on';
}

/** The CLI's kernel options (shared by verify and bench's usage): --block-size ... --subgroups. */
export const kernelOptionArgs = {
  'block-size': { type: 'string' },
  'split-k': { type: 'string' },
  'partition-size': { type: 'string' },
  'subgroup-matrix': { type: 'string' },
  subgroups: { type: 'string' },
  'stage-kv': { type: 'string' },
  'mma-shape': { type: 'string' },
} as const;

/** --block-size, --split-k, --partition-size, --subgroup-matrix, --subgroups, --stage-kv and --mma-shape into KernelOptions. */
export function kernelOptionsFromArgs(v: {
  'block-size'?: string;
  'split-k'?: string;
  'partition-size'?: string;
  'subgroup-matrix'?: string;
  subgroups?: string;
  'stage-kv'?: string;
  'mma-shape'?: string;
}): KernelOptions {
  const out: {
    blockSize?: number;
    splitK?: boolean | 'auto';
    partitionSize?: number;
    subgroupMatrix?: boolean;
    subgroups?: boolean;
    stageKv?: boolean;
    mmaShape?: string;
  } = {};
  const matrix = onOff('subgroup-matrix', v['subgroup-matrix']);
  if (matrix !== undefined) out.subgroupMatrix = matrix;
  const subgroups = onOff('subgroups', v.subgroups);
  if (subgroups !== undefined) out.subgroups = subgroups;
  const stage = onOff('stage-kv', v['stage-kv']);
  if (stage !== undefined) out.stageKv = stage;
  if (v['mma-shape'] !== undefined) {
    const shape = parseMmaShapeName(v['mma-shape']);
    if (typeof shape === 'string') throw new UsageError(`--mma-shape: ${shape}`);
    out.mmaShape = mmaShapeName(shape);
  }
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
