import type { KvDtype, ProblemInput } from './problem';
import { ProblemError } from './validate';

/**
 * Typed builders for the common shapes of problem, used by presets, benchmarks and the page.
 * They return a ProblemInput (pass it to resolveProblem to validate it); they throw a
 * ProblemError themselves only for options that make no sense for the builder.
 *
 * Segment ids: "s<b>" for sequence b's own segment; "prefix" (or "g<g>-prefix" with several
 * groups) for shared prefixes; "L<level>n<node>" for tree nodes.
 */

/** Options every builder takes. */
export interface CommonOptions {
  headsQ: number;
  headsKV: number;
  headDim: number;
  /** Lq, default 1 (decode). */
  queriesPerSeq?: number;
  causal?: boolean;
  scale?: number;
  kvDtype?: KvDtype;
}

type Lengths = number | readonly number[];

function common(o: CommonOptions): Omit<ProblemInput, 'segments' | 'sequences'> {
  const out: Omit<ProblemInput, 'segments' | 'sequences'> = {
    headsQ: o.headsQ,
    headsKV: o.headsKV,
    headDim: o.headDim,
    queriesPerSeq: o.queriesPerSeq ?? 1,
  };
  if (o.causal !== undefined) out.causal = o.causal;
  if (o.scale !== undefined) out.scale = o.scale;
  if (o.kvDtype !== undefined) out.kvDtype = o.kvDtype;
  return out;
}

/** Length of item `i` from a scalar or a per-item array of `count` entries. */
function lengthAt(lengths: Lengths, i: number, count: number, field: string): number {
  if (typeof lengths === 'number') return lengths;
  if (lengths.length !== count)
    throw new ProblemError(field, lengths, `${field} has ${lengths.length} entries; expected ${count}`);
  return lengths[i];
}

function positiveInteger(v: number, field: string): void {
  if (!Number.isInteger(v) || v < 1) throw new ProblemError(field, v, `${field} (${v}) must be a positive integer`);
}

export interface NoSharingOptions extends CommonOptions {
  batch: number;
  /** KV length of every sequence, or one per sequence (ragged batch). */
  length: Lengths;
}

/** B independent sequences, each one segment "s<b>". */
export function noSharingProblem(o: NoSharingOptions): ProblemInput {
  positiveInteger(o.batch, 'batch');
  const segments = Array.from({ length: o.batch }, (_, b) => ({
    id: `s${b}`,
    length: lengthAt(o.length, b, o.batch, 'length'),
  }));
  return { ...common(o), segments, sequences: segments.map((s) => [s.id]) };
}

export interface SharedPrefixOptions extends CommonOptions {
  batch: number;
  prefixLength: number;
  /** Each sequence's own suffix, one length for all or one per sequence; 0 means no suffix segment. */
  suffixLength: Lengths;
  /** Number of independent prefixes, default 1; each group of sequences shares one. */
  groups?: number;
  /**
   * How sequences are assigned to groups: 'contiguous' (default; sequence b to group floor(b * G / B),
   * so groups are consecutive and their sizes differ by at most one) or 'round-robin' (b to group b % G).
   */
  split?: 'contiguous' | 'round-robin';
}

/** Sequences sharing a prefix ("prefix", or "g<g>-prefix" per group), each followed by its own suffix "s<b>". */
export function sharedPrefixProblem(o: SharedPrefixOptions): ProblemInput {
  positiveInteger(o.batch, 'batch');
  const groups = o.groups ?? 1;
  positiveInteger(groups, 'groups');
  if (groups > o.batch)
    throw new ProblemError('groups', groups, `groups (${groups}) must not exceed batch (${o.batch})`);
  const prefixId = (g: number): string => (groups === 1 ? 'prefix' : `g${g}-prefix`);
  const groupOf = (b: number): number => (o.split === 'round-robin' ? b % groups : Math.floor((b * groups) / o.batch));
  const segments: { id: string; length: number }[] = [];
  for (let g = 0; g < groups; g++) segments.push({ id: prefixId(g), length: o.prefixLength });
  const sequences: string[][] = [];
  for (let b = 0; b < o.batch; b++) {
    const seq = [prefixId(groupOf(b))];
    const suffix = lengthAt(o.suffixLength, b, o.batch, 'suffixLength');
    if (suffix > 0) {
      segments.push({ id: `s${b}`, length: suffix });
      seq.push(`s${b}`);
    }
    sequences.push(seq);
  }
  return { ...common(o), segments, sequences };
}

