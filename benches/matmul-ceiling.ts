import { MATMUL_LADDER } from '../src/bench/matmul/variants';
import type { MatrixProductSuite } from './suite';

/**
 * `matmul-ceiling`: the ladder of matrix products that led to the compute ceiling
 * (src/bench/matmul/variants.ts, ../shared/device/README.md "Matrix products"), each step timed and
 * checked at square sizes, so anyone can see what each step buys on their GPU. Steps the device
 * cannot run (no subgroup matrices, a limit) are recorded as skipped, with the reason.
 */
export const matmulCeilingSuite: MatrixProductSuite = {
  kind: 'matrix-product',
  name: 'matmul-ceiling',
  description:
    'matrix products C = A·Bᵀ (f16 in, f32 accumulate on subgroup matrices; f32 FMA fallback): the ladder to the compute ceiling, M = N = K',
  axis: { name: 'size', log: true },
  configs: () =>
    [2048, 4096, 8192].map((n) => ({
      axisValue: n,
      label: `M=N=K=${n}`,
      size: { m: n, n, k: n },
      variants: MATMUL_LADDER.map((v) => v.name),
    })),
};
