import { checkBufferPlan, createOutputBuffer, uploadStorage } from '../gpu/buffers';
import type { GpuContext } from '../gpu/context';
import { scaledQueryF16Problem } from '../problem/input-range';
import { lseElements, type ProblemData, type ProblemSpec, qElements, sequenceLengths } from '../problem/problem';
import { attentionFlops, perSegmentKvBytes, queryOutputBytes } from './cost';
import { type HydragenPlan, planHydragen } from './hydragen-plan';
import {
  chooseSharedTiles,
  createHydragenShared,
  matrixTilesFor,
  mmaShapeOf,
  SHARED_TILE_CANDIDATES,
  type SharedTiles,
  sharedTableBytes,
  sharedWorkItemCount,
} from './hydragen-shared';
import { mmaShapeName } from './hydragen-shared-mma-wgsl';
import type { BufferRequest, KernelCost, KernelDescriptor, KernelOptions, PreparedKernel } from './kernel';
import { encodeKv, type KvFormat, kvFormatBytes, kvFormatFor } from './kv-format';
import { createLseMerge, lseMergeTableBytes } from './lse-merge';
import { createSpanAttention, type KvSpan, spanAttentionProblem, spanTableBytes } from './span-attention';

/**
 * Hydragen: attention over a shared segment computed once for all the sequences that share it,
 * as a matrix-matrix product (shaders/hydragen-shared.wgsl), attention over each sequence's unique
 * segments (shaders/span-attention.wgsl with unique spans only: one workgroup per KV head and tile
 * of up to 8 of its GQA group's query rows, each K/V row read once per tile), and the exact LSE merge of the
 * parts (shaders/lse-merge.wgsl). The decomposition and partial layout are in hydragen-plan.ts.
 *
 * K/V: every used segment uploaded once into a pool, [segment][headsKV][length][D].
 * Passes: one compute pass with up to three dispatches (shared, unique, merge). With no shared
 * segment the unique kernel writes o and lse directly and nothing else runs.
 *
 * Split-K of shared segments (KernelOptions): off; on (chunks of partitionSize keys, default 1024);
 * auto (default): only when the unsplit work list has fewer than AUTO_TARGET_ITEMS items, into up to
 * AUTO_TARGET_ITEMS / items chunks of at least AUTO_MIN_CHUNK keys (or partitionSize when given).
 *
 * Bytes moved: O and LSE written once; every used segment's K/V read once per KV head (a shared
 * segment once, not once per sequence; chunks of it once each; a unique segment once, not once per
 * query head); Q read once per part that reads it
 * (each shared chunk a row belongs to, and the unique kernel, which reads every row); partials
 * written by the shared and unique kernels and read by the merge (o and lse of each). These last
 * two terms are the price of the split and are counted.
 */

/** Shared segments longer than this are split so few, long segments still fill the GPU (auto split-K). */
export const AUTO_MIN_CHUNK = 1024;
/** Work items the auto split aims for: enough to fill a large GPU. */
export const AUTO_TARGET_ITEMS = 512;
/** Keys per chunk when split-K is forced on without a partition size. */
const DEFAULT_PARTITION = 1024;

function chunkKeysFor(spec: ProblemSpec, tiles: SharedTiles, options: KernelOptions): number {
  if (options.splitK === false) return Number.POSITIVE_INFINITY;
  if (options.splitK === true) return options.partitionSize ?? DEFAULT_PARTITION;
  // Auto: split only when the unsplit work list is too short to fill a large GPU.
  const unsplit = planHydragen(spec);
  const items = sharedWorkItemCount(spec, unsplit, tiles.tileQ);
  if (items === 0 || items >= AUTO_TARGET_ITEMS) return Number.POSITIVE_INFINITY;
  const longest = unsplit.shared.reduce((a, s) => Math.max(a, s.length), 0);
  const split = Math.min(Math.ceil(AUTO_TARGET_ITEMS / items), Math.floor(longest / AUTO_MIN_CHUNK));
  if (split <= 1) return Number.POSITIVE_INFINITY;
  return options.partitionSize ?? Math.ceil(longest / split);
}

/**
 * Element offset of every used segment in the pool, and the pool's size in elements. The
 * subgroup-matrix kernel reads whole steps of `tiles.tileK` keys, up to tileK - 1 past a chunk's
 * last key (probability 0); the pool ends with that many zero rows so those reads stay inside it.
 */
export function segmentPool(spec: ProblemSpec, tiles: SharedTiles): { base: Map<string, number>; elements: number } {
  const used = new Set(spec.sequences.flat());
  const base = new Map<string, number>();
  let at = 0;
  for (const s of spec.segments) {
    if (!used.has(s.id)) continue;
    base.set(s.id, at);
    at += spec.headsKV * s.length * spec.headDim;
  }
  const pad = tiles.matrix ? tiles.tileK * spec.headDim : 0;
  return { base, elements: at + pad };
}

