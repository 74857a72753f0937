import pagedAttentionWgsl from '../../shaders/paged-attention.wgsl?raw';
import pagedBindingsWgsl from '../../shaders/paged-bindings.wgsl?raw';
import rowTileWgsl from '../../shaders/row-tile.wgsl?raw';
import { bindBuffers } from '../gpu/bind-group';
import { checkBufferPlan, createOutputBuffer, uploadStorage, uploadUniform } from '../gpu/buffers';
import type { GpuContext } from '../gpu/context';
import { BLOCK_SIZES } from '../paged/block-pool';
import { buildPagedCache, type PagedCacheBuild, type PagedCacheOptions, pagedPoolBlocks } from '../paged/build';
import { type PoolShard, planPoolShards, shardSpec } from '../paged/shards';
import {
  batchSize,
  lseElements,
  type ProblemData,
  type ProblemSpec,
  qElements,
  sequenceLengths,
} from '../problem/problem';
import { resolveComputeUnits } from './compute-units';
import { attentionFlops, perSequenceKvBytes, queryOutputBytes } from './cost';
import { createHashedPool } from './hash-kv-fill';
import type { BufferRequest, KernelCost, KernelDescriptor, KernelOptions, PreparedKernel } from './kernel';
import { encodeKv, type KvFormat, kv8ShaderSource, kvFormatBytes, kvFormatFor, kvShaderSource } from './kv-format';
import { createLseMerge, type LseMerge, lseMergeTableBytes, type RowParts } from './lse-merge';
import {
  type PagedDecodeShape,
  pagedDecodeShapeProblem,
  pagedDecodeWgsl,
  pagedDecodeWorkgroupBytes,
} from './paged-decode-wgsl';

/**
 * Paged attention (vLLM style): K/V live in a pool of fixed-size blocks, each sequence reads
 * them through its block table (src/paged/). Sequences sharing a prefix share its blocks
 * (prefix caching), but each sequence still reads them itself: the saving is memory, not traffic.
 *
 * GPU layout: k and v pools [numBlocks, headsKV, blockSize, D] (f32 or f16), a flat u32 block
 * table (each sequence's block ids, concatenated) and one SeqInfo per sequence.
 *
 * Two kernels, same grid, bindings and outputs (shaders/paged-bindings.wgsl): the decode kernel
 * (paged-decode-wgsl.ts, teams of lanes per token with subgroup shuffles; the default wherever
 * subgroups are offered and the shape fits its register budget) and the portable kernel
 * (shaders/paged-attention.wgsl, one thread per token, no subgroups).
 *
 * Grid: one workgroup per (partition, KV head x row tile, sequence).
 * A row tile is up to 8 query rows of one KV head's GQA group (its group_size heads x Lq queries),
 * so each K/V block is read once per KV head (once per tile when group_size x Lq > 8).
 *
 * Split-K: with it, each sequence's KV is cut into partitions of `partitionSize` tokens (default
 * 512, vLLM v2's), each a workgroup writing a partial (o, lse), reduced by the shared LSE merge
 * (lse-merge.ts). Without it, one partition spans the longest sequence and the kernel writes o and
 * lse directly, no merge pass. `splitK: 'auto'` (the default) turns it on when the longest sequence
 * spans more than one partition and either the grid without split-K is small
 * (< SPLIT_K_MIN_WORKGROUPS workgroups, too few to keep a large GPU's loads in flight) or the longest sequence is
 * over SPLIT_K_LONG tokens (as vLLM, which always splits past 8192 so that a few long sequences do
 * not serialize on a few workgroups). With `computeUnits` (a number, or 'adapter': looked up in
 * compute-units.ts) auto split-K is planned from the GPU's size instead: on while the unsplit grid is
 * under units x SPLIT_K_WORKGROUPS_PER_UNIT workgroups, with partitions (64-token multiples, at least
 * SPLIT_K_MIN_PARTITION) that bring it there; not the default until measured (issue 12's ladder).
 *
 * Pool shards (src/paged/shards.ts): when one pool would exceed maxStorageBufferBindingSize or
 * maxBufferSize, runs of consecutive sequences get pools, tables and a dispatch of their own (in the
 * same pass; a block shared across shards is stored in each), so the batch is limited by device
 * memory, not by one binding. The variant names the shard count when there is more than one.
 *
 * Bytes moved: Q + O + LSE, each sequence's K and V once (shared blocks count once per sequence,
 * since each sequence reads them), the block tables and sequence table, and with split-K the
 * partials written and read back by the merge.
 */

