/**
 * The attention problem model.
 *
 * A problem is a batch of B sequences whose keys and values are built from named
 * segments. A sequence lists segment ids in order; its KV is their concatenation.
 * Two sequences that list the same segment share it, so one format covers no sharing,
 * one shared prefix, and a tree of shared prefixes.
 *
 * Layouts (row-major, little-endian when serialized):
 *   q        [B, headsQ, Lq, D]
 *   segment  k, v: [headsKV, length, D]
 *   output o [B, headsQ, Lq, D], lse [B, headsQ, Lq]  (natural log)
 */

import type { HashKv } from './hash-kv';

/** Element type of K and V as stored on the GPU. Q, O and LSE are always f32. */
export type KvDtype = 'f32' | 'f16';

export interface SegmentSpec {
  /** Letters, digits, '_' and '-' only (it becomes part of a file name). */
  readonly id: string;
  /** Number of tokens; >= 1. */
  readonly length: number;
}

/** What a user writes (problem.json, the page's form, a preset): optional fields may be absent. */
export interface ProblemInput {
  headsQ: number;
  headsKV: number;
  headDim: number;
  queriesPerSeq: number;
  causal?: boolean;
  scale?: number;
  kvDtype?: KvDtype;
  segments: { id: string | number; length: number }[];
  sequences: (string | number)[][];
}

/** A validated problem with every default resolved. Build one with `resolveProblem`. */
export interface ProblemSpec {
  readonly headsQ: number;
  readonly headsKV: number;
  readonly headDim: number;
  /** Lq: 1 = decode; more = a chunk of new tokens at the end of each sequence. */
  readonly queriesPerSeq: number;
  /** With causal, query i of a sequence of total length L sits at L - Lq + i and sees keys <= its position. */
  readonly causal: boolean;
  readonly scale: number;
  readonly kvDtype: KvDtype;
  readonly segments: readonly SegmentSpec[];
  readonly sequences: readonly (readonly string[])[];
}

/** A problem with its tensors. For kvDtype f16 the K/V values are already rounded to f16. */
export interface ProblemData {
  readonly spec: ProblemSpec;
  /** [B, headsQ, Lq, D] */
  readonly q: Float32Array;
  /** Per segment id held on the host: k and v, each [headsKV, length, D]. */
  readonly kv: ReadonlyMap<string, SegmentKV>;
  /**
   * Per segment id whose K/V are a counter-based hash (hash-kv.ts), absent from `kv`: the GPU fills
   * them into its buffers and the reference evaluates the rows it reads, so nothing the size of
   * the K/V is held on the host. Kernels that read only `kv` refuse such data (hashedKvProblem).
   */
  readonly kvHashed?: ReadonlyMap<string, HashKv>;
}

export interface SegmentKV {
  readonly k: Float32Array;
  readonly v: Float32Array;
}

/** Attention output: what the reference and every kernel return. */
export interface AttentionResult {
  /** [B, headsQ, Lq, D] */
  readonly o: Float32Array | Float64Array;
  /** [B, headsQ, Lq], natural log of the softmax denominator (scores include the scale). */
  readonly lse: Float32Array | Float64Array;
}

export const batchSize = (p: ProblemSpec): number => p.sequences.length;

export const groupSize = (p: ProblemSpec): number => p.headsQ / p.headsKV;

export function segmentLength(p: ProblemSpec, id: string): number {
  const s = p.segments.find((x) => x.id === id);
  if (!s) throw new Error(`unknown segment id ${JSON.stringify(id)}`);
  return s.length;
}

/** Total KV length of each sequence. */
export function sequenceLengths(p: ProblemSpec): number[] {
  const len = new Map(p.segments.map((s) => [s.id, s.length]));
  return p.sequences.map((ids) => ids.reduce((acc, id) => acc + (len.get(id) ?? 0), 0));
}

/**
 * Number of keys query `i` (0-based within the chunk) of a sequence of total length `seqLen` sees:
 * all of them when not causal, positions 0..(seqLen - Lq + i) when causal.
 */
export function visibleKeys(p: ProblemSpec, seqLen: number, i: number): number {
  return p.causal ? seqLen - p.queriesPerSeq + i + 1 : seqLen;
}

/** Number of elements of q and o, and of lse. */
export const qElements = (p: ProblemSpec): number => batchSize(p) * p.headsQ * p.queriesPerSeq * p.headDim;
export const lseElements = (p: ProblemSpec): number => batchSize(p) * p.headsQ * p.queriesPerSeq;
export const segmentElements = (p: ProblemSpec, s: SegmentSpec): number => p.headsKV * s.length * p.headDim;

/** Bytes of one K or V element on the GPU. */
export const kvBytesPerElement = (d: KvDtype): number => (d === 'f16' ? 2 : 4);

/** The ProblemInput (problem.json) form of a spec, every default written out. */
export function specToInput(spec: ProblemSpec): ProblemInput {
  return {
    headsQ: spec.headsQ,
    headsKV: spec.headsKV,
    headDim: spec.headDim,
    queriesPerSeq: spec.queriesPerSeq,
    causal: spec.causal,
    scale: spec.scale,
    kvDtype: spec.kvDtype,
    segments: spec.segments.map((s) => ({ id: s.id, length: s.length })),
    sequences: spec.sequences.map((ids) => [...ids]),
  };
}
