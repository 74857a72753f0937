import type { GpuContext } from '../../gpu/context';
import type { KernelCost } from '../../kernels/kernel';

/**
 * The matrix products behind the compute ceiling: C[M x N] f32 = A[M x K] · B[N x K]ᵀ (B stored
 * row by row like K in attention's QKᵀ). One small typed descriptor per variant, which the WGSL
 * generators (subgroup-matrix-wgsl.ts, f32-fma-wgsl.ts), the ceiling, the matmul-ceiling suite and
 * the tests all read. The ladder is the one in ../shared/device/README.md ("Matrix products"):
 * each step adds one thing, and what it buys is what the suite shows on a given GPU.
 */

export interface MatmulSize {
  readonly m: number;
  readonly n: number;
  readonly k: number;
}

/** Lanes of a subgroup these kernels are written for (NVIDIA's and Apple's; what the emulation in the tests offers). */
export const MATMUL_LANES = 32;

/**
 * Subgroup matrices (f16 16x16x16, f32 results): `subgroupsM x subgroupsN` subgroups a workgroup,
 * each owning `matricesM x matricesN` result matrices of 16x16.
 */
export interface SubgroupMatrixTiling {
  readonly kind: 'subgroup-matrix';
  readonly subgroupsM: number;
  readonly subgroupsN: number;
  readonly matricesM: number;
  readonly matricesN: number;
  /**
   * Absent: every subgroup loads its fragments straight from storage, 16 values of K at a time.
   * Present: the workgroup copies a K slab of A and B rows into workgroup memory with 16-byte loads
   * (rows padded by `pad` f16), and the subgroups load their fragments from there; with `prefetch`
   * the next slab is loaded into registers while the current one is multiplied.
   */
  readonly staged?: { readonly slab: number; readonly pad: number; readonly prefetch: boolean };
}

/** Plain f32 FMA (no subgroup matrices, no f16): 16x16 invocations, each 8x8 results, K slabs of 8. */
export interface FmaTiling {
  readonly kind: 'f32-fma';
}

export type MatmulTiling = SubgroupMatrixTiling | FmaTiling;

export interface MatmulVariant {
  /** CLI and series name. */
  readonly name: string;
  /** What this step of the ladder adds, one line. */
  readonly adds: string;
  readonly tiling: MatmulTiling;
}

/** FMA kernel: invocations a side, results an invocation a side, K slab. */
export const FMA_THREADS = 16;
export const FMA_PER_THREAD = 8;
export const FMA_SLAB = 8;

const sgm = (
  name: string,
  adds: string,
  subgroups: [number, number],
  matrices: [number, number],
  staged?: SubgroupMatrixTiling['staged'],
): MatmulVariant => ({
  name,
  adds,
  tiling: {
    kind: 'subgroup-matrix',
    subgroupsM: subgroups[0],
    subgroupsN: subgroups[1],
    matricesM: matrices[0],
    matricesN: matrices[1],
    ...(staged ? { staged } : {}),
  },
});

/** The best subgroup-matrix product found on the H200 (139.6 TFLOP/s at 4096³): the compute ceiling's kernel. */
export const BEST_SUBGROUP_MATRIX = sgm(
  'sgm-2x2-pad8-prefetch',
  'the next K slab prefetched into registers while the current one is multiplied',
  [2, 2],
  [4, 4],
  { slab: 32, pad: 8, prefetch: true },
);

export const F32_FMA: MatmulVariant = {
  name: 'f32-fma',
  adds: 'no subgroup matrices, no f16: f32 in and out, FMA on 8x8 results an invocation, tiles staged in workgroup memory',
  tiling: { kind: 'f32-fma' },
};

