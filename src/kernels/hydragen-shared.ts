import hydragenSharedWgsl from '../../shaders/hydragen-shared.wgsl?raw';
import hydragenWorkWgsl from '../../shaders/hydragen-work.wgsl?raw';
import { bindBuffers } from '../gpu/bind-group';
import { uploadStorage, uploadUniform } from '../gpu/buffers';
import type { GpuContext } from '../gpu/context';
import { type ProblemSpec, sequenceLengths } from '../problem/problem';
import { type HydragenPlan, sharedVisibleKeys } from './hydragen-plan';
import {
  hydragenSharedMmaWgsl,
  MMA_ROWS,
  MMA_SUBGROUP,
  type MmaShape,
  mmaShapeName,
  mmaShapeProblem,
  mmaWorkgroupBytes,
  parseMmaShapeName,
} from './hydragen-shared-mma-wgsl';
import { type KvFormat, kvShaderSource } from './kv-format';

/**
 * Host side of shaders/hydragen-shared.wgsl: one dispatch for every (shared segment, key chunk,
 * KV head, tile of query rows) of a Hydragen plan. Tile sizes are override constants, chosen here
 * from the head dimension and the device's workgroup-memory limit.
 */

/** Tile shape of the shared kernel. */
export interface SharedTiles {
  /** Tensor cores through subgroup matrices (hydragen-shared-mma-wgsl.ts) instead of the portable kernel. */
  readonly matrix?: boolean;
  /** Query rows per workgroup. */
  readonly tileQ: number;
  /** Keys per K/V tile staged in workgroup memory. */
  readonly tileK: number;
  /** Threads per workgroup: a multiple of tileQ (wg / tileQ threads per row). */
  readonly wg: number;
  /** Subgroup-matrix kernel only: its shape (subgroups = wg / 32, step = tileK), from tilesOfMmaShape. */
  readonly shape?: Omit<MmaShape, 'headDim'>;
}

/** Register budgets of the shader (MAX_RD, MAX_SK in hydragen-shared.wgsl). */
const MAX_RD = 16;
const MAX_SK = 16;

/** Preferred shapes, largest first; the first that fits the device and head dim is used. */
export const SHARED_TILE_CANDIDATES: readonly SharedTiles[] = [
  { tileQ: 64, tileK: 32, wg: 256 },
  { tileQ: 32, tileK: 32, wg: 128 },
  { tileQ: 32, tileK: 16, wg: 128 },
  { tileQ: 16, tileK: 16, wg: 64 },
  { tileQ: 16, tileK: 8, wg: 64 },
  { tileQ: 8, tileK: 8, wg: 32 },
  { tileQ: 8, tileK: 4, wg: 32 },
];

/** Workgroup memory the shader declares for `tiles` at head dim `headDim` (bytes). */
export function sharedWorkgroupBytes(headDim: number, t: SharedTiles): number {
  const d4 = headDim / 4;
  const q = t.tileQ * d4 * 16;
  const kv = t.tileK * (d4 + 1) * 16;
  const p = t.tileQ * (t.tileK + 1) * 4;
  const reductions = 2 * t.wg * 4;
  return q + kv + p + reductions;
}

/** Why `tiles` cannot run head dim `headDim` on this device; null when it can. */
export function sharedTilesProblem(headDim: number, t: SharedTiles, limits: GPUSupportedLimits): string | null {
  if (t.wg % t.tileQ !== 0) return `wg ${t.wg} is not a multiple of tileQ ${t.tileQ}`;
  const nc = t.wg / t.tileQ;
  if (Math.ceil(headDim / 4 / nc) > MAX_RD)
    return `head dim ${headDim} needs ${Math.ceil(headDim / 4 / nc)} output vec4s per thread (max ${MAX_RD})`;
  if (Math.ceil(t.tileK / nc) > MAX_SK) return `tileK ${t.tileK} needs more than ${MAX_SK} scores per thread`;
  if (t.wg > limits.maxComputeInvocationsPerWorkgroup || t.wg > limits.maxComputeWorkgroupSizeX)
    return `${t.wg} threads exceed maxComputeInvocationsPerWorkgroup (${limits.maxComputeInvocationsPerWorkgroup})`;
  const bytes = sharedWorkgroupBytes(headDim, t);
  if (bytes > limits.maxComputeWorkgroupStorageSize)
    return `tiles ${t.tileQ}x${t.tileK} at head dim ${headDim} need ${bytes} bytes of workgroup memory; maxComputeWorkgroupStorageSize is ${limits.maxComputeWorkgroupStorageSize}`;
  return null;
}

