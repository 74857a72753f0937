import { checkBufferPlan, createOutputBuffer, uploadStorage } from '../gpu/buffers';
import type { GpuContext } from '../gpu/context';
import { lseElements, type ProblemData, type ProblemSpec, qElements, sequenceLengths } from '../problem/problem';
import { attentionFlops, perSequenceKvBytes, queryOutputBytes } from './cost';
import type { BufferRequest, KernelCost, KernelDescriptor, KernelOptions, PreparedKernel } from './kernel';
import { encodeKv, type KvFormat, kvFormatBytes, kvFormatFor } from './kv-format';
import { createSpanAttention, type KvSpan, spanAttentionProblem, spanTableBytes } from './span-attention';

/**
 * The textbook baseline: no sharing. Each sequence's KV is gathered into its own contiguous copy
 * (a shared segment is copied once per sequence: that is what "no sharing" costs), then one
 * workgroup per (sequence, KV head, tile of up to 8 of its GQA group's query rows) computes scores,
 * softmax and the weighted sum (shaders/span-attention.wgsl), reading each K/V row once for the
 * whole tile.
 *
 * When the per-sequence copies would not fit one storage binding, the "in-place" layout reads each
 * shared segment where it lies: still once per sequence, which is the cost being measured, but
 * stored once. The variant says which layout ran.
 *
 * Bytes moved: Q + O + LSE, and every sequence's K and V once per KV head (shared segments counted
 * per sequence; the query heads of a GQA group share the read, except that a group with more than
 * 8 rows, group_size x Lq, is split into tiles that each read K/V, which is not counted).
 */

export type NaiveLayout = 'gathered' | 'in-place';

function layoutFor(spec: ProblemSpec, gpu: GpuContext, format: KvFormat): NaiveLayout {
  return gatheredBytes(spec, format) <= gpu.limits.maxStorageBufferBindingSize ? 'gathered' : 'in-place';
}

const gatheredBytes = (spec: ProblemSpec, f: KvFormat) => perSequenceKvBytes(spec, kvFormatBytes(f)) / 2;

function inPlaceBytes(spec: ProblemSpec, f: KvFormat): number {
  const tokens = spec.segments.reduce((a, s) => a + s.length, 0);
  return tokens * spec.headsKV * spec.headDim * kvFormatBytes(f);
}

/** Spans of each sequence and the element offset of every segment (in-place) or sequence (gathered). */
function spansFor(spec: ProblemSpec, layout: NaiveLayout): { spans: KvSpan[][]; segmentBase: Map<string, number> } {
  const D = spec.headDim;
  const H = spec.headsKV;
  const lens = sequenceLengths(spec);
  const segmentBase = new Map<string, number>();
  if (layout === 'gathered') {
    let base = 0;
    const spans = lens.map((L) => {
      const s: KvSpan = { base, length: L, headStride: L * D, tokenStart: 0 };
      base += H * L * D;
      return [s];
    });
    return { spans, segmentBase };
  }
  let base = 0;
  for (const seg of spec.segments) {
    segmentBase.set(seg.id, base);
    base += H * seg.length * D;
  }
  const segLen = new Map(spec.segments.map((s) => [s.id, s.length]));
  const spans = spec.sequences.map((ids) => {
    let pos = 0;
    return ids.map((id) => {
      const length = segLen.get(id) ?? 0;
      const s: KvSpan = { base: segmentBase.get(id) ?? 0, length, headStride: length * D, tokenStart: pos };
      pos += length;
      return s;
    });
  });
  return { spans, segmentBase };
}

