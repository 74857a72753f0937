import { MMA_LADDER } from '../src/kernels/hydragen-shared';
import { mmaShapeName } from '../src/kernels/hydragen-shared-mma-wgsl';
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
/** Hydragen uses tensor cores (subgroup matrices) where offered; the portable variant never does. */
/** The tensor-core kernel with each step's K/V copied into workgroup memory first. */
const stagedVariant: BenchVariant = { kernel: 'hydragen', options: { stageKv: true }, label: 'hydragen (staged K/V)' };
const variants: readonly BenchVariant[] = [
  { kernel: 'naive' },
  { kernel: 'hydragen' },
  { kernel: 'hydragen', options: { subgroupMatrix: false }, label: 'hydragen (portable)' },
  { kernel: 'auto' },
];

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

/**
 * The shapes of the H100 reference table (issue 6: FlashAttention-2 on per-sequence KV and Hydragen
 * in PyTorch, fp16): f16 KV, decode, GQA 32:8, D 128, suffix 256, (B, P) = (32, 16384),
 * (128, 16384), (512, 16384), (512, 4096). Paged reads the prefix per sequence from shared blocks;
 * naive reads it in place per sequence. The axis is the config's index in that table.
 */
export const decodeAnchorsSuite: BenchSuite = {
  name: 'decode-anchors',
  description: 'Issue 6 anchor shapes, f16 KV: (B, P) = (32, 16384), (128, 16384), (512, 16384), (512, 4096)',
  axis: { name: 'anchor', log: false },
  configs: () =>
    [
      [32, 16384],
      [128, 16384],
      [512, 16384],
      [512, 4096],
    ].map(([batch, prefixLength], i) => ({
      axisValue: i + 1,
      label: `B=${batch} P=${prefixLength}`,
      input: sharedPrefixProblem({ batch, prefixLength, suffixLength: SUFFIX, ...heads, kvDtype: 'f16' }),
      variants: [
        { kernel: 'paged' },
        { kernel: 'paged', options: { subgroups: false }, label: 'paged (portable)' },
        ...variants.slice(1, 3),
        // Fixed chunks of the shared prefix: more, smaller work items than the automatic split at large B.
        { kernel: 'hydragen', options: { splitK: true, partitionSize: 2048 }, label: 'hydragen (split-K 2048)' },
        ...variants.slice(3),
      ],
    })),
};

/**
 * Checks `auto` where its cost model decides differently: f16 decode, D 128, suffix 256, with
 * GQA 4:1 (paged predicted faster), MHA (Hydragen predicted faster: one FLOP per byte paged would
 * read), a small MHA batch near the break-even, and MQA (paged reads little). `auto` should stay
 * close to the faster of paged and Hydragen on every config.
 */
export const autoChoiceSuite: BenchSuite = {
  name: 'auto-choice',
  description: 'auto vs paged vs hydragen where the cost model flips: GQA 32:8, MHA 32:32, MQA 32:1; f16, D 128',
  axis: { name: 'config', log: false },
  configs: () =>
    (
      [
        ['GQA 32:8', 8, 128, 4096],
        ['MHA 32:32', 32, 128, 4096],
        ['MHA 32:32', 32, 16, 1024],
        ['MQA 32:1', 1, 128, 4096],
      ] as const
    ).map(([name, headsKV, batch, prefixLength], i) => ({
      axisValue: i + 1,
      label: `${name} B=${batch} P=${prefixLength}`,
      input: sharedPrefixProblem({
        batch,
        prefixLength,
        suffixLength: SUFFIX,
        headsQ: 32,
        headsKV,
        headDim: 128,
        kvDtype: 'f16',
      }),
      variants: [{ kernel: 'paged' }, { kernel: 'hydragen' }, stagedVariant, { kernel: 'auto' }],
    })),
};

/**
 * The tensor-core Hydragen kernel with each step's K/V copied into workgroup memory (stageKv, the
 * default where it fits) against loading its matrices straight from the pool, on issue 6's Hydragen target
 * shapes (f16, decode, GQA 32:8, D 128, suffix 256, P 16384, B 128 and 512), with paged as the
 * baseline. Needs subgroup matrices: elsewhere both Hydragen entries are skipped with the reason.
 */
export const hydragenStagingSuite: BenchSuite = {
  name: 'hydragen-staging',
  description:
    'Tensor-core Hydragen, K/V staged in workgroup memory or loaded from the pool: P 16384, B 128 and 512, f16',
  axis: { name: 'batch', log: true },
  configs: () =>
    [128, 512].map((batch) => ({
      axisValue: batch,
      label: `B=${batch} P=16384`,
      input: sharedPrefixProblem({ batch, prefixLength: 16384, suffixLength: SUFFIX, ...heads, kvDtype: 'f16' }),
      variants: [
        { kernel: 'paged' },
        { kernel: 'hydragen', options: { stageKv: false }, label: 'hydragen (K/V from the pool)' },
        stagedVariant,
      ],
    })),
};

/**
 * The tensor-core Hydragen kernel's ladder (issue 11): each rung of MMA_LADDER (row padding,
 * prefetch, two 16-row blocks a subgroup, ...) on the targets, f16, decode, D 128, suffix
 * 256: GQA 32:8 at P 16384 with B 128 and 512, and MHA 32:32 B 128 P 16384; paged as the
 * baseline. Needs subgroup matrices: elsewhere the Hydragen entries are skipped with the reason.
 */
export const hydragenLadderSuite: BenchSuite = {
  name: 'hydragen-ladder',
  description: 'Tensor-core Hydragen shapes (MMA_LADDER) at P 16384: GQA 32:8 B 128 and 512, MHA 32:32 B 128; f16',
  axis: { name: 'config', log: false },
  configs: () =>
    (
      [
        ['GQA 32:8', 8, 128],
        ['GQA 32:8', 8, 512],
        ['MHA 32:32', 32, 128],
      ] as const
    ).map(([name, headsKV, batch], i) => ({
      axisValue: i + 1,
      label: `${name} B=${batch} P=16384`,
      input: sharedPrefixProblem({
        batch,
        prefixLength: 16384,
        suffixLength: SUFFIX,
        headsQ: 32,
        headsKV,
        headDim: 128,
        kvDtype: 'f16',
      }),
      variants: [
        { kernel: 'paged' },
        ...MMA_LADDER.map((shape) => ({
          kernel: 'hydragen',
          options: { mmaShape: mmaShapeName(shape) },
          label: `hydragen (${mmaShapeName(shape)})`,
        })),
      ],
    })),
};

export const hydragenSuites: readonly BenchSuite[] = [
  hydragenBatchSuite,
  hydragenPrefixSuite,
  decodeAnchorsSuite,
  autoChoiceSuite,
  hydragenStagingSuite,
  hydragenLadderSuite,
];
