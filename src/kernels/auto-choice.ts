import type { ProblemSpec } from '../problem/problem';
import { perSegmentKvBytes, perSequenceKvBytes } from './cost';
import { AUTO_MIN_CHUNK, AUTO_TARGET_ITEMS } from './hydragen';
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
 *   - and the estimated time of that segment's shared pass is under paged's time for it per
 *     sequence, at the rates of the kernels that would run (RATES: which Hydragen kernel, tensor
 *     cores or portable, and which paged kernel, the subgroup decode kernel or portable). Paged
 *     does the same FLOPs on ordinary cores, so its time is the longer of reading the segment per
 *     sequence and computing on it: with many query heads per KV head (MQA) the FLOPs, not the
 *     bytes, bound it (MQA 32:1 on the H100: 0.29 TB/s but 9.2 TFLOP/s). The
 *     shared pass reaches its rate only with enough work items and full row tiles: its rate is
 *     scaled by sqrt(items / AUTO_TARGET_ITEMS) (at most 1) and by used rows / tile rows, a fit to
 *     the H200's decode-anchors and auto-choice runs of the current kernels (MHA with 16
 *     sequences: 32 work items of 16 rows in 64-row tiles ran the whole Hydragen at 2.0 TFLOP/s,
 *     0.036 of its 55; the model says 0.0625) plus a fixed cost for Hydragen's extra pass.
 * The rates are the ones measured on an H200 under Dawn (f16, D 128, benches/results/h200-*-f16*):
 * with tensor cores and the decode kernel, GQA 4:1, MHA and MQA decode with 128 sequences on a
 * 4096-token prefix go to Hydragen (measured 1.5-2.3x faster), MHA with 16 sequences on 1024 to
 * paged (measured 2.7x faster); with the portable kernels of both, GQA 4:1 goes to Hydragen.
 * `npm run bench -- --suite auto-choice` times `auto` beside the manual choices on any GPU.
 */

export const MIN_SHARERS = 4;
export const MIN_SHARED_TOKENS = 256;
export const MIN_SAVED_FRACTION = 0.5;
/**
 * Hydragen runs one pass more than paged with split-K (shared, unique, merge against paged and its
 * merge): a fixed cost that decides small problems. On the H200 a whole paged decode at B 1 P 4096
 * took 34 µs (paged-ladder), nearly all of it fixed costs of its two passes.
 */
export const HYDRAGEN_EXTRA_PASS_S = 10e-6;

/** Which kernels would run: Hydragen's shared kernel on tensor cores or not, paged's decode kernel or not. */
export interface KernelPaths {
  readonly hydragenTensorCores: boolean;
  readonly pagedSubgroups: boolean;
}

/** The fast path of both (what a GPU with subgroups and subgroup matrices runs). */
export const FAST_PATHS: KernelPaths = { hydragenTensorCores: true, pagedSubgroups: true };

/** Measured rates (H100, Dawn, f16, D 128; see the header): Hydragen's shared pass in FLOP/s, paged's reads in B/s. */
/** Query rows of one Hydragen shared-kernel work item (64 on both kernels' first tile shape). */
const HYDRAGEN_TILE_ROWS = 64;

/** Fraction of its rate Hydragen's shared pass reaches on `rows` rows per KV head of a `length`-token segment. */
export function sharedPassEfficiency(spec: ProblemSpec, rows: number, length: number): number {
  const tiles = Math.ceil(rows / HYDRAGEN_TILE_ROWS);
  const unsplit = tiles * spec.headsKV;
  // The automatic split of hydragen.ts: more chunks while the list is short, chunks of >= AUTO_MIN_CHUNK keys.
  const split =
    unsplit >= AUTO_TARGET_ITEMS
      ? 1
      : Math.max(1, Math.min(Math.ceil(AUTO_TARGET_ITEMS / unsplit), Math.floor(length / AUTO_MIN_CHUNK)));
  const items = unsplit * split;
  const fill = rows / (tiles * HYDRAGEN_TILE_ROWS);
  return Math.min(1, Math.sqrt(items / AUTO_TARGET_ITEMS)) * fill;
}