/** The first candidate that fits, or the reason none does. */
export function chooseSharedTiles(
  headDim: number,
  limits: GPUSupportedLimits,
  candidates: readonly SharedTiles[] = SHARED_TILE_CANDIDATES,
): SharedTiles | string {
  const reasons: string[] = [];
  for (const t of candidates) {
    const why = sharedTilesProblem(headDim, t, limits);
    if (!why) return t;
    reasons.push(why);
  }
  return `no shared-kernel tile shape fits: ${reasons[reasons.length - 1] ?? 'no candidates'}`;
}

/**
 * Shapes of the subgroup-matrix kernel, fastest first; the first that fits the device's workgroup
 * memory (and the stageKv option, when given) is used, unless KernelOptions.mmaShape names one.
 * The order is from the H200 ladder in benches/results/README.md (suite hydragen-ladder).
 */
export const MMA_SHAPES: readonly Omit<MmaShape, 'headDim'>[] = [
  { subgroups: 4, step: 48, staged: true, pad: 8, prefetch: true, qInRegisters: true, unrolledSoftmax: true },
  { subgroups: 4, step: 32, staged: true, pad: 8, prefetch: true, qInRegisters: true, unrolledSoftmax: true },
  { subgroups: 4, step: 48, staged: true, pad: 8, prefetch: true, qInRegisters: true },
  { subgroups: 4, step: 32, staged: true, pad: 8, prefetch: true, qInRegisters: true },
  { subgroups: 4, step: 32, staged: true, pad: 8, sPad: 0, prefetch: true },
  { subgroups: 4, step: 32, staged: true, pad: 8, sPad: 0 },
  { subgroups: 4, step: 64, staged: true },
  { subgroups: 4, step: 32, staged: true },
  { subgroups: 2, step: 32, staged: true },
  { subgroups: 1, step: 16, staged: true },
  { subgroups: 4, step: 64 },
  { subgroups: 2, step: 64 },
  { subgroups: 1, step: 64 },
  { subgroups: 1, step: 32 },
];

/**
 * Shapes the H200 ladder (suite hydragen-ladder) times at D 128, in the order of its rungs; the
 * results and what each rung bought are in benches/results/README.md.
 */
export const MMA_LADDER: readonly Omit<MmaShape, 'headDim'>[] = [
  { subgroups: 4, step: 32, staged: true },
  { subgroups: 4, step: 32, staged: true, pad: 8, sPad: 0 },
  { subgroups: 4, step: 32, staged: true, pad: 8, sPad: 0, prefetch: true },
  { subgroups: 2, step: 32, staged: true, rowBlocks: 2, pad: 8, sPad: 0, prefetch: true },
  { subgroups: 4, step: 32, staged: true, pad: 8, prefetch: true, qInRegisters: true },
  { subgroups: 4, step: 48, staged: true, pad: 8, prefetch: true, qInRegisters: true },
  { subgroups: 4, step: 48, staged: true, pad: 8, prefetch: true, qInRegisters: true, unrolledSoftmax: true },
  { subgroups: 4, step: 32, staged: true, pad: 8, prefetch: true, qInRegisters: true, unrolledSoftmax: true },
  {
    subgroups: 4,
    step: 48,
    staged: true,
    pad: 8,
    prefetch: true,
    qInRegisters: true,
    unrolledSoftmax: true,
    fastSoftmax: true,
  },
];

