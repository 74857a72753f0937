import { describe, expect, it } from 'vitest';
import { buildPagedCache } from '../../src/paged/build';
import { pagedMemoryReport } from '../../src/paged/memory-report';
import { noSharingProblem, sharedPrefixProblem, treeProblem, unevenTreeProblem } from '../../src/problem/builders';
import { generateProblemData } from '../../src/problem/generate';
import type { ProblemInput } from '../../src/problem/problem';
import { resolveProblem } from '../../src/problem/validate';

/** The memory report computed from a problem's shape equals the report of the cache actually built. */

const heads = { headsQ: 2, headsKV: 1, headDim: 16 };
const problems: [string, ProblemInput][] = [
  ['no sharing, unaligned', noSharingProblem({ batch: 3, length: 21, ...heads })],
  ['shared prefix, aligned', sharedPrefixProblem({ batch: 4, prefixLength: 32, suffixLength: 16, ...heads })],
  ['shared prefix, unaligned', sharedPrefixProblem({ batch: 5, prefixLength: 37, suffixLength: 5, ...heads })],
  ['uneven tree', unevenTreeProblem({ ...heads })],
  [
    'tree with sequences ending at a shared node',
    {
      ...heads,
      queriesPerSeq: 1,
      segments: [
        { id: 'a', length: 13 },
        { id: 'b', length: 6 },
        { id: 'c', length: 9 },
      ],
      sequences: [['a'], ['a', 'b'], ['a', 'c'], ['a', 'b']],
    },
  ],
  [
    'two sequences per leaf',
    treeProblem({ ...heads, levels: [{ length: 11 }, { length: 7, fanOut: 2 }], suffixLength: 3, sequencesPerLeaf: 2 }),
  ],
];

describe('paged memory report from the problem alone', () => {
  for (const [name, input] of problems) {
    it(`equals the built cache's report: ${name}`, () => {
      const spec = resolveProblem(input);
      const data = generateProblemData(spec, 1);
      for (const bs of [8, 16, 32]) {
        const built = buildPagedCache(data, bs).cache.report(4);
        expect(pagedMemoryReport(spec, bs, 4), `block size ${bs}`).toEqual(built);
      }
    });
  }

  it('shows the block-size trade-off: bigger blocks waste more rows, share less of an unaligned prefix', () => {
    const spec = resolveProblem(sharedPrefixProblem({ batch: 8, prefixLength: 100, suffixLength: 3, ...heads }));
    const [r8, r32] = [8, 32].map((bs) => pagedMemoryReport(spec, bs, 2));
    expect(r32.fragmentationRows).toBeGreaterThan(r8.fragmentationRows);
    expect(r32.bytesUsed).toBeGreaterThan(r8.bytesUsed);
  });
});
