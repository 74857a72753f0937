import {
  kvBytesPerElement,
  lseElements,
  type ProblemSpec,
  qElements,
  sequenceLengths,
  visibleKeys,
} from '../problem/problem';

/**
 * Cost formulas shared by the kernel descriptors.
 *
 * FLOPs count the two matrix products only: QK^T and PV, 2 per multiply-add, over the keys each
 * query actually sees (causal masking included). Bytes count the traffic the algorithm must make:
 * Q read once, O and LSE written once, and K/V as each kernel addresses them (see each kernel).
 */

/** Keys seen, summed over every (sequence, query head, query). */
export function visiblePairs(spec: ProblemSpec): number {
  const lens = sequenceLengths(spec);
  let pairs = 0;
  for (const L of lens) {
    for (let i = 0; i < spec.queriesPerSeq; i++) pairs += visibleKeys(spec, L, i);
  }
  return pairs * spec.headsQ;
}

export const attentionFlops = (spec: ProblemSpec): number => 4 * spec.headDim * visiblePairs(spec);

/** Q read, O and LSE written, all f32. */
export const queryOutputBytes = (spec: ProblemSpec): number => 4 * (2 * qElements(spec) + lseElements(spec));

/** K and V of every sequence read once per sequence: what no sharing costs (a shared segment counts once per sequence). */
export function perSequenceKvBytes(spec: ProblemSpec, kvBytesPerElement: number): number {
  const tokens = sequenceLengths(spec).reduce((a, b) => a + b, 0);
  return 2 * tokens * spec.headsKV * spec.headDim * kvBytesPerElement;
}

/** K and V of every segment read once: what perfect sharing costs. */
export function perSegmentKvBytes(spec: ProblemSpec, kvBytesPerElement: number): number {
  const used = new Set(spec.sequences.flat());
  const tokens = spec.segments.filter((s) => used.has(s.id)).reduce((a, s) => a + s.length, 0);
  return 2 * tokens * spec.headsKV * spec.headDim * kvBytesPerElement;
}

/**
 * The problem's unique bytes: Q read once, O and LSE written once, and each K/V byte of every
 * segment once, at the problem's K/V dtype. What a kernel must move at the very least, whatever its
 * algorithm: the "% ceiling" of the bench tables divides this (not bytesMoved) by the time, so a
 * kernel that reads a shared prefix once per sequence, its repeats served by the GPU's cache, is not
 * credited with more than 100% of the streaming-read ceiling.
 */
export const uniqueBytes = (spec: ProblemSpec): number =>
  queryOutputBytes(spec) + perSegmentKvBytes(spec, kvBytesPerElement(spec.kvDtype));
