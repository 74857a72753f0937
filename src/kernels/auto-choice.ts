import type { ProblemSpec } from '../problem/problem';
import { perSegmentKvBytes, perSequenceKvBytes } from './cost';
import type { KernelOptions } from './kernel';

/**
 * The automatic choice between Hydragen and paged attention, in the spirit of vLLM's cascade
 * heuristic (use the shared-prefix path only when the prefix is long enough and shared by enough
 * sequences for reading it once to pay for the extra partials and merge).
 *
 * Rules, from the H200 measurements in benches/results/ (f16, GQA 32:8, D 128):
 *   - Hydragen won every shared-prefix shape measured with 8 or more sequences sharing a prefix of
 *     4096+ tokens (2x to 5x over naive; 1.5x to 2x over paged at the issue 6 anchors), and it
 *     cannot win without sharing (its unique-suffix kernel is the naive one).
 *   - So: Hydragen when sharing would save at least half of the K/V traffic AND some segment of
 *     at least MIN_SHARED_TOKENS tokens is shared by at least MIN_SHARERS sequences; paged
 *     otherwise, with its own split-K rule (on for long sequences in small grids).
 * The thresholds are a first cut from few measurements; `npm run bench -- --suite decode-anchors`
 * times `auto` beside the manual choices so its cost can be checked.
 */

export const MIN_SHARERS = 4;
export const MIN_SHARED_TOKENS = 256;
export const MIN_SAVED_FRACTION = 0.5;

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
  if (best.sharers >= MIN_SHARERS && best.length >= MIN_SHARED_TOKENS && saved >= MIN_SAVED_FRACTION) {
    return { kernel: 'hydragen', options, reason: `${what}: Hydragen` };
  }
  const why =
    best.sharers < MIN_SHARERS
      ? `fewer than ${MIN_SHARERS} sharers`
      : best.length < MIN_SHARED_TOKENS
        ? `shorter than ${MIN_SHARED_TOKENS} tokens`
        : `under ${Math.round(MIN_SAVED_FRACTION * 100)}% saved`;
  return { kernel: 'paged', options, reason: `${what}, but ${why}: paged` };
}
