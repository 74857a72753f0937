import { describe, expect, it } from 'vitest';
import { noSharingProblem, sharedPrefixProblem, treeProblem, unevenTreeProblem } from '../../src/problem/builders';
import { getPreset, presets } from '../../src/problem/presets';
import { sequenceLengths } from '../../src/problem/problem';
import { ProblemError, resolveProblem } from '../../src/problem/validate';

const heads = { headsQ: 4, headsKV: 2, headDim: 16 };

describe('noSharingProblem', () => {
  it('gives each sequence its own segment', () => {
    const input = noSharingProblem({ ...heads, batch: 3, length: 10 });
    expect(input.segments).toEqual([
      { id: 's0', length: 10 },
      { id: 's1', length: 10 },
      { id: 's2', length: 10 },
    ]);
    expect(input.sequences).toEqual([['s0'], ['s1'], ['s2']]);
    expect(input.queriesPerSeq).toBe(1);
    expect('causal' in input).toBe(false);
    expect(resolveProblem(input).causal).toBe(true);
  });

  it('takes per-sequence lengths and passes the common options through', () => {
    const input = noSharingProblem({
      ...heads,
      batch: 2,
      length: [3, 7],
      queriesPerSeq: 2,
      causal: false,
      kvDtype: 'f16',
    });
    const spec = resolveProblem(input);
    expect(sequenceLengths(spec)).toEqual([3, 7]);
    expect(spec.causal).toBe(false);
    expect(spec.kvDtype).toBe('f16');
    expect(spec.queriesPerSeq).toBe(2);
  });

  it('refuses a length array of the wrong size and a bad batch', () => {
    expect(() => noSharingProblem({ ...heads, batch: 3, length: [1, 2] })).toThrow('length has 2 entries; expected 3');
    expect(() => noSharingProblem({ ...heads, batch: 0, length: 1 })).toThrow(ProblemError);
  });
});

describe('sharedPrefixProblem', () => {
  it('shares one prefix and adds a suffix per sequence', () => {
    const input = sharedPrefixProblem({ ...heads, batch: 3, prefixLength: 20, suffixLength: 4 });
    expect(input.segments.map((s) => s.id)).toEqual(['prefix', 's0', 's1', 's2']);
    expect(input.sequences).toEqual([
      ['prefix', 's0'],
      ['prefix', 's1'],
      ['prefix', 's2'],
    ]);
    expect(sequenceLengths(resolveProblem(input))).toEqual([24, 24, 24]);
  });

  it('leaves out suffix segments of length 0', () => {
    const input = sharedPrefixProblem({ ...heads, batch: 3, prefixLength: 20, suffixLength: [0, 5, 0] });
    expect(input.sequences).toEqual([['prefix'], ['prefix', 's1'], ['prefix']]);
    expect(input.segments.map((s) => s.id)).toEqual(['prefix', 's1']);
    expect(sequenceLengths(resolveProblem(input))).toEqual([20, 25, 20]);
  });

  it('splits sequences into groups contiguously or round-robin', () => {
    const contiguous = sharedPrefixProblem({ ...heads, batch: 5, prefixLength: 8, suffixLength: 1, groups: 2 });
    expect(contiguous.sequences.map((s) => s[0])).toEqual([
      'g0-prefix',
      'g0-prefix',
      'g0-prefix',
      'g1-prefix',
      'g1-prefix',
    ]);
    const rr = sharedPrefixProblem({
      ...heads,
      batch: 5,
      prefixLength: 8,
      suffixLength: 1,
      groups: 2,
      split: 'round-robin',
    });
    expect(rr.sequences.map((s) => s[0])).toEqual(['g0-prefix', 'g1-prefix', 'g0-prefix', 'g1-prefix', 'g0-prefix']);
    // Every group gets at least one sequence even when B is not a multiple of G.
    const uneven = sharedPrefixProblem({ ...heads, batch: 5, prefixLength: 8, suffixLength: 1, groups: 4 });
    expect(new Set(uneven.sequences.map((s) => s[0])).size).toBe(4);
    expect(() => sharedPrefixProblem({ ...heads, batch: 2, prefixLength: 8, suffixLength: 1, groups: 3 })).toThrow(
      'groups (3) must not exceed batch (2)',
    );
  });
});

