import { uniqueBytes } from '../kernels/cost';
import { resolveProblem } from '../problem/validate';
import type { BenchEntry } from './result';

/**
 * An entry's unique bytes (each byte of its problem once) and its "% ceiling", for the CLI's and the
 * page's tables. Files written before entries carried uniqueBytes get it from their problem.
 */

/**
 * Unique bytes of an entry: recorded, or computed from its problem for files written before the
 * field existed; undefined when neither is possible.
 */
export function entryUniqueBytes(e: BenchEntry): number | undefined {
  if (e.uniqueBytes !== undefined) return e.uniqueBytes;
  if (computed.has(e)) return computed.get(e);
  let bytes: number | undefined;
  try {
    bytes = uniqueBytes(resolveProblem(e.problem));
  } catch {
    bytes = undefined;
  }
  computed.set(e, bytes);
  return bytes;
}

/** Entries read once (the page renders often; resolving a problem of 512 sequences each time would show). */
const computed = new WeakMap<BenchEntry, number | undefined>();

/** Percentage of the streaming-read ceiling: unique bytes over the median time. */
export function ceilingPercent(e: BenchEntry, ceilingGBps: number | undefined): number | undefined {
  const bytes = entryUniqueBytes(e);
  if (!ceilingGBps || bytes === undefined || !e.timing || e.status !== 'ok') return undefined;
  return (100 * (bytes / (e.timing.medianMs / 1000) / 1e9)) / ceilingGBps;
}