/** The pool's K and V: every used segment's values at its base, encoded for `format`; the padding stays zero. */
export function packPool(data: ProblemData, base: ReadonlyMap<string, number>, elements: number, format: KvFormat) {
  const k = new Float32Array(elements);
  const v = new Float32Array(elements);
  for (const [id, at] of base) {
    const kv = data.kv.get(id);
    if (!kv) throw new Error(`no K/V data for segment "${id}"`);
    k.set(kv.k, at);
    v.set(kv.v, at);
  }
  return { k: encodeKv(k, format), v: encodeKv(v, format) };
}

function uniqueSpans(spec: ProblemSpec, plan: HydragenPlan, base: ReadonlyMap<string, number>): KvSpan[][] {
  const D = spec.headDim;
  return plan.unique.map((list) =>
    list.map((u) => ({
      base: base.get(u.id) ?? 0,
      length: u.length,
      headStride: u.length * D,
      tokenStart: u.tokenStart,
    })),
  );
}

/** Everything prepare() decides for a problem on a device, without touching the GPU. */
interface Layout {
  readonly format: KvFormat;
  readonly tiles: SharedTiles;
  readonly plan: HydragenPlan;
  readonly pool: { base: Map<string, number>; elements: number };
}

function layoutFor(spec: ProblemSpec, gpu: GpuContext, options: KernelOptions, tiles: SharedTiles): Layout {
  const plan = planHydragen(spec, { chunkKeys: chunkKeysFor(spec, tiles, options) });
  return { format: kvFormatFor(spec.kvDtype, gpu), tiles, plan, pool: segmentPool(spec, tiles) };
}

function costOf(spec: ProblemSpec, l: Layout): KernelCost {
  const D = spec.headDim;
  const plan = l.plan;
  const rowsPerUser = spec.headsQ * spec.queriesPerSeq;
  const sharedParts = plan.shared.reduce((a, s) => a + s.users.length * s.chunks.length, 0) * rowsPerUser;
  const uniqueRows = plan.runUnique ? plan.rows : 0;
  const qReads = (sharedParts + uniqueRows) * D * 4;
  const mergeEntries = plan.rowParts.reduce((a, p) => a + p.length, 0);
  const partialTraffic = plan.direct ? 0 : (plan.numPartials + mergeEntries) * (D + 1) * 4;
  // queryOutputBytes counts Q once; replace that with the per-part reads.
  const oLse = queryOutputBytes(spec) - qElements(spec) * 4;
  return {
    bytesMoved: oLse + qReads + perSegmentKvBytes(spec, kvFormatBytes(l.format)) + partialTraffic,
    flops: attentionFlops(spec),
  };
}

function bufferRequests(spec: ProblemSpec, l: Layout): BufferRequest[] {
  const D = spec.headDim;
  const plan = l.plan;
  const poolBytes = l.pool.elements * kvFormatBytes(l.format);
  const spans = spanTableBytes(uniqueSpans(spec, plan, l.pool.base));
  const shared = sharedTableBytes(spec, plan, l.tiles.tileQ);
  const entries = plan.rowParts.reduce((a, p) => a + p.length, 0);
  const list: BufferRequest[] = [
    { label: 'q', bytes: qElements(spec) * 4 },
    { label: 'k (segment pool)', bytes: poolBytes },
    { label: 'v (segment pool)', bytes: poolBytes },
    { label: 'o', bytes: qElements(spec) * 4 },
    { label: 'lse', bytes: lseElements(spec) * 4 },
    { label: 'unique sequence table', bytes: spans.seqs },
    { label: 'unique span table', bytes: spans.spans },
  ];
  if (!plan.direct) {
    list.push(
      { label: 'partial o', bytes: plan.numPartials * D * 4 },
      { label: 'partial lse', bytes: plan.numPartials * 4 },
      { label: 'shared work items', bytes: shared.items },
      { label: 'shared users', bytes: shared.users },
      { label: 'merge tables', bytes: lseMergeTableBytes(plan.rows, entries) },
    );
  }
  return list;
}

export interface HydragenConfig {
  /** Tile shapes to try, in order (default SHARED_TILE_CANDIDATES). */
  readonly tileCandidates?: readonly SharedTiles[];
  /** Name and title override, for tuned or test variants. */
  readonly name?: string;
  readonly title?: string;
}

