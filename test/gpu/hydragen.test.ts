import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKernel } from '../../src/bench/run-kernel';
import type { GpuContext } from '../../src/gpu/context';
import { createHydragenKernel, hydragenKernel } from '../../src/kernels/hydragen';
import type { KernelOptions } from '../../src/kernels/kernel';
import { naiveKernel } from '../../src/kernels/naive';
import { sharedPrefixProblem, treeProblem, unevenTreeProblem } from '../../src/problem/builders';
import { generateProblemData } from '../../src/problem/generate';
import type { ProblemInput } from '../../src/problem/problem';
import { resolveProblem } from '../../src/problem/validate';
import { compareResults, formatComparisonRow, toleranceFor } from '../../src/reference/compare';
import { commonCases, type KernelCase } from './cases';
import { expectMatchesReference } from './check-kernel';

interface HydragenCase extends KernelCase {
  readonly options?: KernelOptions;
}

const gqa = { headsQ: 8, headsKV: 2 };
const mqa = { headsQ: 4, headsKV: 1 };

/** The checks: batch, tree, groups, Lq, suffix and prefix lengths, GQA/MQA, D, f16. */
const hydragenCases: readonly HydragenCase[] = [
  ...[1, 7, 64].map((batch) => ({
    name: `one prefix 333, suffix 17, B${batch}, GQA 8:2, D64, decode`,
    input: sharedPrefixProblem({ batch, prefixLength: 333, suffixLength: 17, ...gqa, headDim: 64 }),
  })),
  {
    name: 'uneven 3-level tree, MQA 4:1, D128, decode',
    input: unevenTreeProblem({ ...mqa, headDim: 128 }),
  },
  {
    name: 'uneven 3-level tree, 2 sequences per leaf, no suffix, GQA 8:2, D64, Lq5 causal',
    input: treeProblem({
      ...gqa,
      headDim: 64,
      queriesPerSeq: 5,
      levels: [{ length: 29 }, { length: 13, fanOut: 3 }, { length: 7, fanOut: [2, 1, 3] }],
      suffixLength: 0,
      sequencesPerLeaf: 2,
    }),
  },
  {
    name: 'two prefix groups (round-robin), B9, GQA 8:2, D80, Lq5 causal',
    input: sharedPrefixProblem({
      batch: 9,
      prefixLength: 61,
      suffixLength: [3, 0, 17, 1, 8, 2, 0, 5, 9],
      groups: 2,
      split: 'round-robin',
      ...gqa,
      headDim: 80,
      queriesPerSeq: 5,
    }),
  },
  ...[0, 1, 17].map((suffix) => ({
    name: `prefix 333, suffix ${suffix}, B7, MQA 4:1, D80, Lq5 causal`,
    input: sharedPrefixProblem({
      batch: 7,
      prefixLength: 333,
      suffixLength: suffix,
      ...mqa,
      headDim: 80,
      queriesPerSeq: 5,
    }),
  })),
  {
    name: 'unique suffixes 0/1/9/70 in row tiles: MQA 16:1, Lq3 causal (48 rows of a KV head), B4, D64',
    input: sharedPrefixProblem({
      batch: 4,
      prefixLength: 40,
      suffixLength: [0, 1, 9, 70],
      headsQ: 16,
      headsKV: 1,
      headDim: 64,
      queriesPerSeq: 3,
    }),
  },
  {
    name: 'prefix 1, suffix 1, B7, GQA 8:2, D128, decode',
    input: sharedPrefixProblem({ batch: 7, prefixLength: 1, suffixLength: 1, ...gqa, headDim: 128 }),
  },
  {
    name: 'prefix 5 = Lq, suffix 0, B3, MQA 4:1, D64, Lq5 causal (queries inside the prefix)',
    input: sharedPrefixProblem({ batch: 3, prefixLength: 5, suffixLength: 0, ...mqa, headDim: 64, queriesPerSeq: 5 }),
  },
  {
    name: 'prefix 4096, suffix 17, B3, MQA 2:1, D64, decode',
    input: sharedPrefixProblem({ batch: 3, prefixLength: 4096, suffixLength: 17, headsQ: 2, headsKV: 1, headDim: 64 }),
  },
  {
    name: 'prefix 333 not causal, suffix 0/1/17, B3, GQA 8:2, D64, Lq5',
    input: sharedPrefixProblem({
      batch: 3,
      prefixLength: 333,
      suffixLength: [0, 1, 17],
      ...gqa,
      headDim: 64,
      queriesPerSeq: 5,
      causal: false,
    }),
  },
  {
    name: 'f16 KV, prefix 333, suffix 0/1/17, B7, GQA 8:2, D128, Lq5 causal',
    input: sharedPrefixProblem({
      batch: 7,
      prefixLength: 333,
      suffixLength: [0, 1, 17, 17, 1, 0, 3],
      ...gqa,
      headDim: 128,
      queriesPerSeq: 5,
      kvDtype: 'f16',
    }),
  },
  {
    name: 'split-K: prefix 333 in chunks of 50, suffix 0/2, B4, GQA 8:2, D64, Lq5 causal',
    input: sharedPrefixProblem({
      batch: 4,
      prefixLength: 333,
      suffixLength: [0, 2, 0, 2],
      ...gqa,
      headDim: 64,
      queriesPerSeq: 5,
    }),
    options: { splitK: true, partitionSize: 50 },
  },
  {
    name: 'split-K off: prefix 4096, B2, MQA 4:1, D16',
    input: sharedPrefixProblem({ batch: 2, prefixLength: 4096, suffixLength: 3, ...mqa, headDim: 16 }),
    options: { splitK: false },
  },
  {
    name: 'a segment shared at different positions, and identical sequences (nothing unique), Lq3 causal',
    input: {
      ...gqa,
      headDim: 64,
      queriesPerSeq: 3,
      segments: [
        { id: 'a', length: 10 },
        { id: 'b', length: 4 },
        { id: 'c', length: 23 },
        { id: 'x', length: 2 },
      ],
      sequences: [['a', 'c'], ['b', 'a', 'c'], ['c'], ['x', 'c'], ['a', 'c']],
    },
  },
  {
    name: 'every sequence identical (nothing unique), B5, MQA 4:1, D64, Lq4 causal',
    input: {
      ...mqa,
      headDim: 64,
      queriesPerSeq: 4,
      segments: [
        { id: 'p', length: 40 },
        { id: 'q', length: 2 },
      ],
      sequences: [
        ['p', 'q'],
        ['p', 'q'],
        ['p', 'q'],
        ['p', 'q'],
        ['p', 'q'],
      ],
    },
  },
];