/** The ladder, in order: each variant adds one thing to the one before (the fallback last). */
export const MATMUL_LADDER: readonly MatmulVariant[] = [
  sgm('sgm-storage-1x1', '1 subgroup a workgroup, 64x64 results, fragments straight from storage', [1, 1], [4, 4]),
  sgm(
    'sgm-storage-2x2',
    '2x2 subgroups a workgroup (tile 128x128) sharing fragments through the cache',
    [2, 2],
    [4, 4],
  ),
  sgm(
    'sgm-staged-2x4-pad0',
    'A and B slabs staged in workgroup memory with 16-byte loads, 2x4 subgroups of 64x32',
    [2, 4],
    [4, 2],
    {
      slab: 32,
      pad: 0,
      prefetch: true,
    },
  ),
  sgm('sgm-staged-2x4-pad8', 'workgroup-memory rows padded by 8 f16 (no bank conflicts)', [2, 4], [4, 2], {
    slab: 32,
    pad: 8,
    prefetch: true,
  }),
  sgm(
    'sgm-2x2-pad8',
    '2x2 subgroups of 64x64 (each fragment feeds 4 products), K slab 32, no prefetch',
    [2, 2],
    [4, 4],
    {
      slab: 32,
      pad: 8,
      prefetch: false,
    },
  ),
  BEST_SUBGROUP_MATRIX,
  F32_FMA,
];

export function getMatmulVariant(name: string): MatmulVariant {
  const v = MATMUL_LADDER.find((x) => x.name === name);
  if (!v)
    throw new Error(`unknown matrix-product variant "${name}"; known: ${MATMUL_LADDER.map((x) => x.name).join(', ')}`);
  return v;
}

/** Element type of A and B. */
export const inputsOf = (v: MatmulVariant): 'f16' | 'f32' => (v.tiling.kind === 'f32-fma' ? 'f32' : 'f16');

/** Output rows, output columns and K values one workgroup covers per step. */
export function tileOf(v: MatmulVariant): { m: number; n: number; k: number } {
  const t = v.tiling;
  if (t.kind === 'f32-fma') return { m: FMA_THREADS * FMA_PER_THREAD, n: FMA_THREADS * FMA_PER_THREAD, k: FMA_SLAB };
  return { m: 16 * t.matricesM * t.subgroupsM, n: 16 * t.matricesN * t.subgroupsN, k: t.staged?.slab ?? 16 };
}

export function invocationsOf(v: MatmulVariant): number {
  const t = v.tiling;
  return t.kind === 'f32-fma' ? FMA_THREADS * FMA_THREADS : MATMUL_LANES * t.subgroupsM * t.subgroupsN;
}

/** Workgroup memory the kernel declares, bytes. */
export function workgroupBytesOf(v: MatmulVariant): number {
  const t = v.tiling;
  const tile = tileOf(v);
  if (t.kind === 'f32-fma') return (tile.m + tile.n) * FMA_SLAB * 4;
  if (!t.staged) return 0;
  return (tile.m + tile.n) * (t.staged.slab + t.staged.pad) * 2;
}

/** One line for tables ("what ran"). */
export function describeMatmul(v: MatmulVariant): string {
  const t = v.tiling;
  const tile = tileOf(v);
  if (t.kind === 'f32-fma')
    return `f32 FMA, ${FMA_THREADS}x${FMA_THREADS} invocations of ${FMA_PER_THREAD}x${FMA_PER_THREAD} results, tile ${tile.m}x${tile.n}, K slab ${FMA_SLAB}`;
  const per = `${16 * t.matricesM}x${16 * t.matricesN}`;
  const where = t.staged
    ? `staged, K slab ${t.staged.slab}, rows padded by ${t.staged.pad} f16${t.staged.prefetch ? ', next slab prefetched' : ''}`
    : 'fragments from storage';
  return `subgroup matrices f16→f32, ${t.subgroupsM}x${t.subgroupsN} subgroups of ${per}, tile ${tile.m}x${tile.n}, ${where}`;
}

/**
 * FLOPs (2·M·N·K, a multiply-add counts 2) and the bytes a product must move at the least: A and B
 * read once, C written once. The kernels read each tile of A and B once per workgroup that needs it
 * (from cache, mostly), so the bytes are the algorithm's traffic, not the memory system's.
 */
export function matmulCost(v: MatmulVariant, s: MatmulSize): KernelCost {
  const input = inputsOf(v) === 'f16' ? 2 : 4;
  return { flops: 2 * s.m * s.n * s.k, bytesMoved: (s.m * s.k + s.n * s.k) * input + s.m * s.n * 4 };
}

/**
 * Largest K the check is exact for: inputs are multiples of 1/8 in [-1, 1), so every partial sum is
 * a multiple of 1/64 below K in magnitude, exact in f32 while K · 64 < 2^24.
 */
