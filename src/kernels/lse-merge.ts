import lseMergeWgsl from '../../shaders/lse-merge.wgsl?raw';
import { bindBuffers } from '../gpu/bind-group';
import { uploadStorage, uploadUniform } from '../gpu/buffers';
import type { GpuContext } from '../gpu/context';

/**
 * Host side of shaders/lse-merge.wgsl: the exact LSE merge of partial (o, lse) results, used by
 * Hydragen (shared + unique parts) and by split-K (partitions of a long KV range). The f64 twin
 * for checks is src/reference/lse-merge.ts.
 */

/** Threads of a merge workgroup (a power of two): WG / (D / 4) slices read a row's partials in parallel. */
export const LSE_MERGE_WG = 128;

/** Which partials make each output row: rowParts[r] lists indices into the partial buffers. */
export type RowParts = readonly (readonly number[])[];

/** CSR form of RowParts: row_start (rows + 1 entries) and the concatenated part indices. */
export function rowPartsCsr(rowParts: RowParts): { rowStart: Uint32Array; partIndex: Uint32Array } {
  const rowStart = new Uint32Array(rowParts.length + 1);
  let n = 0;
  rowParts.forEach((parts, r) => {
    rowStart[r] = n;
    n += parts.length;
  });
  rowStart[rowParts.length] = n;
  const partIndex = new Uint32Array(Math.max(1, n));
  let at = 0;
  for (const parts of rowParts) for (const p of parts) partIndex[at++] = p;
  return { rowStart, partIndex };
}

/** Bytes of the merge's own tables for `rows` rows and `entries` (row, part) pairs. */
export const lseMergeTableBytes = (rows: number, entries: number): number => 4 * (rows + 1 + Math.max(1, entries));

export interface LseMergeBuffers {
  /** [numPartials, D] f32 */
  readonly partO: GPUBuffer;
  /** [numPartials] f32 */
  readonly partLse: GPUBuffer;
  /** [rows, D] f32 */
  readonly o: GPUBuffer;
  /** [rows] f32 */
  readonly lse: GPUBuffer;
}

export interface LseMerge {
  dispatch(pass: GPUComputePassEncoder): void;
  destroy(): void;
}

export function createLseMerge(
  gpu: GpuContext,
  headDim: number,
  buffers: LseMergeBuffers,
  rowParts: RowParts,
): LseMerge {
  if (headDim % 4 !== 0 || headDim > 4 * LSE_MERGE_WG) {
    throw new Error(`LSE merge: headDim ${headDim} must be a multiple of 4, at most ${4 * LSE_MERGE_WG}`);
  }
  const rows = rowParts.length;
  const maxX = gpu.limits.maxComputeWorkgroupsPerDimension;
  const x = Math.min(rows, maxX);
  const y = Math.ceil(rows / Math.max(1, x));
  if (y > maxX) throw new Error(`LSE merge: ${rows} rows exceed ${maxX}^2 workgroups`);

  const params = new ArrayBuffer(16);
  new Uint32Array(params, 0, 2).set([rows, x]);
  new Float32Array(params, 8, 1)[0] = Number.NEGATIVE_INFINITY;
  const { rowStart, partIndex } = rowPartsCsr(rowParts);

  const key = `lse-merge/D${headDim}`;
  const pipeline = gpu.pipeline(key, () => ({
    label: key,
    layout: 'auto',
    compute: {
      module: gpu.shader('lse-merge', lseMergeWgsl),
      entryPoint: 'main',
      constants: { HEAD_DIM: headDim, WG: LSE_MERGE_WG },
    },
  }));
  const uniform = uploadUniform(gpu, 'lse-merge params', new Uint8Array(params));
  const rowStartBuf = uploadStorage(gpu, 'lse-merge row_start', rowStart);
  const partIndexBuf = uploadStorage(gpu, 'lse-merge part_index', partIndex);
  const bindGroup = bindBuffers(gpu.device, pipeline, key, [
    uniform,
    buffers.partO,
    buffers.partLse,
    rowStartBuf,
    partIndexBuf,
    buffers.o,
    buffers.lse,
  ]);
  return {
    dispatch(pass) {
      if (rows === 0) return;
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(x, y);
    },
    destroy() {
      uniform.destroy();
      rowStartBuf.destroy();
      partIndexBuf.destroy();
    },
  };
}