export const RATES = {
  /**
   * hydragen-ladder on an H200 (benches/results/h200-hydragen-ladder-f16-run3.json), the default shape
   * (K/V staged with padded rows and prefetch, Q in registers, the softmax written out): 57.8 and
   * 66.3 TFLOP/s on GQA 4:1 at P 16384 (B 128, 512), 46.9 on MHA B 128. (The H100's older kernel:
   * 12.0-15.4.)
   */
  hydragenTensorCores: 55e12,
  /** decode-anchors, hydragen (portable): 3.8-4.3 TFLOP/s. */
  hydragenPortable: 4e12,
  /** paged-ladder on an H200, the default decode kernel (8 lanes a token, prefetch): 3.49-3.77 TB/s unshared. */
  pagedSubgroups: 3.6e12,
  /** decode-anchors, paged (portable): 0.75-0.81 TB/s. */
  pagedPortable: 0.78e12,
  /** FLOP/s of the decode kernel: paged-ladder on an H200, shared B 512 P 16384, 19 TFLOP/s (7.33 ms). */
  pagedSubgroupsFlops: 19e12,
  /** FLOP/s of the portable paged kernel: decode-anchors, 3.1-3.2 TFLOP/s. */
  pagedPortableFlops: 3.2e12,
} as const;

export interface AutoChoice {
  readonly kernel: 'hydragen' | 'paged';
  readonly options: KernelOptions;
  /** One sentence a person can read: what was chosen and why. */
  readonly reason: string;
}

export function chooseKernel(
  spec: ProblemSpec,
  options: KernelOptions = {},
  paths: KernelPaths = FAST_PATHS,
): AutoChoice {
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
  const flopRate = paths.hydragenTensorCores ? RATES.hydragenTensorCores : RATES.hydragenPortable;
  const byteRate = paths.pagedSubgroups ? RATES.pagedSubgroups : RATES.pagedPortable;
  const pagedFlopRate = paths.pagedSubgroups ? RATES.pagedSubgroupsFlops : RATES.pagedPortableFlops;
  const readTime = bytes / byteRate;
  const flopTime = flops / pagedFlopRate;
  const pagedTime = Math.max(readTime, flopTime);
  const pagedBound = readTime >= flopTime ? 'its reads' : 'its FLOPs';
  const efficiency = sharedPassEfficiency(
    spec,
    best.sharers * (spec.headsQ / spec.headsKV) * spec.queriesPerSeq,
    best.length,
  );
  const ratio = (flops / (flopRate * efficiency) + HYDRAGEN_EXTRA_PASS_S) / pagedTime;
  const pays = ratio < 1;
  const rates = `${flopRate / 1e12} TFLOP/s ${paths.hydragenTensorCores ? 'on tensor cores' : 'portable'} x ${efficiency.toFixed(2)} for its work shape + ${HYDRAGEN_EXTRA_PASS_S * 1e6} µs for its extra pass vs ${byteRate / 1e12} TB/s and ${pagedFlopRate / 1e12} TFLOP/s ${paths.pagedSubgroups ? 'decode kernel' : 'portable'}, bound by ${pagedBound}`;
  if (best.sharers >= MIN_SHARERS && best.length >= MIN_SHARED_TOKENS && saved >= MIN_SAVED_FRACTION && pays) {
    return {
      kernel: 'hydragen',
      options,
      reason: `${what}; its matrix product is estimated at ${ratio.toFixed(2)}x paged's time for it per sequence (${rates}): Hydragen`,
    };
  }
  const why =
    best.sharers < MIN_SHARERS
      ? `fewer than ${MIN_SHARERS} sharers`
      : best.length < MIN_SHARED_TOKENS
        ? `shorter than ${MIN_SHARED_TOKENS} tokens`
        : saved < MIN_SAVED_FRACTION
          ? `under ${Math.round(MIN_SAVED_FRACTION * 100)}% saved`
          : `its matrix product (${(flops / 1e9).toFixed(1)} GFLOP) is estimated at ${ratio.toFixed(1)}x paged's time for it per sequence (${rates})`;
  return { kernel: 'paged', options, reason: `${what}, but ${why}: paged` };
}
