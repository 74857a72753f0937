import { noSharingProblem, sharedPrefixProblem } from '../src/problem/builders';
import { pagedLadderSuite } from './paged-ladder';
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
 * GQA 32:8, D 128, reported in GB/s against the streaming ceiling. B 16 and 32 draw their K/V on
 * the host (so naive runs too); B 128 and 512 (8.7 and 34.9 GB of K/V, beyond one 2 GiB binding:
 * the pool is cut into shards, src/paged/shards.ts) generate theirs on the GPU from a hash
 * (src/problem/hash-kv.ts), which naive cannot read: it is skipped there with the reason.
 */
export const pagedUnsharedSuite: BenchSuite = {
  name: 'paged-unshared',
  description:
    'Paged decode over unshared f16 K/V, B 16 / 32 / 128 / 512 x 16640 tokens (128 and 512 hash-generated on the GPU), GQA 32:8, D 128: paged vs portable vs naive',
  axis: { name: 'batch', log: true },
  configs: () =>
    [16, 32, 128, 512].map((batch) => ({
      axisValue: batch,
      label: `B=${batch} L=16640`,
      input: noSharingProblem({ batch, length: 16640, ...heads, kvDtype: 'f16' }),
      ...(batch > 32 ? { kvSource: 'hash' as const } : {}),
      variants: [
        { kernel: 'paged' },
        { kernel: 'paged', options: { subgroups: false }, label: 'paged (portable)' },
        { kernel: 'naive' },
      ],
    })),
};

/**
 * Small batches (issue 12): a decode step over a shared 4096-token prefix + 256 of its own at B 1
 * and 8 is microseconds of work (FlashAttention-2: 19 µs at B 1 on an H200), so fixed costs decide
 * it. Run with `bench --overhead` to time an empty pass and no-op dispatches in the same run.
 * Variants: split-K partitions from 128 tokens to none (the merge is a second pass), and the
 * compute-units plan with the default shape, 64 invocations, and 16 lanes with 64 invocations (the
 * fastest at B 1 in the first H200 ladder, 0.034 ms).
 */
export const pagedSmallSuite: BenchSuite = {
  name: 'paged-small',
  description:
    'Paged decode at B 1 and 8, shared prefix 4096 + 256, f16, GQA 32:8, D 128: split-K and dispatch overhead',
  axis: { name: 'batch', log: true },
  configs: () =>
    [1, 8].map((batch) => ({
      axisValue: batch,
      label: `B=${batch} P=4096`,
      input: sharedPrefixProblem({ batch, prefixLength: 4096, suffixLength: 256, ...heads, kvDtype: 'f16' }),
      variants: [
        { kernel: 'paged' },
        { kernel: 'paged', options: { splitK: false }, label: 'paged no split' },
        { kernel: 'paged', options: { splitK: true, partitionSize: 128 }, label: 'paged split 128' },
        { kernel: 'paged', options: { splitK: true, partitionSize: 256 }, label: 'paged split 256' },
        { kernel: 'paged', options: { computeUnits: 'adapter' }, label: 'paged cu' },
        { kernel: 'paged', options: { computeUnits: 'adapter', decodeWg: 64 }, label: 'paged cu W64' },
        {
          kernel: 'paged',
          options: { computeUnits: 'adapter', decodeLanes: 16, decodeWg: 64 },
          label: 'paged cu L16 W64',
        },
        { kernel: 'naive' },
      ],
    })),
};

export const pagedSuites: readonly BenchSuite[] = [
  pagedBlockSizeSuite,
  pagedLongSuite,
  pagedUnsharedSuite,
  pagedSmallSuite,
  pagedLadderSuite,
];
