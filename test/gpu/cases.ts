import { noSharingProblem, sharedPrefixProblem, unevenTreeProblem } from '../../src/problem/builders';
import type { ProblemInput } from '../../src/problem/problem';

/**
 * Problems every kernel must get right: odd lengths (1, 17, 333: not multiples of any tile),
 * one token, B = 1 and 7, Lq = 1 and 5 (causal and not), D = 16, 80, 128 (and 64, 96, 256),
 * GQA 8:2 and MQA 4:1, shared prefixes and a tree, f32 and f16 KV. Small enough for SwiftShader.
 */
export interface KernelCase {
  readonly name: string;
  readonly input: ProblemInput;
}

export const commonCases: readonly KernelCase[] = [
  {
    name: 'one token, B1, MQA 4:1, D16, decode',
    input: noSharingProblem({ batch: 1, length: 1, headsQ: 4, headsKV: 1, headDim: 16 }),
  },
  {
    name: 'ragged 1/17/333, B7, GQA 8:2, D128, decode',
    input: noSharingProblem({ batch: 7, length: [1, 17, 333, 2, 64, 65, 100], headsQ: 8, headsKV: 2, headDim: 128 }),
  },
  {
    name: 'Lq5 causal, B7, GQA 8:2, D80',
    input: noSharingProblem({
      batch: 7,
      length: [5, 17, 333, 6, 64, 129, 40],
      headsQ: 8,
      headsKV: 2,
      headDim: 80,
      queriesPerSeq: 5,
    }),
  },
  {
    name: 'Lq5 not causal, B1, MQA 4:1, D16, length 17',
    input: noSharingProblem({
      batch: 1,
      length: 17,
      headsQ: 4,
      headsKV: 1,
      headDim: 16,
      queriesPerSeq: 5,
      causal: false,
    }),
  },
  {
    name: 'shared prefix 333 + suffixes 0/1/17, B7, GQA 8:2, D64, Lq5 causal',
    input: sharedPrefixProblem({
      batch: 7,
      prefixLength: 333,
      suffixLength: [0, 1, 17, 17, 1, 0, 5],
      headsQ: 8,
      headsKV: 2,
      headDim: 64,
      queriesPerSeq: 5,
    }),
  },
  {
    name: 'shared prefix 1 + suffix 17, B7, MHA 2:2, D96, decode',
    input: sharedPrefixProblem({ batch: 7, prefixLength: 1, suffixLength: 17, headsQ: 2, headsKV: 2, headDim: 96 }),
  },
  {
    name: 'uneven 3-level tree, GQA 8:2, D80, Lq 3 causal',
    input: unevenTreeProblem({ headsQ: 8, headsKV: 2, headDim: 80, queriesPerSeq: 3 }),
  },
  {
    name: 'two prefix groups, B7, MQA 4:1, D256, decode',
    input: sharedPrefixProblem({
      batch: 7,
      prefixLength: 45,
      suffixLength: 9,
      groups: 2,
      headsQ: 4,
      headsKV: 1,
      headDim: 256,
    }),
  },
  {
    name: 'f16 KV, ragged, B7, GQA 8:2, D128, Lq5 causal',
    input: noSharingProblem({
      batch: 7,
      length: [5, 17, 333, 6, 64, 129, 40],
      headsQ: 8,
      headsKV: 2,
      headDim: 128,
      queriesPerSeq: 5,
      kvDtype: 'f16',
    }),
  },
  {
    name: 'f16 KV, shared prefix 333, B7, MQA 4:1, D16',
    input: sharedPrefixProblem({
      batch: 7,
      prefixLength: 333,
      suffixLength: 17,
      headsQ: 4,
      headsKV: 1,
      headDim: 16,
      kvDtype: 'f16',
    }),
  },
];
