import { sharedPrefixProblem } from '../src/problem/builders';
import type { BenchConfig, BenchSuite, BenchVariant } from './suite';

/**
 * Prefix-shared attention (issue 3). Decode (Lq 1), headsQ 32 / headsKV 8 / D 128 (GQA 4:1), f32 KV,
 * every sequence = one shared prefix + its own 256-token suffix. Hydragen reads the prefix once per
 * KV head; naive reads it once per sequence (in place when the per-sequence copies would not fit one
 * binding; its variant says which). Hydragen's advantage should grow with B and with the prefix.
 */

const heads = { headsQ: 32, headsKV: 8, headDim: 128 } as const;
const SUFFIX = 256;
const variants: readonly BenchVariant[] = [{ kernel: 'naive' }, { kernel: 'hydragen' }];

function config(axisValue: number, batch: number, prefixLength: number): BenchConfig {
  return {
    axisValue,
    label: `B=${batch} P=${prefixLength}`,
    input: sharedPrefixProblem({ batch, prefixLength, suffixLength: SUFFIX, ...heads }),
    variants,
  };
}

export const hydragenBatchSuite: BenchSuite = {
  name: 'hydragen-batch',
  description: 'Shared prefix 4096 + unique suffix 256, decode, GQA 32:8, D 128: batch 1 to 512, naive vs hydragen',
  axis: { name: 'batch', log: true },
  configs: () => [1, 8, 32, 128, 512].map((b) => config(b, b, 4096)),
};

export const hydragenPrefixSuite: BenchSuite = {
  name: 'hydragen-prefix',
  description: 'B 128, shared prefix 1024 to 16384 + unique suffix 256, decode, GQA 32:8, D 128: naive vs hydragen',
  axis: { name: 'prefix length', log: true },
  configs: () => [1024, 4096, 16384].map((p) => config(p, 128, p)),
};

export const hydragenSuites: readonly BenchSuite[] = [hydragenBatchSuite, hydragenPrefixSuite];
