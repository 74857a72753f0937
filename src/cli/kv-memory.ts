import { formatBytes } from '../gpu/errors';
import { pagedMemoryReport } from '../paged/memory-report';
import { kvBytesPerElement, type ProblemSpec } from '../problem/problem';
import { num } from './table';

/**
 * The paged KV cache's memory for a problem, one line (verify prints it): blocks used, tokens stored
 * against tokens the sequences hold, fragmentation, and what sharing saves.
 */
export function kvMemoryLine(spec: ProblemSpec, blockSize: number): string {
  const r = pagedMemoryReport(spec, blockSize, kvBytesPerElement(spec.kvDtype));
  return (
    `paged KV memory (block ${blockSize}, ${spec.kvDtype}): ${r.blocksUsed} blocks, ${formatBytes(r.bytesUsed)}; ` +
    `${r.tokensStored} tokens stored for ${r.tokensLogical} held; fragmentation ${num(100 * r.fragmentation)}% ` +
    `(${r.fragmentationRows} empty rows); sharing saves ${formatBytes(r.bytesSavedBySharing)}`
  );
}