/** Tile shapes the default device would not pick: rows not a multiple of the tile, tileK not a multiple of the row's threads. */
const tileVariants = [
  { tileQ: 8, tileK: 8, wg: 32 },
  { tileQ: 8, tileK: 12, wg: 64 },
  { tileQ: 16, tileK: 8, wg: 64 },
  { tileQ: 32, tileK: 32, wg: 128 },
];

const tileCase: ProblemInput = sharedPrefixProblem({
  batch: 5,
  prefixLength: 77,
  suffixLength: [0, 3, 0, 1, 9],
  ...gqa,
  headDim: 80,
  queriesPerSeq: 3,
});

describe('hydragen kernel vs the f64 reference and the naive kernel', () => {
  let gpu: GpuContext;
  beforeAll(async () => {
    gpu = await (await import('../setup/gpu-entry')).testGpu();
  });
  afterAll(() => gpu?.destroy());

  for (const c of commonCases) {
    it(`common: ${c.name}`, async () => {
      await expectMatchesReference(gpu, hydragenKernel, c.input);
    });
  }

  for (const c of hydragenCases) {
    it(c.name, async () => {
      await expectMatchesReference(gpu, hydragenKernel, c.input, c.options);
    });
  }

  for (const tiles of tileVariants) {
    it(`tiles ${tiles.tileQ}x${tiles.tileK}, ${tiles.wg} threads: prefix 77, B5, D80, Lq3 causal`, async () => {
      const kernel = createHydragenKernel({ tileCandidates: [tiles], name: 'hydragen-test' });
      if (kernel.unsupported(resolveProblem(tileCase), gpu, {})) return; // device too small for this shape
      await expectMatchesReference(gpu, kernel, tileCase, { splitK: true, partitionSize: 30 });
    });
  }

  it('stageKv (either setting) asks for the tensor-core kernel: unsupported, with the reason, where it cannot run', () => {
    const spec = resolveProblem(tileCase);
    for (const stageKv of [true, false]) {
      const why = hydragenKernel.unsupported(spec, gpu, { stageKv });
      // tileCase has f32 K/V, which the subgroup-matrix kernel never takes; without subgroup matrices the adapter is the reason.
      expect(why).toMatch(
        gpu.features.subgroupMatrix ? /subgroup matrices need native f16 K\/V/ : /offers no subgroup matrices/,
      );
    }
    // Without stageKv the portable kernel runs the same problem.
    expect(hydragenKernel.unsupported(spec, gpu, {})).toBe(null);
  });

  const pairs: readonly KernelCase[] = [
    ...hydragenCases.filter((c) =>
      /^(one prefix 333, suffix 17, B7|uneven 3-level|two prefix|a segment shared)/.test(c.name),
    ),
    {
      name: 'f16, two groups, B8, MQA 4:1, D128, decode',
      input: sharedPrefixProblem({
        batch: 8,
        prefixLength: 100,
        suffixLength: 11,
        groups: 2,
        ...mqa,
        headDim: 128,
        kvDtype: 'f16',
      }),
    },
  ];
  for (const c of pairs) {
    it(`vs naive: ${c.name}`, async () => {
      const spec = resolveProblem(c.input);
      const data = generateProblemData(spec, 99);
      const naive = await runKernel(gpu, naiveKernel, data);
      const hydra = await runKernel(gpu, hydragenKernel, data);
      // Both are within the tolerance of the f64 reference, so within twice it of each other.
      const t = toleranceFor(spec.kvDtype);
      const cmp = compareResults(spec, naive, hydra, { atol: 2 * t.atol, rtol: 2 * t.rtol });
      expect(cmp.pass, `${hydra.variant} vs ${naive.variant}: ${formatComparisonRow(cmp)}`).toBe(true);
    });
  }
});
