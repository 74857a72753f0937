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

export const pagedSuites: readonly BenchSuite[] = [pagedBlockSizeSuite, pagedLongSuite];