export interface TreeLevel {
  /** Tokens of each node of this level, one for all or one per node (in level order). */
  length: Lengths;
  /**
   * Children each node of the previous level has at this level: one count for all parents, or one
   * per parent (uneven fan-out). Level 0 is the single root: its fanOut must be 1 (or omitted).
   */
  fanOut?: number | readonly number[];
}

export interface TreeOptions extends CommonOptions {
  levels: readonly TreeLevel[];
  /** Each sequence's own suffix "s<b>" after its leaf; 0 means none. */
  suffixLength: Lengths;
  /** Sequences under each leaf (node of the last level), default 1. */
  sequencesPerLeaf?: number;
}

/**
 * A tree of shared prefixes. Level 0 is the root segment "L0n0", shared by every sequence; node j
 * of level i is "L<i>n<j>" (numbered left to right across the level). Each leaf (node of the last
 * level) heads `sequencesPerLeaf` sequences, each ending with its own suffix. Sequences are listed
 * depth-first, left to right. An uneven tree: give `fanOut` as an array, one entry per parent.
 */
export function treeProblem(o: TreeOptions): ProblemInput {
  if (o.levels.length === 0) throw new ProblemError('levels', o.levels, 'levels is empty; a tree needs a root level');
  const rootFan = o.levels[0].fanOut ?? 1;
  if (rootFan !== 1 && !(Array.isArray(rootFan) && rootFan.length === 1 && rootFan[0] === 1))
    throw new ProblemError('levels[0].fanOut', rootFan, 'levels[0].fanOut must be 1: level 0 is the single root');
  const perLeaf = o.sequencesPerLeaf ?? 1;
  positiveInteger(perLeaf, 'sequencesPerLeaf');

  const segments: { id: string; length: number }[] = [];
  // paths[j]: the segment ids from the root down to node j of the current level.
  let paths: string[][] = [[]];
  o.levels.forEach((level, i) => {
    const fan = i === 0 ? 1 : (level.fanOut ?? 1);
    const counts = paths.map((_, p) => lengthAt(fan, p, paths.length, `levels[${i}].fanOut`));
    counts.forEach((c, p) => {
      if (!Number.isInteger(c) || c < 0)
        throw new ProblemError(
          `levels[${i}].fanOut`,
          c,
          `levels[${i}].fanOut (${c}) for parent ${p} must be a non-negative integer`,
        );
    });
    const nodeCount = counts.reduce((a, c) => a + c, 0);
    if (nodeCount === 0) throw new ProblemError(`levels[${i}].fanOut`, fan, `level ${i} has no nodes`);
    const next: string[][] = [];
    counts.forEach((c, p) => {
      for (let k = 0; k < c; k++) {
        const j = next.length;
        const id = `L${i}n${j}`;
        segments.push({ id, length: lengthAt(level.length, j, nodeCount, `levels[${i}].length`) });
        next.push([...paths[p], id]);
      }
    });
    paths = next;
  });

  const batch = paths.length * perLeaf;
  const sequences: string[][] = [];
  for (const path of paths) {
    for (let r = 0; r < perLeaf; r++) {
      const b = sequences.length;
      const suffix = lengthAt(o.suffixLength, b, batch, 'suffixLength');
      if (suffix > 0) {
        segments.push({ id: `s${b}`, length: suffix });
        sequences.push([...path, `s${b}`]);
      } else {
        sequences.push([...path]);
      }
    }
  }
  return { ...common(o), segments, sequences };
}

/**
 * A 3-level tree with uneven fan-out: root -> 3 children -> [2, 1, 3] grandchildren, each leaf
 * with its own suffix (6 sequences). Lengths are odd on purpose so no block boundary lines up.
 */
export function unevenTreeProblem(
  o: CommonOptions & { rootLength?: number; midLength?: number; leafLength?: number; suffixLength?: Lengths },
): ProblemInput {
  return treeProblem({
    ...o,
    levels: [
      { length: o.rootLength ?? 37 },
      { length: o.midLength ?? 19, fanOut: 3 },
      { length: o.leafLength ?? 11, fanOut: [2, 1, 3] },
    ],
    suffixLength: o.suffixLength ?? 5,
  });
}