export const PAGED_WG = 64;
/** Lanes per token of the decode kernel: at most this, the subgroup size and D / 8. */
const DECODE_MAX_LANES = 16;
/**
 * Lanes per token the decode kernel prefers (more when fewer would exceed the register budget): on
 * the H200, 8 lanes with 4 tokens a step and prefetching read 3.49-3.77 TB/s on unshared B 16-512 x
 * 16640 where 16 lanes without read 3.00-3.16 (benches/results/h200-paged-ladder-f16.json).
 */
const DECODE_PREFERRED_LANES = 8;
/** 16-byte K (or V) loads a lane a step at most, by default: tokens a step x words a lane. */
const DECODE_MAX_STEP_WORDS = 8;
/** Invocations of the decode kernel: at most this, and at most 8 teams (the merge tree's memory). */
const DECODE_WG = 32;
/**
 * Per-lane register budget of the decode kernel: rows x (8-element words a lane) query/accumulator
 * slices, and rows x unroll scores. Past it the portable kernel runs (GPUs spill; SwiftShader's
 * compiler ran out of memory on 24 GiB with 8 rows x 4 tokens).
 */
const DECODE_MAX_ROW_WORDS = 8;
const DECODE_MAX_ROW_TOKENS = 16;
const DECODE_MAX_UNROLL = 4;

/**
 * Shape of the decode kernel (paged-decode-wgsl.ts: teams of lanes per token, subgroup shuffles),
 * or why the portable kernel runs instead. It is the default wherever the adapter offers subgroups;
 * `subgroups: false` asks for the portable kernel.
 */
export function pagedSubgroupShape(
  spec: ProblemSpec,
  gpu: GpuContext,
  rowsPerTile: number,
  options: KernelOptions,
): PagedDecodeShape | string {
  if (options.subgroups === false) return 'subgroups turned off';
  if (!gpu.features.subgroups) return 'the adapter offers no subgroups';
  if (gpu.subgroupMinSize < 2) return `the adapter's smallest subgroup (${gpu.subgroupMinSize}) is under 2 lanes`;
  if (spec.headDim % 8 !== 0) return `head dim ${spec.headDim} is not a multiple of 8`;
  let maxLanes = 1;
  while (maxLanes * 2 <= Math.min(DECODE_MAX_LANES, gpu.subgroupMinSize) && (spec.headDim / 8) % (maxLanes * 2) === 0)
    maxLanes *= 2;
  // The preferred lane count, doubled while the rows' words would not fit the register budget.
  let lanes = Math.min(DECODE_PREFERRED_LANES, maxLanes);
  while (rowsPerTile * (spec.headDim / 8 / lanes) > DECODE_MAX_ROW_WORDS && lanes * 2 <= maxLanes) lanes *= 2;
  if (options.decodeLanes !== undefined) {
    if (options.decodeLanes > gpu.subgroupMinSize)
      return `decode lanes ${options.decodeLanes} exceed the adapter's smallest subgroup (${gpu.subgroupMinSize})`;
    lanes = options.decodeLanes;
  }
  const words = spec.headDim / 8 / lanes;
  // An explicit shape may use twice the default register budget (a ladder on a real GPU), no more.
  const explicit = options.decodeLanes !== undefined || options.decodeUnroll !== undefined;
  const budget = explicit ? 2 * DECODE_MAX_ROW_WORDS : DECODE_MAX_ROW_WORDS;
  if (rowsPerTile * words > budget)
    return `${rowsPerTile} rows x ${words} words a lane exceed the decode kernel's register budget (${budget})`;
  const shape: PagedDecodeShape = {
    headDim: spec.headDim,
    lanes,
    wg: options.decodeWg ?? Math.min(DECODE_WG, 8 * lanes),
    rows: rowsPerTile,
    blockSize: options.blockSize ?? DEFAULT_BLOCK_SIZE,
    unroll:
      options.decodeUnroll ??
      Math.max(
        1,
        Math.min(
          DECODE_MAX_UNROLL,
          Math.floor(DECODE_MAX_ROW_TOKENS / rowsPerTile),
          Math.floor(DECODE_MAX_STEP_WORDS / Math.max(1, words)),
        ),
      ),
    prefetch: options.decodePrefetch ?? true,
  };
  if (rowsPerTile * shape.unroll > 2 * DECODE_MAX_ROW_TOKENS)
    return `${rowsPerTile} rows x ${shape.unroll} tokens exceed the decode kernel's register budget (${2 * DECODE_MAX_ROW_TOKENS})`;
  if (shape.wg > gpu.limits.maxComputeInvocationsPerWorkgroup)
    return `decode wg ${shape.wg} exceeds maxComputeInvocationsPerWorkgroup (${gpu.limits.maxComputeInvocationsPerWorkgroup})`;
  const why = pagedDecodeShapeProblem(shape);
  if (why) return why;
  const bytes = pagedDecodeWorkgroupBytes(shape);
  if (bytes > gpu.limits.maxComputeWorkgroupStorageSize)
    return `the decode kernel needs ${bytes} bytes of workgroup memory; maxComputeWorkgroupStorageSize is ${gpu.limits.maxComputeWorkgroupStorageSize}`;
  return shape;
}
export const PAGED_MAX_ROWS = 8;
export const DEFAULT_BLOCK_SIZE = 16;
export const DEFAULT_PARTITION_SIZE = 512;
/**
 * Below this many workgroups without split-K, auto split-K is on. From the H100 runs (decode
 * kernel, 32-invocation workgroups, f16, GQA 4:1, suffix 256; benches/results/h100-*): grids of
 * 4096 workgroups (B 512, P 4096) read 3.58 TB/s unsplit, grids of 1024 (B 128, P 4096) only
 * 2.33 TB/s, too few warps a multiprocessor to hide the loads' latency.
 */
