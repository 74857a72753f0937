import type { ProblemSpec } from '../problem/problem';
import { perSegmentKvBytes, perSequenceKvBytes } from './cost';
import type { KernelOptions } from './kernel';

/**
 * The automatic choice between Hydragen and paged attention, in the spirit of vLLM's cascade
 * heuristic (use the shared-prefix path only when the prefix is long enough and shared by enough
 * sequences for reading it once to pay for the extra partials and merge).
 *
 * Hydragen turns the reads of a shared segment into a matrix product: per sequence that shares it,
 * paged reads the segment's K/V (bytes = len x headsKV x D x 2 x element size) while Hydragen
 * does 4 x headsQ x Lq x len x D FLOPs. So Hydragen pays only when its shared kernel's FLOP rate
 * beats paged's byte rate by more than headsQ x Lq / headsKV / element size FLOPs a byte. Rules:
 *   - some segment of at least MIN_SHARED_TOKENS tokens shared by at least MIN_SHARERS sequences,
 *     and sharing saves at least MIN_SAVED_FRACTION of the K/V reads (else the merge and the
 *     unique-suffix pass cost more than they save);
 *   - and the estimated time of that segment's shared pass, at SHARED_FLOPS_PER_S, is under
 *     paged's time to read it per sequence at PAGED_BYTES_PER_S.
 * The rates are the ones measured in benches/results/ (H100 and H200 under Dawn, f16, D 128): the
 * paged decode kernel reads 2.7 TB/s from DRAM and about 3.5 TB/s where shared blocks hit L2; the
 * tensor-core Hydragen kernel does about 6 TFLOP/s. With GQA 4:1 decode that makes Hydragen about
 * 2x slower than paged, so `auto` picks paged there; with MHA (1 query head per KV head) Hydragen
 * needs only 1 FLOP a byte and wins. `npm run bench -- --suite decode-anchors` times `auto` beside
 * the manual choices so the rule can be checked on any GPU.
 */

export const MIN_SHARERS = 4;
export const MIN_SHARED_TOKENS = 256;
export const MIN_SAVED_FRACTION = 0.5;
/** Measured byte rate of the paged decode kernel (B/s), see the header. */
export const PAGED_BYTES_PER_S = 3.3e12;
/** Measured FLOP rate of Hydragen's shared kernel on tensor cores (FLOP/s), see the header. */
export const SHARED_FLOPS_PER_S = 6e12;

export interface AutoChoice {
  readonly kernel: 'hydragen' | 'paged';
  readonly options: KernelOptions;
  /** One sentence a person can read: what was chosen and why. */
  readonly reason: string;
}

export function chooseKernel(spec: ProblemSpec, options: KernelOptions = {}): AutoChoice {
  const users = new Map<string, number>();
  for (const seq of spec.sequences) for (const id of seq) users.set(id, (users.get(id) ?? 0) + 1);
  let best: { id: string; length: number; sharers: number } | null = null;
  for (const s of spec.segments) {
    const n = users.get(s.id) ?? 0;
    if (n < 2) continue;
    if (!best || s.length * n > best.length * best.sharers) best = { id: s.id, length: s.length, sharers: n };
  }
  const perSeq = perSequenceKvBytes(spec, 1);
  const saved = perSeq > 0 ? 1 - perSegmentKvBytes(spec, 1) / perSeq : 0;
  const pct = `${Math.round(saved * 100)}%`;
  if (!best) {
    return { kernel: 'paged', options, reason: 'no segment is shared, so nothing can be read once for many sequences' };
  }
  const what = `segment "${best.id}" (${best.length} tokens) is shared by ${best.sharers} sequences; sharing saves ${pct} of K/V reads`;
  const elementBytes = spec.kvDtype === 'f16' ? 2 : 4;
  const flops = 4 * best.sharers * spec.headsQ * spec.queriesPerSeq * best.length * spec.headDim;
  const bytes = best.sharers * spec.headsKV * best.length * spec.headDim * 2 * elementBytes;
  const ratio = flops / SHARED_FLOPS_PER_S / (bytes / PAGED_BYTES_PER_S);
  const pays = ratio < 1;
  if (best.sharers >= MIN_SHARERS && best.length >= MIN_SHARED_TOKENS && saved >= MIN_SAVED_FRACTION && pays) {
    return {
      kernel: 'hydragen',
      options,
      reason: `${what}; its matrix product is estimated at ${ratio.toFixed(2)}x paged's time to read it per sequence: Hydragen`,
    };
  }
  const why =
    best.sharers < MIN_SHARERS
      ? `fewer than ${MIN_SHARERS} sharers`
      : best.length < MIN_SHARED_TOKENS
        ? `shorter than ${MIN_SHARED_TOKENS} tokens`
        : saved < MIN_SAVED_FRACTION
          ? `under ${Math.round(MIN_SAVED_FRACTION * 100)}% saved`
          : `its matrix product (${(flops / 1e9).toFixed(1)} GFLOP) is estimated at ${ratio.toFixed(1)}x paged's time to read it per sequence (${SHARED_FLOPS_PER_S / 1e12} TFLOP/s vs ${PAGED_BYTES_PER_S / 1e12} TB/s)`;
  return { kernel: 'paged', options, reason: `${what}, but ${why}: paged` };
}