/** The subgroup-matrix kernel's shape of `tiles` (a `matrix` tile from matrixTilesFor). */
export function mmaShapeOf(headDim: number, tiles: SharedTiles): MmaShape {
  if (!tiles.shape)
    throw new Error("mmaShapeOf: these tiles are the portable kernel's; they have no subgroup-matrix shape");
  return { headDim, ...tiles.shape };
}

/** The tiles that run shape `s` (the inverse of mmaShapeOf). */
export const tilesOfMmaShape = (s: Omit<MmaShape, 'headDim'>): SharedTiles => ({
  matrix: true,
  tileQ: s.subgroups * MMA_ROWS * (s.rowBlocks ?? 1),
  tileK: s.step,
  wg: s.subgroups * MMA_SUBGROUP,
  shape: s,
});

/** Why shape `s` does not fit this device at `headDim`; null when it does. */
function mmaShapeMisfit(headDim: number, s: Omit<MmaShape, 'headDim'>, limits: GPUSupportedLimits): string | null {
  const shape = { headDim, ...s };
  const bad = mmaShapeProblem(shape);
  if (bad) return bad;
  const bytes = mmaWorkgroupBytes(shape);
  if (bytes > limits.maxComputeWorkgroupStorageSize)
    return `shape "${mmaShapeName(s)}" at head dim ${headDim} needs ${bytes} bytes of workgroup memory; maxComputeWorkgroupStorageSize is ${limits.maxComputeWorkgroupStorageSize}`;
  const wg = s.subgroups * MMA_SUBGROUP;
  if (wg > limits.maxComputeInvocationsPerWorkgroup)
    return `shape "${mmaShapeName(s)}" needs ${wg} invocations; maxComputeInvocationsPerWorkgroup is ${limits.maxComputeInvocationsPerWorkgroup}`;
  return null;
}

/**
 * Tiles for the subgroup-matrix (tensor-core) variant, or why it cannot run: it needs native f16
 * K/V, subgroups of exactly 32, an f16 16x16x16 configuration with f32 results, and D a multiple
 * of 16. `shapeName` (KernelOptions.mmaShape, a name from mmaShapeName) forces one shape.
 */
export function matrixTilesFor(
  headDim: number,
  gpu: GpuContext,
  format: KvFormat,
  stageKv?: boolean,
  shapeName?: string,
): SharedTiles | string {
  if (!gpu.features.subgroupMatrix) return 'the adapter offers no subgroup matrices';
  if (format !== 'f16-native') return `subgroup matrices need native f16 K/V (K/V here: ${format})`;
  if (!gpu.features.subgroups) return 'the adapter offers no subgroups';
  if (gpu.subgroupMinSize !== MMA_SUBGROUP || gpu.subgroupMaxSize !== MMA_SUBGROUP)
    return `the subgroup-matrix kernel needs subgroups of ${MMA_SUBGROUP} (adapter: ${gpu.subgroupMinSize}-${gpu.subgroupMaxSize})`;
  const ok = gpu.subgroupMatrixConfigs.some(
    (c) => c.componentType === 'f16' && c.resultComponentType === 'f32' && c.M === 16 && c.N === 16 && c.K === 16,
  );
  if (!ok) return 'no f16 16x16x16 subgroup-matrix configuration with f32 results';
  if (headDim % 16 !== 0) return `head dim ${headDim} is not a multiple of 16`;
  if (shapeName !== undefined) {
    const s = parseMmaShapeName(shapeName);
    if (typeof s === 'string') return `mmaShape: ${s}`;
    if (stageKv !== undefined && (s.staged === true) !== stageKv)
      return `mmaShape "${shapeName}" contradicts stageKv ${stageKv}`;
    return mmaShapeMisfit(headDim, s, gpu.limits) ?? tilesOfMmaShape(s);
  }
  let smallest = Number.POSITIVE_INFINITY;
  for (const s of MMA_SHAPES) {
    if (stageKv !== undefined && (s.staged === true) !== stageKv) continue;
    smallest = Math.min(smallest, mmaWorkgroupBytes({ headDim, ...s }));
    if (!mmaShapeMisfit(headDim, s, gpu.limits)) return tilesOfMmaShape(s);
  }
  const kind = stageKv === undefined ? '' : stageKv ? ' with staged K/V' : ' without staged K/V';
  return `the subgroup-matrix kernel${kind} at head dim ${headDim} needs at least ${smallest} bytes of workgroup memory; maxComputeWorkgroupStorageSize is ${gpu.limits.maxComputeWorkgroupStorageSize}`;
}

