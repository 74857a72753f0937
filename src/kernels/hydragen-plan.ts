import { batchSize, type ProblemSpec } from '../problem/problem';
import type { RowParts } from './lse-merge';

/**
 * Hydragen's decomposition of a problem (pure; no GPU).
 *
 * A segment listed by 2+ sequences is "shared": the shared-segment kernel computes attention of
 * every query of every sequence that uses it against its K/V at once (per KV head). Every other
 * segment is "unique" to its sequence: the unique kernel (span attention) runs over a sequence's
 * unique segments only. Each part writes a partial (o, lse) per output row, and the LSE merge
 * combines a row's partials exactly. This covers one shared prefix, several prefix groups and a
 * tree of any depth alike: a sequence simply uses several shared segments.
 *
 * A shared segment may be split into key chunks (split-K) so that few, long segments still fill
 * the GPU; each chunk is one more partial per row.
 *
 * Causal masking stays exact across the split: a query at position qpos sees the keys of a part at
 * positions <= qpos and no others (see `sharedVisibleKeys`); a part it sees nothing of has
 * lse = -inf and weight 0 in the merge.
 *
 * Partial slots (rows = B * headsQ * Lq, row r = (b * headsQ + h) * Lq + i as in `o`):
 *   - unique region: slot r is row r's unique partial (present when any sequence has a unique
 *     segment; the unique kernel writes every row, lse = -inf where the row has no unique segment);
 *   - shared region, after it: each (occurrence of a shared segment in a sequence, key chunk)
 *     owns headsQ * Lq consecutive slots, slot = slotBase + chunk * headsQ * Lq + h * Lq + i.
 * With no shared segment at all the plan is `direct`: the unique kernel writes o and lse itself.
 */

/** One sequence that attends to a shared segment. */
export interface SharedUser {
  readonly seq: number;
  /** Position of the segment's first token in that sequence. */
  readonly tokenStart: number;
  /** Slot of (chunk 0, query head 0, query 0) of this user's partials. */
  readonly slotBase: number;
}

/** A run of a shared segment's keys processed as one part. */
export interface KeyChunk {
  readonly keyStart: number;
  readonly keyCount: number;
}

export interface SharedSegment {
  readonly id: string;
  readonly length: number;
  /** In the order the sequences are listed. */
  readonly users: readonly SharedUser[];
  readonly chunks: readonly KeyChunk[];
}

/** One unique segment of a sequence. */
export interface UniqueSpan {
  readonly id: string;
  readonly length: number;
  readonly tokenStart: number;
}

export interface HydragenPlan {
  /** B * headsQ * Lq. */
  readonly rows: number;
  readonly shared: readonly SharedSegment[];
  /** Per sequence, its unique segments in order (possibly none). */
  readonly unique: readonly (readonly UniqueSpan[])[];
  /** True when no segment is shared: the unique kernel writes o and lse directly, no merge. */
  readonly direct: boolean;
  /** True when the unique kernel runs (some sequence has a unique segment, or the plan is direct). */
  readonly runUnique: boolean;
  /** First slot of the shared region (rows when the unique region exists, else 0). */
  readonly sharedSlotBase: number;
  /** Partial slots in all (0 when direct). */
  readonly numPartials: number;
  /** Per output row, the partial slots the merge combines (empty when direct). */
  readonly rowParts: RowParts;
}

export interface PlanOptions {
  /** Largest number of keys of a shared segment processed as one part (default: no split). */
  readonly chunkKeys?: number;
}

/** Split `length` keys into near-equal chunks of at most `chunkKeys`. */
export function keyChunks(length: number, chunkKeys = Number.POSITIVE_INFINITY): KeyChunk[] {
  if (!(chunkKeys >= 1)) throw new Error(`chunkKeys (${chunkKeys}) must be >= 1`);
  const n = Math.max(1, Math.ceil(length / chunkKeys));
  const chunks: KeyChunk[] = [];
  for (let c = 0; c < n; c++) {
    const keyStart = Math.floor((c * length) / n);
    chunks.push({ keyStart, keyCount: Math.floor(((c + 1) * length) / n) - keyStart });
  }
  return chunks;
}

/**
 * Keys of a part (the keys [tokenStart + keyStart, tokenStart + keyStart + keyCount) of a sequence
 * of total length seqLen) that query i of Lq sees: all when not causal, else those at positions
 * <= qpos = seqLen - Lq + i.
 */
export function sharedVisibleKeys(
  spec: ProblemSpec,
  seqLen: number,
  i: number,
  partStart: number,
  keyCount: number,
): number {
  if (!spec.causal) return keyCount;
  const qpos = seqLen - spec.queriesPerSeq + i;
  return Math.max(0, Math.min(keyCount, qpos + 1 - partStart));
}

export function planHydragen(spec: ProblemSpec, options: PlanOptions = {}): HydragenPlan {
  const B = batchSize(spec);
  const H = spec.headsQ;
  const Lq = spec.queriesPerSeq;
  const rows = B * H * Lq;
  const segLen = new Map(spec.segments.map((s) => [s.id, s.length]));

  // Every (sequence, token start) that lists each segment, in sequence order.
  const occurrences = new Map<string, { seq: number; tokenStart: number }[]>();
  spec.sequences.forEach((ids, seq) => {
    let pos = 0;
    for (const id of ids) {
      let list = occurrences.get(id);
      if (!list) {
        list = [];
        occurrences.set(id, list);
      }
      list.push({ seq, tokenStart: pos });
      pos += segLen.get(id) ?? 0;
    }
  });
  const isShared = (id: string) => (occurrences.get(id)?.length ?? 0) >= 2;

  const unique = spec.sequences.map((ids) => {
    let pos = 0;
    const spans: UniqueSpan[] = [];
    for (const id of ids) {
      const length = segLen.get(id) ?? 0;
      if (!isShared(id)) spans.push({ id, length, tokenStart: pos });
      pos += length;
    }
    return spans;
  });

  const sharedIds = spec.segments.map((s) => s.id).filter(isShared);
  if (sharedIds.length === 0) {
    return {
      rows,
      shared: [],
      unique,
      direct: true,
      runUnique: true,
      sharedSlotBase: 0,
      numPartials: 0,
      rowParts: [],
    };
  }

  const runUnique = unique.some((s) => s.length > 0);
  const sharedSlotBase = runUnique ? rows : 0;
  const slotsPerPart = H * Lq;
  let nextSlot = sharedSlotBase;
  // Parts of each sequence: the first slot of each (occurrence, chunk) it owns.
  const partsOfSeq: number[][] = spec.sequences.map(() => []);
  const shared: SharedSegment[] = sharedIds.map((id) => {
    const length = segLen.get(id) ?? 0;
    const chunks = keyChunks(length, options.chunkKeys);
    const users = (occurrences.get(id) ?? []).map((o) => {
      const slotBase = nextSlot;
      for (let c = 0; c < chunks.length; c++) partsOfSeq[o.seq].push(slotBase + c * slotsPerPart);
      nextSlot += chunks.length * slotsPerPart;
      return { seq: o.seq, tokenStart: o.tokenStart, slotBase };
    });
    return { id, length, users, chunks };
  });

  const rowParts: number[][] = [];
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < Lq; i++) {
        const r = (b * H + h) * Lq + i;
        const parts = partsOfSeq[b].map((base) => base + h * Lq + i);
        if (unique[b].length > 0) parts.push(r);
        rowParts.push(parts);
      }
    }
  }
  return { rows, shared, unique, direct: false, runUnique, sharedSlotBase, numPartials: nextSlot, rowParts };
}