export const SPLIT_K_MIN_WORKGROUPS = 2048;
export const SPLIT_K_LONG = 8192;
/**
 * With the GPU's compute units known (KernelOptions.computeUnits): workgroups one unit is taken to
 * run at once (32 one-warp decode workgroups, an NVIDIA SM's block limit), so a GPU's worth is
 * units x this; auto split-K cuts partitions until the grid reaches it, none shorter than
 * SPLIT_K_MIN_PARTITION tokens (shorter ones cost more in partials and merge than they add).
 */
export const SPLIT_K_WORKGROUPS_PER_UNIT = 32;
export const SPLIT_K_MIN_PARTITION = 128;

export interface PagedPlan {
  readonly blockSize: number;
  readonly splitK: boolean;
  /** Tokens per partition (the longest sequence when split-K is off). */
  readonly partitionSize: number;
  /** Partitions of each sequence (1 each without split-K). */
  readonly parts: readonly number[];
  readonly maxParts: number;
  readonly rowsPerTile: number;
  readonly rowTiles: number;
  readonly poolBlocks: number;
  readonly tableEntries: number;
  /** Partial (o, lse) rows with split-K; 0 without. */
  readonly partials: number;
}

function optionProblem(options: KernelOptions): string | null {
  const bs = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (!BLOCK_SIZES.includes(bs)) return `block size ${bs} is not one of ${BLOCK_SIZES.join(', ')}`;
  const p = options.partitionSize ?? DEFAULT_PARTITION_SIZE;
  if (!Number.isInteger(p) || p < 1) return `partition size ${p} must be a positive integer`;
  const s = options.splitK ?? 'auto';
  if (s !== true && s !== false && s !== 'auto') return `splitK ${String(s)} must be true, false or 'auto'`;
  const posInt = (n: number | undefined) => n === undefined || (Number.isInteger(n) && n >= 1);
  const { decodeLanes: l, decodeWg: wg, decodeUnroll: u, computeUnits: cu } = options;
  if (!posInt(l) || (l !== undefined && (l & (l - 1)) !== 0)) return `decode lanes ${l} must be a power of two`;
  if (!posInt(wg)) return `decode wg ${wg} must be a positive integer`;
  if (!posInt(u) || (u ?? 1) > 2 * DECODE_MAX_UNROLL)
    return `decode unroll ${u} must be an integer from 1 to ${2 * DECODE_MAX_UNROLL}`;
  if (cu !== 'adapter' && !posInt(cu)) return `compute units ${String(cu)} must be a positive integer or 'adapter'`;
  return null;
}