const ITEM_WORDS = 9;
const USER_WORDS = 4;

/** The shared kernel's tables: work items and users, as the shader reads them. */
export interface SharedWorkList {
  readonly items: Uint32Array;
  readonly users: Uint32Array;
  readonly count: number;
}

/** Number of work items of a plan at row tile `tileQ` (without building the list). */
export function sharedWorkItemCount(spec: ProblemSpec, plan: HydragenPlan, tileQ: number): number {
  const perUser = (spec.headsQ / spec.headsKV) * spec.queriesPerSeq;
  return plan.shared.reduce(
    (a, s) => a + s.chunks.length * spec.headsKV * Math.ceil((s.users.length * perUser) / tileQ),
    0,
  );
}

export const sharedTableBytes = (spec: ProblemSpec, plan: HydragenPlan, tileQ: number) => ({
  items: Math.max(1, sharedWorkItemCount(spec, plan, tileQ)) * ITEM_WORDS * 4,
  users:
    Math.max(
      1,
      plan.shared.reduce((a, s) => a + s.users.length, 0),
    ) *
    USER_WORDS *
    4,
});

/**
 * Work items in the order (segment, chunk, KV head, row tile), so workgroups that run together
 * read the same K/V chunk. `segmentBase` is each segment's element offset in the K/V pool
 * ([headsKV, length, D] per segment).
 */
export function sharedWorkList(
  spec: ProblemSpec,
  plan: HydragenPlan,
  segmentBase: ReadonlyMap<string, number>,
  tileQ: number,
): SharedWorkList {
  const D = spec.headDim;
  const G = spec.headsQ / spec.headsKV;
  const Lq = spec.queriesPerSeq;
  const perUser = G * Lq;
  const lens = sequenceLengths(spec);
  const count = sharedWorkItemCount(spec, plan, tileQ);
  const items = new Uint32Array(Math.max(1, count) * ITEM_WORDS);
  const userCount = plan.shared.reduce((a, s) => a + s.users.length, 0);
  const users = new Uint32Array(Math.max(1, userCount) * USER_WORDS);
  let at = 0;
  let userStart = 0;
  for (const seg of plan.shared) {
    const base = segmentBase.get(seg.id);
    if (base === undefined) throw new Error(`segment "${seg.id}" is not in the K/V pool`);
    seg.users.forEach((u, k) => {
      users.set([u.seq, u.tokenStart, lens[u.seq] - Lq, u.slotBase], (userStart + k) * USER_WORDS);
    });
    const rows = seg.users.length * perUser;
    const tiles = Math.ceil(rows / tileQ);
    seg.chunks.forEach((chunk, c) => {
      // Most keys any row of each tile sees (the same for every KV head).
      const limits: number[] = [];
      for (let t = 0; t < tiles; t++) {
        let most = 0;
        for (let row = t * tileQ; row < Math.min(rows, (t + 1) * tileQ); row++) {
          const u = seg.users[Math.floor(row / perUser)];
          const i = row % Lq;
          const vis = sharedVisibleKeys(spec, lens[u.seq], i, u.tokenStart + chunk.keyStart, chunk.keyCount);
          most = Math.max(most, vis);
        }
        limits.push(most);
      }
      for (let g = 0; g < spec.headsKV; g++) {
        const kvBase = base + (g * seg.length + chunk.keyStart) * D;
        for (let t = 0; t < tiles; t++) {
          items.set(
            [
              kvBase / 4,
              chunk.keyStart,
              chunk.keyCount,
              limits[t],
              g,
              userStart,
              t * tileQ,
              Math.min(tileQ, rows - t * tileQ),
              c * spec.headsQ * Lq,
            ],
            at * ITEM_WORDS,
          );
          at++;
        }
      }
    });
    userStart += seg.users.length;
  }
  return { items, users, count };
}