export const MAX_EXACT_K = 2 ** 18 - 1;

/** Why these sizes do not fit the variant's tiles (the kernels have no bounds checks); null when they do. */
export function matmulShapeError(v: MatmulVariant, s: MatmulSize): string | null {
  for (const [what, x] of Object.entries(s)) {
    if (!Number.isInteger(x) || x < 1) return `matrix size ${what.toUpperCase()} = ${x} is not a positive integer`;
  }
  const tile = tileOf(v);
  if (s.m % tile.m !== 0 || s.n % tile.n !== 0 || s.k % tile.k !== 0)
    return `${v.name} needs M a multiple of ${tile.m}, N of ${tile.n} and K of ${tile.k} (its tiles have no edge handling); got ${s.m}x${s.n}x${s.k}`;
  if (s.k > MAX_EXACT_K)
    return `K = ${s.k} is over ${MAX_EXACT_K}, past which the exact check of the product would not be exact`;
  return null;
}

/** Buffers a product allocates, bytes. */
export function matmulBuffers(v: MatmulVariant, s: MatmulSize): { label: string; bytes: number }[] {
  const input = inputsOf(v) === 'f16' ? 2 : 4;
  return [
    { label: 'A', bytes: s.m * s.k * input },
    { label: 'B', bytes: s.n * s.k * input },
    { label: 'C', bytes: s.m * s.n * 4 },
  ];
}

/** Why this device cannot run the variant at these sizes; null when it can. */
export function matmulUnsupported(v: MatmulVariant, gpu: GpuContext, s: MatmulSize): string | null {
  const shape = matmulShapeError(v, s);
  if (shape) return shape;
  const t = v.tiling;
  if (t.kind === 'subgroup-matrix') {
    if (!gpu.features.subgroupMatrix)
      return 'the adapter offers no subgroup matrices (chromium-experimental-subgroup-matrix)';
    if (!gpu.features.shaderF16) return 'the adapter offers no shader-f16';
    if (!gpu.features.subgroups) return 'the adapter offers no subgroups';
    if (gpu.subgroupMinSize !== MATMUL_LANES || gpu.subgroupMaxSize !== MATMUL_LANES)
      return `subgroup-matrix products need subgroups of ${MATMUL_LANES} (adapter: ${gpu.subgroupMinSize}-${gpu.subgroupMaxSize})`;
    const ok = gpu.subgroupMatrixConfigs.some(
      (c) => c.componentType === 'f16' && c.resultComponentType === 'f32' && c.M === 16 && c.N === 16 && c.K === 16,
    );
    if (!ok) return 'no f16 16x16x16 subgroup-matrix configuration with f32 results';
  }
  const l = gpu.limits;
  const wg = invocationsOf(v);
  if (wg > l.maxComputeInvocationsPerWorkgroup || wg > l.maxComputeWorkgroupSizeX)
    return `${v.name} needs ${wg} invocations a workgroup; maxComputeInvocationsPerWorkgroup is ${l.maxComputeInvocationsPerWorkgroup}`;
  const bytes = workgroupBytesOf(v);
  if (bytes > l.maxComputeWorkgroupStorageSize)
    return `${v.name} needs ${bytes} bytes of workgroup memory; maxComputeWorkgroupStorageSize is ${l.maxComputeWorkgroupStorageSize}`;
  const tile = tileOf(v);
  const groups = Math.max(s.m / tile.m, s.n / tile.n);
  if (groups > l.maxComputeWorkgroupsPerDimension)
    return `${v.name} at ${s.m}x${s.n} needs ${groups} workgroups along one dimension; maxComputeWorkgroupsPerDimension is ${l.maxComputeWorkgroupsPerDimension}`;
  for (const b of matmulBuffers(v, s)) {
    const limit = Math.min(l.maxStorageBufferBindingSize, l.maxBufferSize);
    if (b.bytes > limit)
      return `matrix ${b.label} (${b.bytes} bytes at ${s.m}x${s.n}x${s.k}) is over the device's ${l.maxStorageBufferBindingSize <= l.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize'} (${limit})`;
  }
  return null;
}