/** A Hydragen descriptor; `hydragenKernel` is the default one. Variants pin tile shapes (tuning, tests). */
export function createHydragenKernel(config: HydragenConfig = {}): KernelDescriptor {
  const candidates = config.tileCandidates ?? SHARED_TILE_CANDIDATES;
  const name = config.name ?? 'hydragen';
  /** Subgroup-matrix tiles where allowed and offered, else the first portable candidate that fits. */
  const tilesOrWhy = (spec: ProblemSpec, gpu: GpuContext, options: KernelOptions): SharedTiles | string => {
    if (options.subgroupMatrix !== false && !config.tileCandidates) {
      const m = matrixTilesFor(spec.headDim, gpu, kvFormatFor(spec.kvDtype, gpu), options.stageKv, options.mmaShape);
      // stageKv and mmaShape only exist on the tensor-core kernel: asking for either requires it.
      const wantsMatrix =
        options.subgroupMatrix === true || options.stageKv !== undefined || options.mmaShape !== undefined;
      if (typeof m !== 'string' || wantsMatrix) return m;
    }
    return chooseSharedTiles(spec.headDim, gpu.limits, candidates);
  };

  function layout(spec: ProblemSpec, gpu: GpuContext, options: KernelOptions): Layout {
    const tiles = tilesOrWhy(spec, gpu, options);
    if (typeof tiles === 'string') throw new Error(`${name}: ${tiles}`);
    return layoutFor(spec, gpu, options, tiles);
  }

  const descriptor: KernelDescriptor = {
    name,
    title: config.title ?? 'Hydragen: shared segments batched as matrix products, unique suffixes, exact LSE merge',

    unsupported(spec, gpu, options) {
      const grid = spanAttentionProblem(spec, gpu.limits);
      if (grid) return grid;
      const tiles = tilesOrWhy(spec, gpu, options);
      if (typeof tiles === 'string') return tiles;
      const l = layoutFor(spec, gpu, options, tiles);
      const items = sharedWorkItemCount(spec, l.plan, tiles.tileQ);
      const maxX = gpu.limits.maxComputeWorkgroupsPerDimension;
      if (items > maxX * maxX) return `${items} shared work items exceed ${maxX}^2 workgroups`;
      return null;
    },

    buffers(spec, gpu, options) {
      return bufferRequests(spec, layout(spec, gpu, options));
    },

    cost(spec, gpu, options) {
      return costOf(spec, layout(spec, gpu, options));
    },

    prepare(gpu, data, options): PreparedKernel {
      const spec = data.spec;
      const why = descriptor.unsupported(spec, gpu, options);
      if (why) throw new Error(`${name}: ${why}`);
      const l = layout(spec, gpu, options);
      checkBufferPlan(gpu, bufferRequests(spec, l), `${name} kernel`);
      const { plan, format, tiles } = l;
      // The tensor-core kernel stores q * scale as f16: refuse values outside its range, with the reason.
      const range = tiles.matrix ? scaledQueryF16Problem(data) : null;
      if (range) throw new Error(`${name}: ${range}`);
      const D = spec.headDim;

      const kv = packPool(data, l.pool.base, l.pool.elements, format);
      const q = uploadStorage(gpu, 'q', data.q);
      const k = uploadStorage(gpu, 'k (segment pool)', kv.k);
      const v = uploadStorage(gpu, 'v (segment pool)', kv.v);
      const o = createOutputBuffer(gpu, 'o', qElements(spec) * 4);
      const lse = createOutputBuffer(gpu, 'lse', lseElements(spec) * 4);
      const owned: GPUBuffer[] = [q, k, v, o, lse];
      const parts: { dispatch(pass: GPUComputePassEncoder): void; destroy(): void }[] = [];

      let partO = o;
      let partLse = lse;
      if (!plan.direct) {
        partO = createOutputBuffer(gpu, 'partial o', plan.numPartials * D * 4);
        partLse = createOutputBuffer(gpu, 'partial lse', plan.numPartials * 4);
        owned.push(partO, partLse);
        parts.push(createHydragenShared(gpu, spec, format, { q, k, v, partO, partLse }, plan, l.pool.base, tiles));
      }
      if (plan.runUnique) {
        const spans = uniqueSpans(spec, plan, l.pool.base);
        parts.push(
          createSpanAttention(gpu, spec, format, { q, k, v, o: partO, lse: partLse }, spans, sequenceLengths(spec)),
        );
      }
      if (!plan.direct) parts.push(createLseMerge(gpu, D, { partO, partLse, o, lse }, plan.rowParts));

      const chunks = Math.max(0, ...plan.shared.map((s) => s.chunks.length));
      const shape = plan.direct
        ? 'no shared segment'
        : `${plan.shared.length} shared segment(s), ` +
          (tiles.matrix
            ? `subgroup-matrix ${mmaShapeName(mmaShapeOf(D, tiles))}`
            : `tiles ${tiles.tileQ}x${tiles.tileK}/${tiles.wg}`) +
          (chunks > 1 ? `, split-K up to ${chunks} chunks` : '');
      return {
        variant: `${name} (${shape}, KV ${format})`,
        o,
        lse,
        cost: costOf(spec, l),
        encode(_encoder, openPass) {
          const pass = openPass(name);
          for (const p of parts) p.dispatch(pass);
          pass.end();
        },
        destroy() {
          for (const p of parts) p.destroy();
          for (const b of owned) b.destroy();
        },
      };
    },
  };
  return descriptor;
}

export const hydragenKernel: KernelDescriptor = createHydragenKernel();
