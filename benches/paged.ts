import { noSharingProblem } from '../src/problem/builders';
import type { BenchSuite } from './suite';

/**
 * Paged attention (issue 4). Both decode with headsQ 32 / headsKV 8 / D 128 (GQA 4:1), unique
 * sequences (no sharing: the paged layout's cost, not prefix caching, is what is measured).
 * Report GB/s against the device's streaming-read ceiling.
 */

const heads = { headsQ: 32, headsKV: 8, headDim: 128 } as const;

export const pagedBlockSizeSuite: BenchSuite = {
  name: 'paged-blocksize',
  description: 'Paged decode, B 32 x 4096 unique tokens, GQA 32:8, D 128: block sizes 8/16/32 vs naive',
  axis: { name: 'batch', log: true },
  configs() {
    const batch = 32;
    return [
      {
        axisValue: batch,
        label: `B=${batch} L=4096`,
        input: noSharingProblem({ batch, length: 4096, ...heads }),
        variants: [
          { kernel: 'paged', options: { blockSize: 8 }, label: 'paged bs8' },
          { kernel: 'paged', options: { blockSize: 16 }, label: 'paged bs16' },
          { kernel: 'paged', options: { blockSize: 32 }, label: 'paged bs32' },
          { kernel: 'paged', options: { blockSize: 16, subgroups: false }, label: 'paged bs16 portable' },
          { kernel: 'naive' },
        ],
      },
    ];
  },
};

export const pagedLongSuite: BenchSuite = {
  name: 'paged-long',
  description:
    'Paged decode over long contexts, B 4 x 32768 unique tokens, GQA 32:8, D 128: split-K off vs on vs naive',
  axis: { name: 'length', log: true },
  configs() {
    const length = 32768;
    return [
      {
        axisValue: length,
        label: `B=4 L=${length}`,
        input: noSharingProblem({ batch: 4, length, ...heads }),
        variants: [
          { kernel: 'paged', options: { blockSize: 16, splitK: false }, label: 'paged no split-K' },
          { kernel: 'paged', options: { blockSize: 16, splitK: true }, label: 'paged split-K 512' },
          { kernel: 'naive' },
        ],
      },
    ];
  },
};

/**
 * Issue 6's memory-bound target: decode over per-sequence (unshared) f16 K/V of 16384 + 256 tokens,
 * GQA 32:8, D 128, reported in GB/s against the streaming ceiling. The issue's B 512 needs 34.9 GB
 * of K/V, and one K or V pool must fit one storage binding (2 GiB on the H100 under Dawn), so the
 * largest batches that fit are measured; every sequence streams its own memory, far more than any
 * cache holds, so the bandwidth carries over to larger batches.
 */
export const pagedUnsharedSuite: BenchSuite = {
  name: 'paged-unshared',
  description:
    'Paged decode over unshared f16 K/V, B 16 and 32 x 16640 tokens, GQA 32:8, D 128: paged vs portable vs naive',
  axis: { name: 'batch', log: true },
  configs: () =>
    [16, 32].map((batch) => ({
      axisValue: batch,
      label: `B=${batch} L=16640`,
      input: noSharingProblem({ batch, length: 16640, ...heads, kvDtype: 'f16' }),
      variants: [
        { kernel: 'paged' },
        { kernel: 'paged', options: { subgroups: false }, label: 'paged (portable)' },
        { kernel: 'naive' },
      ],
    })),
};

export const pagedSuites: readonly BenchSuite[] = [pagedBlockSizeSuite, pagedLongSuite, pagedUnsharedSuite];