/** K and V in the chosen layout and format. */
function packKv(data: ProblemData, layout: NaiveLayout, format: KvFormat): { k: ArrayBufferView; v: ArrayBufferView } {
  const spec = data.spec;
  const D = spec.headDim;
  const H = spec.headsKV;
  const total = layout === 'gathered' ? gatheredBytes(spec, 'f32') / 4 : inPlaceBytes(spec, 'f32') / 4;
  const k = new Float32Array(total);
  const v = new Float32Array(total);
  if (layout === 'in-place') {
    let base = 0;
    for (const seg of spec.segments) {
      const kv = data.kv.get(seg.id);
      if (!kv) throw new Error(`no K/V data for segment "${seg.id}"`);
      k.set(kv.k, base);
      v.set(kv.v, base);
      base += H * seg.length * D;
    }
  } else {
    let base = 0;
    const segLen = new Map(spec.segments.map((s) => [s.id, s.length]));
    for (const ids of spec.sequences) {
      const L = ids.reduce((a, id) => a + (segLen.get(id) ?? 0), 0);
      for (let h = 0; h < H; h++) {
        let pos = 0;
        for (const id of ids) {
          const n = segLen.get(id) ?? 0;
          const kv = data.kv.get(id);
          if (!kv) throw new Error(`no K/V data for segment "${id}"`);
          const from = h * n * D;
          const to = base + (h * L + pos) * D;
          k.set(kv.k.subarray(from, from + n * D), to);
          v.set(kv.v.subarray(from, from + n * D), to);
          pos += n;
        }
      }
      base += H * L * D;
    }
  }
  return { k: encodeKv(k, format), v: encodeKv(v, format) };
}

function cost(spec: ProblemSpec, format: KvFormat): KernelCost {
  return {
    bytesMoved: queryOutputBytes(spec) + perSequenceKvBytes(spec, kvFormatBytes(format)),
    flops: attentionFlops(spec),
  };
}

function buffers(spec: ProblemSpec, gpu: GpuContext, _options: KernelOptions): BufferRequest[] {
  const format = kvFormatFor(spec.kvDtype, gpu);
  const layout = layoutFor(spec, gpu, format);
  const kvBytes = layout === 'gathered' ? gatheredBytes(spec, format) : inPlaceBytes(spec, format);
  const table = spanTableBytes(spansFor(spec, layout).spans);
  return [
    { label: 'q', bytes: qElements(spec) * 4 },
    { label: `k (${layout})`, bytes: kvBytes },
    { label: `v (${layout})`, bytes: kvBytes },
    { label: 'sequence table', bytes: table.seqs },
    { label: 'span table', bytes: table.spans },
    { label: 'o', bytes: qElements(spec) * 4 },
    { label: 'lse', bytes: lseElements(spec) * 4 },
  ];
}

export const naiveKernel: KernelDescriptor = {
  name: 'naive',
  title: 'Naive: per-sequence KV, one workgroup per KV head and tile of query rows',

  unsupported(spec, gpu) {
    return spanAttentionProblem(spec, gpu.limits);
  },

  buffers,

  cost(spec, gpu) {
    return cost(spec, kvFormatFor(spec.kvDtype, gpu));
  },

  prepare(gpu, data, options): PreparedKernel {
    const spec = data.spec;
    const why = naiveKernel.unsupported(spec, gpu, options);
    if (why) throw new Error(`naive kernel: ${why}`);
    checkBufferPlan(gpu, buffers(spec, gpu, options), 'naive kernel');
    const format = kvFormatFor(spec.kvDtype, gpu);
    const layout = layoutFor(spec, gpu, format);
    const { spans } = spansFor(spec, layout);
    const kv = packKv(data, layout, format);
    const q = uploadStorage(gpu, 'q', data.q);
    const k = uploadStorage(gpu, `k (${layout})`, kv.k);
    const v = uploadStorage(gpu, `v (${layout})`, kv.v);
    const o = createOutputBuffer(gpu, 'o', qElements(spec) * 4);
    const lse = createOutputBuffer(gpu, 'lse', lseElements(spec) * 4);
    const attention = createSpanAttention(gpu, spec, format, { q, k, v, o, lse }, spans, sequenceLengths(spec));
    return {
      variant: `naive (${layout}, KV ${format})`,
      o,
      lse,
      cost: cost(spec, format),
      encode(_encoder, openPass) {
        const pass = openPass('naive');
        attention.dispatch(pass);
        pass.end();
      },
      destroy() {
        attention.destroy();
        for (const b of [q, k, v, o, lse]) b.destroy();
      },
    };
  },
};
