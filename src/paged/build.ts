import { createPrng } from '../problem/prng';
import { batchSize, type ProblemData, type ProblemSpec } from '../problem/problem';
import { BlockPool } from './block-pool';
import { PagedKvCache } from './paged-cache';

/**
 * Build a paged KV cache for a problem with prefix caching: sequences whose segment lists start
 * the same way share the blocks of that common prefix.
 *
 * The sequences' segment lists form a trie (a node = a list prefix). The build walks it depth
 * first with the engine's own operations: at each node, every child is a `fork` of the node's
 * sequence followed by an `append` of the child's segment, and every sequence ending at the node
 * is a `fork` of it. So full blocks of a shared segment are shared; when a segment ends inside a
 * block, that partial block is shared by the sequences that stop there and copied (copy-on-write,
 * on the first append) for each child that continues differently. The layout is exact: token t of
 * every sequence is row t % blockSize of its table's block t / blockSize.
 *
 * Each trie node is stored once. A segment id reached through two different prefixes (say [a, x]
 * and [b, x]) is stored once per prefix, as vLLM's prefix cache (which keys a block by everything
 * before it) would; the problem builders only produce segments with one prefix.
 */

export interface PagedCacheOptions {
  /** Value of every row that holds no token (default 0; NaN in the masking tests). */
  readonly poison?: number;
  /** Shuffle the order blocks are handed out with this PRNG seed: scrambled, non-contiguous tables. */
  readonly shuffleSeed?: number;
  /** Pool size; default `pagedPoolBlocks(spec, blockSize)`, enough for the build. */
  readonly numBlocks?: number;
}

export interface PagedCacheBuild {
  readonly cache: PagedKvCache;
  /** The cache's sequence id for each problem sequence, in problem order. */
  readonly sequenceIds: readonly number[];
}

export interface TrieNode {
  readonly segment: string | null;
  readonly children: Map<string, TrieNode>;
  /** Problem sequences (indices) whose list ends at this node. */
  readonly ends: number[];
  /** Tokens from the root to the end of this node. */
  readonly tokens: number;
}

export function buildTrie(spec: ProblemSpec): TrieNode {
  const len = new Map(spec.segments.map((s) => [s.id, s.length]));
  const root: TrieNode = { segment: null, children: new Map(), ends: [], tokens: 0 };
  spec.sequences.forEach((ids, b) => {
    let node = root;
    for (const id of ids) {
      let next = node.children.get(id);
      if (!next) {
        next = { segment: id, children: new Map(), ends: [], tokens: node.tokens + (len.get(id) ?? 0) };
        node.children.set(id, next);
      }
      node = next;
    }
    node.ends.push(b);
  });
  return root;
}

/**
 * Blocks the build allocates at most: for each trie edge (a segment appended after `t` tokens),
 * ceil(((t mod bs) + length) / bs) blocks, where a nonzero t mod bs is the copy-on-write block.
 */
export function pagedPoolBlocks(spec: ProblemSpec, blockSize: number): number {
  let blocks = 0;
  const visit = (node: TrieNode): void => {
    for (const child of node.children.values()) {
      const inLast = node.tokens % blockSize;
      blocks += Math.ceil((inLast + child.tokens - node.tokens) / blockSize);
      visit(child);
    }
  };
  visit(buildTrie(spec));
  return Math.max(1, blocks);
}

/** A random permutation of 0..n-1 (Fisher-Yates) from the seeded PRNG. */
export function shuffledOrder(n: number, seed: number): number[] {
  const prng = createPrng(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = prng.nextU32() % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

export function buildPagedCache(
  data: ProblemData,
  blockSize: number,
  options: PagedCacheOptions = {},
): PagedCacheBuild {
  const spec = data.spec;
  const numBlocks = options.numBlocks ?? pagedPoolBlocks(spec, blockSize);
  const pool = new BlockPool({
    numBlocks,
    blockSize,
    headsKV: spec.headsKV,
    headDim: spec.headDim,
    poison: options.poison,
    allocationOrder: options.shuffleSeed === undefined ? undefined : shuffledOrder(numBlocks, options.shuffleSeed),
    storage: data.kvHashed && data.kvHashed.size > 0 ? 'runs' : 'host',
  });
  const cache = new PagedKvCache(pool);
  const len = new Map(spec.segments.map((s) => [s.id, s.length]));
  const ids = new Array<number>(batchSize(spec));

  const visit = (node: TrieNode, seq: number): void => {
    for (const b of node.ends) ids[b] = cache.fork(seq);
    for (const child of node.children.values()) {
      const id = child.segment as string;
      const n = len.get(id) ?? 0;
      const childSeq = cache.fork(seq);
      const hashed = data.kvHashed?.get(id);
      const kv = data.kv.get(id);
      if (pool.storage === 'runs') {
        if (!hashed) throw new Error(`segment "${id}" has host K/V in a problem whose K/V are hashed (not supported)`);
        cache.appendHashed(childSeq, hashed.seed, 0, n);
      } else {
        if (!kv) throw new Error(`no K/V data for segment "${id}"`);
        cache.append(childSeq, kv.k, kv.v, n);
      }
      visit(child, childSeq);
    }
    cache.free(seq);
  };
  visit(buildTrie(spec), cache.create());
  return { cache, sequenceIds: ids };
}
