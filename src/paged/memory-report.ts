import { type ProblemSpec, sequenceLengths } from '../problem/problem';
import { buildTrie, pagedPoolBlocks, type TrieNode } from './build';
import type { MemoryReport } from './paged-cache';

/**
 * The paged cache's memory report (PagedKvCache.report) for a problem, computed from its shape
 * alone: what buildPagedCache would leave allocated, without building it (the page and the CLI show
 * it for problems of any size; the unit tests check it equals the report of a real build).
 *
 * The build walks the trie of segment lists (build.ts). A segment appended after t tokens takes
 * ceil((t mod bs + length) / bs) blocks, the first being a copy-on-write copy of the parent's partial
 * last block when t mod bs > 0 (its t mod bs rows stored again). A parent's original partial block
 * is freed after its children copied it unless a sequence ends at the parent.
 */
export function pagedMemoryReport(spec: ProblemSpec, blockSize: number, bytesPerElement: number): MemoryReport {
  let blocksUsed = 0;
  let tokensStored = 0;
  const visit = (node: TrieNode): void => {
    const inLast = node.tokens % blockSize;
    for (const child of node.children.values()) {
      blocksUsed += Math.ceil((inLast + child.tokens - node.tokens) / blockSize);
      tokensStored += child.tokens - node.tokens + inLast;
      visit(child);
    }
    if (inLast > 0 && node.children.size > 0 && node.ends.length === 0) {
      blocksUsed -= 1;
      tokensStored -= inLast;
    }
  };
  visit(buildTrie(spec));
  const blocksTotal = pagedPoolBlocks(spec, blockSize);
  const lengths = sequenceLengths(spec);
  const tokensLogical = lengths.reduce((a, b) => a + b, 0);
  const blocksUnshared = lengths.reduce((a, L) => a + Math.ceil(L / blockSize), 0);
  const rows = blocksUsed * blockSize;
  const bytesPerBlock = 2 * spec.headsKV * blockSize * spec.headDim * bytesPerElement;
  return {
    blocksTotal,
    blocksUsed,
    blocksFree: blocksTotal - blocksUsed,
    tokensStored,
    tokensLogical,
    fragmentationRows: rows - tokensStored,
    fragmentation: rows === 0 ? 0 : (rows - tokensStored) / rows,
    bytesPerBlock,
    bytesUsed: blocksUsed * bytesPerBlock,
    bytesSavedBySharing: (blocksUnshared - blocksUsed) * bytesPerBlock,
  };
}
