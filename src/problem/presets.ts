import { noSharingProblem, sharedPrefixProblem, treeProblem, unevenTreeProblem } from './builders';
import type { ProblemInput } from './problem';

/**
 * Named problems for the CLI, the page, the tests and the benchmarks. Each is small enough for the
 * f64 CPU reference to finish in well under a second.
 */
export interface Preset {
  readonly description: string;
  readonly input: ProblemInput;
}

export const presets: Readonly<Record<string, Preset>> = Object.freeze({
  tiny: {
    description: 'Two unshared sequences of 7 and 5 tokens, GQA 4:2, D 16, decode.',
    input: noSharingProblem({ batch: 2, length: [7, 5], headsQ: 4, headsKV: 2, headDim: 16 }),
  },
  'decode-shared-prefix': {
    description: '8 sequences decoding after a shared 256-token prefix and their own 17-token suffixes, GQA 8:2, D 64.',
    input: sharedPrefixProblem({ batch: 8, prefixLength: 256, suffixLength: 17, headsQ: 8, headsKV: 2, headDim: 64 }),
  },
  'decode-shared-prefix-f16': {
    description: 'decode-shared-prefix with K/V stored as f16.',
    input: sharedPrefixProblem({
      batch: 8,
      prefixLength: 256,
      suffixLength: 17,
      headsQ: 8,
      headsKV: 2,
      headDim: 64,
      kvDtype: 'f16',
    }),
  },
  tree: {
    description:
      '3-level prefix tree with uneven fan-out (root 37 -> 3 x 19 -> [2, 1, 3] x 11) and 5-token suffixes, GQA 8:2, D 64.',
    input: unevenTreeProblem({ headsQ: 8, headsKV: 2, headDim: 64 }),
  },
  'tree-chunk': {
    description:
      'Balanced 3-level tree (64 -> 2 x 32 -> 2 x 16), 2 sequences per leaf with 9-token suffixes, causal chunk of 4, GQA 4:2, D 32.',
    input: treeProblem({
      levels: [{ length: 64 }, { length: 32, fanOut: 2 }, { length: 16, fanOut: 2 }],
      suffixLength: 9,
      sequencesPerLeaf: 2,
      headsQ: 4,
      headsKV: 2,
      headDim: 32,
      queriesPerSeq: 4,
    }),
  },
  'gqa-long': {
    description: 'Two unshared 2000-token sequences, GQA 8:2, D 128, decode.',
    input: noSharingProblem({ batch: 2, length: 2000, headsQ: 8, headsKV: 2, headDim: 128 }),
  },
  'chunk-causal': {
    description:
      'Causal chunk of 5 queries at the end of 4 sequences sharing a 64-token prefix (13-token suffixes), GQA 4:2, D 32.',
    input: sharedPrefixProblem({
      batch: 4,
      prefixLength: 64,
      suffixLength: 13,
      headsQ: 4,
      headsKV: 2,
      headDim: 32,
      queriesPerSeq: 5,
      causal: true,
    }),
  },
  'chunk-bidirectional': {
    description: 'chunk-causal without the causal mask: each of the 5 queries sees the whole sequence.',
    input: sharedPrefixProblem({
      batch: 4,
      prefixLength: 64,
      suffixLength: 13,
      headsQ: 4,
      headsKV: 2,
      headDim: 32,
      queriesPerSeq: 5,
      causal: false,
    }),
  },
  mqa: {
    description:
      'Multi-query attention (4 query heads, 1 KV head): 4 sequences sharing a 100-token prefix, 9-token suffixes, D 64.',
    input: sharedPrefixProblem({ batch: 4, prefixLength: 100, suffixLength: 9, headsQ: 4, headsKV: 1, headDim: 64 }),
  },
  'hydragen-small': {
    description:
      'Hydragen-style batch: 32 sequences decoding after a shared 1024-token prefix, 32-token suffixes, 8 heads (MHA), D 64.',
    input: sharedPrefixProblem({ batch: 32, prefixLength: 1024, suffixLength: 32, headsQ: 8, headsKV: 8, headDim: 64 }),
  },
  'multi-prefix': {
    description: '7 sequences over 3 independent shared prefixes (round-robin), ragged suffixes, GQA 4:1, D 64.',
    input: sharedPrefixProblem({
      batch: 7,
      prefixLength: 48,
      suffixLength: [3, 17, 1, 29, 8, 5, 12],
      groups: 3,
      split: 'round-robin',
      headsQ: 4,
      headsKV: 1,
      headDim: 64,
    }),
  },
  'odd-sizes': {
    description: '17 sequences sharing a 37-token prefix with suffixes alternating 17 and 37, GQA 6:2, D 80.',
    input: sharedPrefixProblem({
      batch: 17,
      prefixLength: 37,
      suffixLength: Array.from({ length: 17 }, (_, b) => (b % 2 === 0 ? 17 : 37)),
      headsQ: 6,
      headsKV: 2,
      headDim: 80,
    }),
  },
  ragged: {
    description: 'Five unshared sequences of 1, 17, 37, 64 and 3 tokens, MHA 2 heads, D 16.',
    input: noSharingProblem({ batch: 5, length: [1, 17, 37, 64, 3], headsQ: 2, headsKV: 2, headDim: 16 }),
  },
});

export const presetNames = (): string[] => Object.keys(presets);

/** The preset's input (a fresh copy the caller may modify). Throws, listing the valid names, for an unknown one. */
export function getPreset(name: string): ProblemInput {
  const p = Object.hasOwn(presets, name) ? presets[name] : undefined;
  if (!p) throw new Error(`unknown preset ${JSON.stringify(name)}; valid presets: ${presetNames().join(', ')}`);
  return structuredClone(p.input);
}
