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
  'decode-lanes': { type: 'string' },
  'decode-wg': { type: 'string' },
  'decode-unroll': { type: 'string' },
  'decode-prefetch': { type: 'string' },
  'compute-units': { type: 'string' },
} as const;

/** A positive integer flag; undefined stays undefined. */
function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer (got ${v})`);
  return n;
}

/**
 * --block-size, --split-k, --partition-size, --subgroup-matrix, --subgroups, --stage-kv, --mma-shape
 * and the paged decode kernel's --decode-lanes, --decode-wg, --decode-unroll, --decode-prefetch on|off
 * and --compute-units N|adapter into KernelOptions.
 */
export function kernelOptionsFromArgs(v: {
  'block-size'?: string;
  'split-k'?: string;
  'partition-size'?: string;
  'subgroup-matrix'?: string;
  subgroups?: string;
  'stage-kv'?: string;
  'mma-shape'?: string;
  'decode-lanes'?: string;
  'decode-wg'?: string;
  'decode-unroll'?: string;
  'decode-prefetch'?: string;
  'compute-units'?: string;
}): KernelOptions {
  const out: {
    -readonly [K in keyof KernelOptions]: KernelOptions[K];
  } = {};
  const lanes = positive('decode-lanes', v['decode-lanes']);
  if (lanes !== undefined) out.decodeLanes = lanes;
  const wg = positive('decode-wg', v['decode-wg']);
  if (wg !== undefined) out.decodeWg = wg;
  const unroll = positive('decode-unroll', v['decode-unroll']);
  if (unroll !== undefined) out.decodeUnroll = unroll;
  const prefetch = onOff('decode-prefetch', v['decode-prefetch']);
  if (prefetch !== undefined) out.decodePrefetch = prefetch;
  const units = v['compute-units'];
  if (units !== undefined) {
    const n = Number(units);
    if (units !== 'adapter' && !(Number.isInteger(n) && n >= 1))
      throw new UsageError(`--compute-units must be a positive integer or adapter (got ${units})`);
    out.computeUnits = units === 'adapter' ? 'adapter' : n;
  }
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