export interface SharedKernelBuffers {
  readonly q: GPUBuffer;
  readonly k: GPUBuffer;
  readonly v: GPUBuffer;
  /** [numPartials, D] f32 */
  readonly partO: GPUBuffer;
  /** [numPartials] f32 */
  readonly partLse: GPUBuffer;
}

export interface SharedKernel {
  readonly workItems: number;
  dispatch(pass: GPUComputePassEncoder): void;
  destroy(): void;
}

export function createHydragenShared(
  gpu: GpuContext,
  spec: ProblemSpec,
  format: KvFormat,
  buffers: SharedKernelBuffers,
  plan: HydragenPlan,
  segmentBase: ReadonlyMap<string, number>,
  tiles: SharedTiles,
): SharedKernel {
  const D = spec.headDim;
  const why = tiles.matrix ? null : sharedTilesProblem(D, tiles, gpu.limits);
  if (why) throw new Error(`hydragen shared kernel: ${why}`);
  const list = sharedWorkList(spec, plan, segmentBase, tiles.tileQ);
  const maxX = gpu.limits.maxComputeWorkgroupsPerDimension;
  const gridX = Math.min(Math.max(1, list.count), maxX);
  const gridY = Math.ceil(list.count / gridX);
  if (gridY > maxX) throw new Error(`hydragen shared kernel: ${list.count} work items exceed ${maxX}^2 workgroups`);

  const params = new ArrayBuffer(32);
  const u = new Uint32Array(params);
  const f = new Float32Array(params);
  u.set([list.count, gridX, spec.headsQ, spec.headsQ / spec.headsKV, spec.queriesPerSeq, spec.causal ? 1 : 0]);
  f[6] = spec.scale;
  f[7] = Number.NEGATIVE_INFINITY;

  const key = tiles.matrix
    ? `hydragen-shared-mma/${format}/D${D}/${mmaShapeName(mmaShapeOf(D, tiles))}`
    : `hydragen-shared/${format}/D${D}/q${tiles.tileQ}k${tiles.tileK}w${tiles.wg}`;
  const compute: GPUProgrammableStage = tiles.matrix
    ? {
        // Consts, not overrides: subgroup-matrix loads and stores need workgroup arrays of const size.
        module: gpu.shader(key, `${hydragenSharedMmaWgsl(mmaShapeOf(D, tiles))}\n${hydragenWorkWgsl}`),
        entryPoint: 'main',
      }
    : {
        module: gpu.shader(`hydragen-shared/${format}`, kvShaderSource(format) + hydragenWorkWgsl + hydragenSharedWgsl),
        entryPoint: 'main',
        constants: { HEAD_DIM: D, TILE_Q: tiles.tileQ, TILE_K: tiles.tileK, WG: tiles.wg },
      };
  const pipeline = gpu.pipeline(key, () => ({ label: key, layout: 'auto', compute }));
  const uniform = uploadUniform(gpu, 'hydragen-shared params', new Uint8Array(params));
  const itemBuf = uploadStorage(gpu, 'hydragen-shared work items', list.items);
  const userBuf = uploadStorage(gpu, 'hydragen-shared users', list.users);
  const bindGroup = bindBuffers(gpu.device, pipeline, key, [
    uniform,
    buffers.q,
    buffers.k,
    buffers.v,
    itemBuf,
    userBuf,
    buffers.partO,
    buffers.partLse,
  ]);
  return {
    workItems: list.count,
    dispatch(pass) {
      if (list.count === 0) return;
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(gridX, gridY);
    },
    destroy() {
      uniform.destroy();
      itemBuf.destroy();
      userBuf.destroy();
    },
  };
}