export function pagedPlan(spec: ProblemSpec, options: KernelOptions): PagedPlan {
  const why = optionProblem(options);
  if (why) throw new Error(`paged kernel: ${why}`);
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  const lens = sequenceLengths(spec);
  const maxLen = Math.max(...lens);
  const B = batchSize(spec);
  const rowsPerGroup = (spec.headsQ / spec.headsKV) * spec.queriesPerSeq;
  const rowsPerTile = Math.min(PAGED_MAX_ROWS, rowsPerGroup);
  const rowTiles = Math.ceil(rowsPerGroup / rowsPerTile);
  const mode = options.splitK ?? 'auto';
  const units = typeof options.computeUnits === 'number' ? options.computeUnits : undefined;
  const grid = B * spec.headsKV * rowTiles;
  let P = options.partitionSize ?? DEFAULT_PARTITION_SIZE;
  let splitK: boolean;
  if (mode === 'auto' && units !== undefined) {
    // A GPU's worth of workgroups: as many partitions as it takes to reach it, 64-token multiples.
    const target = units * SPLIT_K_WORKGROUPS_PER_UNIT;
    const n = Math.ceil(target / grid);
    P = options.partitionSize ?? Math.max(SPLIT_K_MIN_PARTITION, 64 * Math.ceil(maxLen / n / 64));
    splitK = grid < target && maxLen > P;
  } else {
    splitK = mode === 'auto' ? maxLen > P && (grid < SPLIT_K_MIN_WORKGROUPS || maxLen > SPLIT_K_LONG) : mode;
  }
  const partitionSize = splitK ? P : maxLen;
  const parts = lens.map((L) => (splitK ? Math.ceil(L / P) : 1));
  const rowsPerSeq = spec.headsQ * spec.queriesPerSeq;
  return {
    blockSize,
    splitK,
    partitionSize,
    parts,
    maxParts: Math.max(...parts),
    rowsPerTile,
    rowTiles,
    poolBlocks: pagedPoolBlocks(spec, blockSize),
    tableEntries: lens.reduce((a, L) => a + Math.ceil(L / blockSize), 0),
    partials: splitK ? parts.reduce((a, n) => a + n * rowsPerSeq, 0) : 0,
  };
}

/** u32 words of one sequence's SeqInfo (shaders/paged-bindings.wgsl). */
const SEQ_WORDS = 5;

const blockBytes = (spec: ProblemSpec, plan: PagedPlan, f: KvFormat): number =>
  spec.headsKV * plan.blockSize * spec.headDim * kvFormatBytes(f);

/** The pool shards for this device (one when the whole pool fits one buffer), or why a sequence alone does not fit. */
function poolShards(spec: ProblemSpec, plan: PagedPlan, format: KvFormat, gpu: GpuContext): PoolShard[] | string {
  const { maxStorageBufferBindingSize: binding, maxBufferSize: buffer } = gpu.limits;
  const limit = binding <= buffer ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
  return planPoolShards(spec, plan.blockSize, blockBytes(spec, plan, format), Math.min(binding, buffer), limit);
}

function cost(spec: ProblemSpec, plan: PagedPlan, format: KvFormat): KernelCost {
  const tables = 4 * plan.tableEntries + 4 * SEQ_WORDS * batchSize(spec);
  const partials = 2 * plan.partials * (spec.headDim + 1) * 4;
  return {
    bytesMoved: queryOutputBytes(spec) + perSequenceKvBytes(spec, kvFormatBytes(format)) + tables + partials,
    flops: attentionFlops(spec),
  };
}

/** `options` with computeUnits 'adapter' replaced by the adapter's count (absent when it is not known). */
function withUnits(options: KernelOptions, gpu: GpuContext): KernelOptions {
  if (options.computeUnits !== 'adapter') return options;
  return { ...options, computeUnits: resolveComputeUnits('adapter', gpu.adapter) };
}

