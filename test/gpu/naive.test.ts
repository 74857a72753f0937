import { afterAll, beforeAll, describe, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { naiveKernel } from '../../src/kernels/naive';
import { noSharingProblem, sharedPrefixProblem } from '../../src/problem/builders';
import { commonCases, type KernelCase } from './cases';
import { expectMatchesReference } from './check-kernel';

describe('naive kernel vs the f64 reference', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await (await import('../setup/gpu-entry')).testGpu();
  });
  afterAll(() => gpu?.destroy());

  for (const c of [...commonCases, ...tileCases]) {
    it(c.name, async () => {
      await expectMatchesReference(gpu, naiveKernel, c.input);
    });
  }
});

/**
 * Row tiles of span attention (up to 8 rows of one KV head a workgroup): a group of 16 heads in two
 * full tiles, 4 heads x Lq 3 in a tile of 8 and one of 4 (a tile boundary between a head's queries),
 * 3 heads x Lq 3 (9 rows: a tile of one row), and the grid's size limits' neighbours: a long span
 * (many chunks) and a large batch.
 */
const tileCases: readonly KernelCase[] = [
  {
    name: 'tiles: MQA 16:1, B3, ragged 1/65/130, D64, decode',
    input: noSharingProblem({ batch: 3, length: [1, 65, 130], headsQ: 16, headsKV: 1, headDim: 64 }),
  },
  {
    name: 'tiles: GQA 8:2, Lq3 causal, B5, ragged 3/4/64/65/200, D80',
    input: noSharingProblem({
      batch: 5,
      length: [3, 4, 64, 65, 200],
      headsQ: 8,
      headsKV: 2,
      headDim: 80,
      queriesPerSeq: 3,
    }),
  },
  {
    name: 'tiles: GQA 6:2, Lq3 causal, shared prefix 70 + suffix 0/2/9, B3, D16',
    input: sharedPrefixProblem({
      batch: 3,
      prefixLength: 70,
      suffixLength: [0, 2, 9],
      headsQ: 6,
      headsKV: 2,
      headDim: 16,
      queriesPerSeq: 3,
    }),
  },
  {
    name: 'tiles: long span 16400, B1, GQA 4:1, D16, Lq2 causal',
    input: noSharingProblem({ batch: 1, length: 16400, headsQ: 4, headsKV: 1, headDim: 16, queriesPerSeq: 2 }),
  },
  {
    name: 'tiles: large batch B520, ragged, GQA 4:2, D16, decode',
    input: noSharingProblem({
      batch: 520,
      length: Array.from({ length: 520 }, (_, b) => 1 + ((b * 37) % 23)),
      headsQ: 4,
      headsKV: 2,
      headDim: 16,
    }),
  },
];
