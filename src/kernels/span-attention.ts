import rowTileWgsl from '../../shaders/row-tile.wgsl?raw';
import spanAttentionWgsl from '../../shaders/span-attention.wgsl?raw';
import { bindBuffers } from '../gpu/bind-group';
import { uploadStorage, uploadUniform } from '../gpu/buffers';
import type { GpuContext } from '../gpu/context';
import { batchSize, type ProblemSpec } from '../problem/problem';
import { type KvFormat, kvShaderSource } from './kv-format';

/**
 * Host side of shaders/span-attention.wgsl: attention of every (sequence, query head, query)
 * over a per-sequence list of KV spans. Naive attention and Hydragen's unique-suffix part are both
 * this kernel with different span tables.
 *
 * Grid: x = KV head x row tile, y = sequence. A row tile is up to SPAN_ATTENTION_MAX_ROWS query
 * rows of one KV head's GQA group (its group_size heads x Lq queries), so each K/V row of a span is
 * read once per KV head (once per tile when group_size x Lq > SPAN_ATTENTION_MAX_ROWS), not once per
 * query head and query. Output: o and lse of row (b, h, i) at (b * headsQ + h) * Lq + i.
 */

/** One contiguous run of a sequence's keys in a K/V buffer laid out [headsKV, length, D]. */
export interface KvSpan {
  /** Element offset of (KV head 0, token 0) in the K and V buffers. */
  readonly base: number;
  readonly length: number;
  /** Elements between consecutive KV heads (length * D for a [headsKV, length, D] block). */
  readonly headStride: number;
  /** Position of the span's first token within its sequence (for causal masking). */
  readonly tokenStart: number;
}

export const SPAN_ATTENTION_WG = 64;
/** Query rows per workgroup at most (the shader's MAX_ROWS). */
export const SPAN_ATTENTION_MAX_ROWS = 8;

/** Rows per tile and tiles per KV head for a problem. */
export function spanRowTiles(spec: ProblemSpec): { rowsPerGroup: number; rowsPerTile: number; rowTiles: number } {
  const rowsPerGroup = (spec.headsQ / spec.headsKV) * spec.queriesPerSeq;
  const rowsPerTile = Math.min(SPAN_ATTENTION_MAX_ROWS, rowsPerGroup);
  return { rowsPerGroup, rowsPerTile, rowTiles: Math.ceil(rowsPerGroup / rowsPerTile) };
}

/** Why span attention cannot run this problem on a device with these limits, or null. */
export function spanAttentionProblem(spec: ProblemSpec, limits: GPUSupportedLimits): string | null {
  if (spec.headDim % 4 !== 0 || spec.headDim > 4 * SPAN_ATTENTION_WG)
    return `headDim ${spec.headDim} must be a multiple of 4, at most ${4 * SPAN_ATTENTION_WG}`;
  const max = limits.maxComputeWorkgroupsPerDimension;
  const dims: [string, number][] = [
    ['headsKV x row tiles', spec.headsKV * spanRowTiles(spec).rowTiles],
    ['batch', batchSize(spec)],
  ];
  for (const [what, n] of dims) {
    if (n > max) return `${what} = ${n} exceeds maxComputeWorkgroupsPerDimension (${max})`;
  }
  return null;
}

/** Words of the span table for `spansPerSeq` (one list per sequence). */
export function spanTableBytes(spansPerSeq: readonly (readonly KvSpan[])[]): { seqs: number; spans: number } {
  const n = spansPerSeq.reduce((a, s) => a + s.length, 0);
  return { seqs: spansPerSeq.length * 16, spans: Math.max(1, n) * 16 };
}

export interface SpanAttentionBuffers {
  readonly q: GPUBuffer;
  readonly k: GPUBuffer;
  readonly v: GPUBuffer;
  readonly o: GPUBuffer;
  readonly lse: GPUBuffer;
}

export interface SpanAttention {
  /** Record the dispatch into an open compute pass. */
  dispatch(pass: GPUComputePassEncoder): void;
  destroy(): void;
}

export function createSpanAttention(
  gpu: GpuContext,
  spec: ProblemSpec,
  format: KvFormat,
  buffers: SpanAttentionBuffers,
  spansPerSeq: readonly (readonly KvSpan[])[],
  seqLengths: readonly number[],
): SpanAttention {
  const B = batchSize(spec);
  const D = spec.headDim;
  if (spansPerSeq.length !== B || seqLengths.length !== B) {
    throw new Error(`span table has ${spansPerSeq.length} sequences, problem has ${B}`);
  }
  const why = spanAttentionProblem(spec, gpu.limits);
  if (why) throw new Error(`span attention: ${why}`);
  const tiles = spanRowTiles(spec);
  const seqWords = new Uint32Array(B * 4);
  const spanWords = new Uint32Array(
    Math.max(
      1,
      spansPerSeq.reduce((a, s) => a + s.length, 0),
    ) * 4,
  );
  let at = 0;
  spansPerSeq.forEach((list, b) => {
    seqWords.set([at, list.length, seqLengths[b], 0], b * 4);
    for (const s of list) {
      spanWords.set([s.base / 4, s.length, s.headStride / 4, s.tokenStart], at * 4);
      at++;
    }
  });

  const params = new ArrayBuffer(48);
  const u = new Uint32Array(params);
  const f = new Float32Array(params);
  u[0] = spec.headsQ;
  u[1] = spec.headsQ / spec.headsKV;
  u[2] = spec.queriesPerSeq;
  u[3] = spec.causal ? 1 : 0;
  f[4] = spec.scale;
  u[5] = B;
  f[6] = Number.NEGATIVE_INFINITY;
  u[7] = tiles.rowsPerGroup;
  u[8] = tiles.rowTiles;

  const key = `span-attention/${format}/D${D}/R${tiles.rowsPerTile}`;
  const pipeline = gpu.pipeline(key, () => ({
    label: key,
    layout: 'auto',
    compute: {
      module: gpu.shader(`span-attention/${format}`, kvShaderSource(format) + spanAttentionWgsl + rowTileWgsl),
      entryPoint: 'main',
      constants: { HEAD_DIM: D, WG: SPAN_ATTENTION_WG, ROWS: tiles.rowsPerTile },
    },
  }));

  const uniform = uploadUniform(gpu, 'span-attention params', new Uint8Array(params));
  const seqBuf = uploadStorage(gpu, 'span-attention seqs', seqWords);
  const spanBuf = uploadStorage(gpu, 'span-attention spans', spanWords);
  const bindGroup = bindBuffers(gpu.device, pipeline, key, [
    uniform,
    buffers.q,
    buffers.k,
    buffers.v,
    seqBuf,
    spanBuf,
    buffers.o,
    buffers.lse,
  ]);

  return {
    dispatch(pass) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(spec.headsKV * tiles.rowTiles, B);
    },
    destroy() {
      uniform.destroy();
      seqBuf.destroy();
      spanBuf.destroy();
    },
  };
}