function buffers(spec: ProblemSpec, gpu: GpuContext, given: KernelOptions): BufferRequest[] {
  const options = withUnits(given, gpu);
  const plan = pagedPlan(spec, options);
  const format = kvFormatFor(spec.kvDtype, gpu);
  const found = poolShards(spec, plan, format, gpu);
  // Without shards that fit, the one pool is listed, and the buffer check names the limit it exceeds.
  const shards: readonly PoolShard[] =
    typeof found === 'string' ? [{ first: 0, count: batchSize(spec), poolBlocks: plan.poolBlocks }] : found;
  const list: BufferRequest[] = [{ label: 'q', bytes: qElements(spec) * 4 }];
  const lens = sequenceLengths(spec);
  shards.forEach((s, i) => {
    const of = shards.length > 1 ? `, shard ${i + 1} of ${shards.length}` : '';
    const pool = s.poolBlocks * blockBytes(spec, plan, format);
    const entries = lens.slice(s.first, s.first + s.count).reduce((a, L) => a + Math.ceil(L / plan.blockSize), 0);
    list.push(
      { label: `k pool (${s.poolBlocks} blocks of ${plan.blockSize}${of})`, bytes: pool },
      { label: `v pool (${s.poolBlocks} blocks of ${plan.blockSize}${of})`, bytes: pool },
      { label: `sequence table${of}`, bytes: 4 * SEQ_WORDS * s.count },
      { label: `block table${of}`, bytes: 4 * Math.max(1, entries) },
    );
  });
  list.push({ label: 'o', bytes: qElements(spec) * 4 }, { label: 'lse', bytes: lseElements(spec) * 4 });
  if (plan.splitK) {
    list.push(
      { label: 'partial o', bytes: plan.partials * spec.headDim * 4 },
      { label: 'partial lse', bytes: plan.partials * 4 },
      { label: 'merge tables', bytes: lseMergeTableBytes(lseElements(spec), plan.partials) },
    );
  }
  return list;
}

function unsupported(spec: ProblemSpec, gpu: GpuContext, given: KernelOptions): string | null {
  const why = optionProblem(given);
  if (why) return why;
  const options = withUnits(given, gpu);
  if (spec.headDim % 4 !== 0 || spec.headDim > 4 * PAGED_WG)
    return `headDim ${spec.headDim} must be a multiple of 4, at most ${4 * PAGED_WG}`;
  const plan = pagedPlan(spec, options);
  const max = gpu.limits.maxComputeWorkgroupsPerDimension;
  const dims: [string, number][] = [
    ['partitions of the longest sequence', plan.maxParts],
    ['headsKV x row tiles', spec.headsKV * plan.rowTiles],
    ['batch', batchSize(spec)],
  ];
  for (const [what, n] of dims) {
    if (n > max) return `${what} = ${n} exceeds maxComputeWorkgroupsPerDimension (${max})`;
  }
  const shards = poolShards(spec, plan, kvFormatFor(spec.kvDtype, gpu), gpu);
  return typeof shards === 'string' ? shards : null;
}

/**
 * Pools of hashed runs built for a problem, by block size and shard: they hold no values (a few
 * numbers a block), so the variants of one benchmark config (the ladder runs 15 on B 512 x 16640,
 * 532k blocks) build them once. Pools of host values are built afresh each time (they are the
 * size of the K/V), as are pools with test options.
 */
const hashedPools = new WeakMap<ProblemData, Map<string, PagedCacheBuild>>();

function shardCache(
  data: ProblemData,
  shard: PoolShard,
  blockSize: number,
  cacheOptions: PagedCacheOptions,
): PagedCacheBuild {
  const build = () => buildPagedCache({ ...data, spec: shardSpec(data.spec, shard) }, blockSize, cacheOptions);
  if (!data.kvHashed || Object.keys(cacheOptions).length > 0) return build();
  let byKey = hashedPools.get(data);
  if (!byKey) {
    byKey = new Map();
    hashedPools.set(data, byKey);
  }
  const key = `${blockSize}/${shard.first}/${shard.count}`;
  let got = byKey.get(key);
  if (!got) {
    got = build();
    byKey.set(key, got);
  }
  return got;
}