describe('treeProblem', () => {
  it('builds a balanced tree: root shared by all, fan-out per level, suffix per leaf', () => {
    const input = treeProblem({
      ...heads,
      levels: [{ length: 16 }, { length: 8, fanOut: 2 }, { length: 4, fanOut: 2 }],
      suffixLength: 3,
    });
    expect(input.sequences).toEqual([
      ['L0n0', 'L1n0', 'L2n0', 's0'],
      ['L0n0', 'L1n0', 'L2n1', 's1'],
      ['L0n0', 'L1n1', 'L2n2', 's2'],
      ['L0n0', 'L1n1', 'L2n3', 's3'],
    ]);
    expect(sequenceLengths(resolveProblem(input))).toEqual([31, 31, 31, 31]);
  });

  it('expresses uneven fan-out with one count per parent', () => {
    const input = unevenTreeProblem({ ...heads });
    const spec = resolveProblem(input);
    expect(spec.sequences.length).toBe(6);
    const parents = spec.sequences.map((s) => s[1]);
    expect(parents).toEqual(['L1n0', 'L1n0', 'L1n1', 'L1n2', 'L1n2', 'L1n2']);
    expect(new Set(spec.sequences.map((s) => s[2])).size).toBe(6);
    expect(spec.sequences.every((s) => s[0] === 'L0n0' && s.length === 4)).toBe(true);
    expect(sequenceLengths(spec)).toEqual(Array(6).fill(37 + 19 + 11 + 5));
  });

  it('supports several sequences per leaf, per-node lengths and no suffix', () => {
    const input = treeProblem({
      ...heads,
      levels: [{ length: 10 }, { length: [1, 2, 3], fanOut: 3 }],
      suffixLength: 0,
      sequencesPerLeaf: 2,
    });
    expect(input.sequences).toEqual([
      ['L0n0', 'L1n0'],
      ['L0n0', 'L1n0'],
      ['L0n0', 'L1n1'],
      ['L0n0', 'L1n1'],
      ['L0n0', 'L1n2'],
      ['L0n0', 'L1n2'],
    ]);
    expect(sequenceLengths(resolveProblem(input))).toEqual([11, 11, 12, 12, 13, 13]);
  });

  it('refuses a root fan-out other than 1, a fan-out list of the wrong size and an empty level', () => {
    expect(() => treeProblem({ ...heads, levels: [{ length: 4, fanOut: 2 }], suffixLength: 1 })).toThrow(
      /level 0 is the single root/,
    );
    expect(() =>
      treeProblem({
        ...heads,
        levels: [{ length: 4 }, { length: 2, fanOut: 2 }, { length: 2, fanOut: [1, 2, 3] }],
        suffixLength: 1,
      }),
    ).toThrow('levels[2].fanOut has 3 entries; expected 2');
    expect(() => treeProblem({ ...heads, levels: [{ length: 4 }, { length: 2, fanOut: 0 }], suffixLength: 1 })).toThrow(
      'level 1 has no nodes',
    );
    expect(() => treeProblem({ ...heads, levels: [], suffixLength: 1 })).toThrow(/levels is empty/);
  });
});

describe('presets', () => {
  it('every preset is a valid problem', () => {
    for (const [name, p] of Object.entries(presets)) {
      expect(() => resolveProblem(p.input), name).not.toThrow();
      expect(p.description.length, name).toBeGreaterThan(10);
    }
  });

  it('has the required presets with their documented shapes', () => {
    const tiny = resolveProblem(getPreset('tiny'));
    expect([tiny.sequences.length, tiny.headsQ, tiny.headsKV, tiny.headDim, tiny.queriesPerSeq]).toEqual([
      2, 4, 2, 16, 1,
    ]);
    const dsp = resolveProblem(getPreset('decode-shared-prefix'));
    expect([dsp.sequences.length, dsp.headsQ, dsp.headsKV, dsp.headDim]).toEqual([8, 8, 2, 64]);
    expect(sequenceLengths(dsp)).toEqual(Array(8).fill(256 + 17));
    const gqa = resolveProblem(getPreset('gqa-long'));
    expect([gqa.sequences.length, gqa.headsQ, gqa.headsKV, gqa.headDim, ...sequenceLengths(gqa)]).toEqual([
      2, 8, 2, 128, 2000, 2000,
    ]);
    const chunk = resolveProblem(getPreset('chunk-causal'));
    expect([chunk.queriesPerSeq, chunk.causal]).toEqual([5, true]);
    expect(new Set(chunk.sequences.map((s) => s[0])).size).toBe(1);
    const mqa = resolveProblem(getPreset('mqa'));
    expect([mqa.headsQ, mqa.headsKV]).toEqual([4, 1]);
    const tree = resolveProblem(getPreset('tree'));
    expect(tree.sequences[0].length).toBe(4);
    expect(resolveProblem(getPreset('hydragen-small')).sequences.length).toBeGreaterThan(8);
  });

  it('getPreset returns a copy and lists the valid names for an unknown one', () => {
    const a = getPreset('tiny');
    a.headsQ = 99;
    expect(getPreset('tiny').headsQ).toBe(4);
    expect(() => getPreset('nope')).toThrow(/unknown preset "nope"; valid presets: tiny, decode-shared-prefix/);
    expect(() => getPreset('toString')).toThrow(/unknown preset/);
  });
});