/**
 * Prepare the paged kernel; `cacheOptions` lets tests poison unused block rows with NaN and
 * scramble the block order. The descriptor's prepare() is this with no cache options.
 */
export function preparePaged(
  gpu: GpuContext,
  data: ProblemData,
  given: KernelOptions,
  cacheOptions: PagedCacheOptions = {},
): PreparedKernel {
  const spec = data.spec;
  const options = withUnits(given, gpu);
  const why = unsupported(spec, gpu, options);
  if (why) throw new Error(`paged kernel: ${why}`);
  checkBufferPlan(gpu, buffers(spec, gpu, options), 'paged kernel');
  const plan = pagedPlan(spec, options);
  const format = kvFormatFor(spec.kvDtype, gpu);
  const B = batchSize(spec);
  const D = spec.headDim;
  const rowsPerSeq = spec.headsQ * spec.queriesPerSeq;

  const shardList = poolShards(spec, plan, format, gpu);
  if (typeof shardList === 'string') throw new Error(`paged kernel: ${shardList}`);
  const lens = sequenceLengths(spec);
  // Each sequence's first partial (split-K) or output row (without), in batch order across shards.
  const outBase: number[] = [];
  const rowParts: number[][] = [];
  let partBase = 0;
  for (let b = 0; b < B; b++) {
    const n = plan.parts[b];
    outBase.push(plan.splitK ? partBase : b * rowsPerSeq);
    if (plan.splitK) {
      for (let r = 0; r < rowsPerSeq; r++) rowParts.push(Array.from({ length: n }, (_, p) => partBase + r * n + p));
      partBase += n * rowsPerSeq;
    }
  }

  const params = new ArrayBuffer(48);
  const u = new Uint32Array(params);
  const f = new Float32Array(params);
  u.set([spec.headsQ, spec.headsKV, spec.headsQ / spec.headsKV, spec.queriesPerSeq, spec.causal ? 1 : 0]);
  f[5] = spec.scale;
  u.set([(spec.headsQ / spec.headsKV) * spec.queriesPerSeq, plan.rowTiles, plan.partitionSize], 6);
  f[9] = Number.NEGATIVE_INFINITY;

  const sg = pagedSubgroupShape(spec, gpu, plan.rowsPerTile, options);
  const compute: GPUProgrammableStage =
    typeof sg === 'string'
      ? {
          module: gpu.shader(
            `paged-attention/${format}`,
            kvShaderSource(format) + pagedBindingsWgsl + pagedAttentionWgsl + rowTileWgsl,
          ),
          entryPoint: 'main',
          constants: { HEAD_DIM: D, WG: PAGED_WG, ROWS: plan.rowsPerTile, BLOCK_SIZE: plan.blockSize },
        }
      : {
          // `enable subgroups;` must precede every declaration, so it comes before the K/V snippet.
          module: gpu.shader(
            `paged-decode/${format}/D${D}/L${sg.lanes}/W${sg.wg}/R${sg.rows}/BS${sg.blockSize}/U${sg.unroll}${sg.prefetch ? '/P' : ''}`,
            `enable subgroups;\n${kv8ShaderSource(format)}${pagedBindingsWgsl}${pagedDecodeWgsl(sg)}`,
          ),
          entryPoint: 'main',
        };
  const key = `paged-${typeof sg === 'string' ? 'attention' : `decode-L${sg.lanes}W${sg.wg}U${sg.unroll}${sg.prefetch ? 'P' : ''}`}/${format}/D${D}/R${plan.rowsPerTile}/BS${plan.blockSize}`;
  const pipeline = gpu.pipeline(key, () => ({ label: key, layout: 'auto', compute }));

  const q = uploadStorage(gpu, 'q', data.q);
  const uniform = uploadUniform(gpu, 'paged params', new Uint8Array(params));
  const o = createOutputBuffer(gpu, 'o', qElements(spec) * 4);
  const lse = createOutputBuffer(gpu, 'lse', lseElements(spec) * 4);
  const partO = plan.splitK ? createOutputBuffer(gpu, 'partial o', plan.partials * D * 4) : null;
  const partLse = plan.splitK ? createOutputBuffer(gpu, 'partial lse', plan.partials * 4) : null;
  // Per shard: its sequences' blocks in a cache of their own (built, uploaded and dropped one shard
  // at a time, so the host holds one shard's pool at once), their block tables and SeqInfos.
  const shards = shardList.map((s, i) => {
    const of = shardList.length > 1 ? ` (shard ${i + 1} of ${shardList.length})` : '';
    const { cache, sequenceIds } = shardCache(data, s, plan.blockSize, cacheOptions);
    const seqWords = new Uint32Array(s.count * SEQ_WORDS);
    const blocks: number[] = [];
    for (let j = 0; j < s.count; j++) {
      const b = s.first + j;
      const t = cache.table(sequenceIds[j]);
      if (t.length !== lens[b])
        throw new Error(`paged kernel: sequence ${b} has ${t.length} tokens, expected ${lens[b]}`);
      seqWords.set([lens[b], blocks.length, outBase[b], plan.splitK ? plan.parts[b] : 1, b], j * SEQ_WORDS);
      for (const blk of t.blocks) blocks.push(blk);
    }
    // Hashed K/V are written by the GPU from the pool's runs; host K/V are encoded and uploaded.
    const pool =
      cache.pool.storage === 'runs'
        ? createHashedPool(gpu, cache.pool, format, `pool${of}`, cacheOptions.poison)
        : {
            k: uploadStorage(gpu, `k pool${of}`, encodeKv(cache.pool.k, format)),
            v: uploadStorage(gpu, `v pool${of}`, encodeKv(cache.pool.v, format)),
          };
    const owned = [
      pool.k,
      pool.v,
      uploadStorage(gpu, `paged sequence table${of}`, seqWords),
      uploadStorage(gpu, `paged block table${of}`, Uint32Array.from(blocks.length > 0 ? blocks : [0])),
    ];
    const [k, v, seqBuf, tableBuf] = owned;
    const bindGroup = bindBuffers(gpu.device, pipeline, `${key}${of}`, [
      uniform,
      q,
      k,
      v,
      seqBuf,
      tableBuf,
      partO ?? o,
      partLse ?? lse,
    ]);
    return { count: s.count, bindGroup, owned };
  });
  const merge: LseMerge | null =
    partO && partLse ? createLseMerge(gpu, D, { partO, partLse, o, lse }, rowParts as RowParts) : null;

  const units = typeof options.computeUnits === 'number' ? `, planned for ${options.computeUnits} compute units` : '';
  const split = `${plan.splitK ? `split-K ${plan.partitionSize}` : 'no split-K'}${(options.splitK ?? 'auto') === 'auto' ? units : ''}`;
  const sharded = shards.length > 1 ? `, ${shards.length} pool shards` : '';
  return {
    variant: `paged (block ${plan.blockSize}, ${split}, ${typeof sg === 'string' ? 'portable' : `subgroups, ${sg.lanes} lanes a token, ${sg.wg} invocations, ${sg.unroll} tokens a step${sg.prefetch ? ', prefetch' : ''}`}, KV ${format}${sharded})`,
    o,
    lse,
    cost: cost(spec, plan, format),
    encode(_encoder, openPass) {
      const pass = openPass('paged');
      pass.setPipeline(pipeline);
      for (const s of shards) {
        pass.setBindGroup(0, s.bindGroup);
        pass.dispatchWorkgroups(plan.maxParts, spec.headsKV * plan.rowTiles, s.count);
      }
      pass.end();
      if (merge) {
        const mergePass = openPass('paged split-K merge');
        merge.dispatch(mergePass);
        mergePass.end();
      }
    },
    destroy() {
      merge?.destroy();
      for (const buf of [q, uniform, o, lse, partO, partLse, ...shards.flatMap((s) => s.owned)]) buf?.destroy();
    },
  };
}

export const pagedKernel: KernelDescriptor = {
  name: 'paged',
  title: 'Paged (vLLM): KV blocks through block tables, per-KV-head workgroups, split-K',
  readsHashedKv: true,
  unsupported,
  buffers,
  cost(spec, gpu, options) {
    return cost(spec, pagedPlan(spec, withUnits(options, gpu)), kvFormatFor(spec.kvDtype, gpu));
  },
  prepare(gpu, data, options) {
    return preparePaged(gpu, data, options);
  },
};
