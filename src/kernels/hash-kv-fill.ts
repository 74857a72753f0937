import hashKvWgsl from '../../shaders/hash-kv.wgsl?raw';
import lowbias32Wgsl from '../../shaders/lowbias32.wgsl?raw';
import { bindBuffers } from '../gpu/bind-group';
import { alignedBufferSize, uploadStorage, uploadUniform, writeBuffer } from '../gpu/buffers';
import type { GpuContext } from '../gpu/context';
import type { BlockPool } from '../paged/block-pool';
import { type KvFormat, kvFormatBytes } from './kv-format';

/**
 * K/V pool buffers filled on the GPU from a pool of hashed runs (BlockPool storage 'runs'): every
 * live block's rows get the hash of src/problem/hash-kv.ts (shaders/hash-kv.wgsl), in the pool's
 * layout [numBlocks, headsKV, blockSize, D] and the format's bytes (f16-native and f16-packed store
 * the same bytes). Nothing the size of the pool passes through the host: the upload is the run
 * table, 20 bytes a run (one run a block for unshared sequences).
 */

const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
/** u32 words of one FillRun. */
const RUN_WORDS = 5;

export interface FilledPool {
  readonly k: GPUBuffer;
  readonly v: GPUBuffer;
}

/** The u32 run table of a pool of hashed runs (FillRun of shaders/hash-kv.wgsl), in block order. */
export function hashFillRuns(pool: BlockPool): Uint32Array {
  return pool.runTable();
}

/**
 * Create K and V pool buffers for `pool` and fill them on the GPU (submitted before this returns).
 * Rows that hold no token are zero, or `poison` (the tests' NaN), written from the host first.
 */
export function createHashedPool(
  gpu: GpuContext,
  pool: BlockPool,
  format: KvFormat,
  label: string,
  poison?: number,
): FilledPool {
  if (pool.storage !== 'runs') throw new Error('createHashedPool: the pool holds host values, not hashed runs');
  const f16 = format !== 'f32';
  if (f16 && pool.headDim % 2 !== 0) throw new Error(`hashed f16 K/V: head dim ${pool.headDim} is odd`);
  const bytes = alignedBufferSize(pool.numBlocks * pool.blockElements * kvFormatBytes(format));
  const usage = STORAGE | COPY_SRC | COPY_DST;
  const k = gpu.device.createBuffer({ label: `k ${label}`, size: bytes, usage });
  const v = gpu.device.createBuffer({ label: `v ${label}`, size: bytes, usage });
  if (poison !== undefined && poison !== 0) {
    const words = new Uint32Array(bytes / 4);
    if (f16) {
      const h = new Uint16Array(words.buffer);
      h.fill(Number.isNaN(poison) ? 0x7e00 : 0x7c00);
    } else new Float32Array(words.buffer).fill(poison);
    writeBuffer(gpu, k, words);
    writeBuffer(gpu, v, words);
  }
  const runTable = hashFillRuns(pool);
  const runs = runTable.length / RUN_WORDS;
  if (runs === 0) return { k, v };
  const gridX = Math.min(runs, gpu.limits.maxComputeWorkgroupsPerDimension);
  const gridY = Math.ceil(runs / gridX);
  if (gridY > gpu.limits.maxComputeWorkgroupsPerDimension)
    throw new Error(`hashed K/V: ${runs} runs exceed the fill's grid (${gridX} x ${gridY})`);
  const params = uploadUniform(
    gpu,
    'hash fill params',
    Uint32Array.from([runs, gridX, pool.headsKV, pool.blockSize, pool.headDim, f16 ? 1 : 0, 0, 0]),
  );
  const table = uploadStorage(gpu, 'hash fill runs', runTable);
  const pipeline = gpu.pipeline('hash-kv-fill', () => ({
    label: 'hash-kv fill',
    layout: 'auto',
    compute: { module: gpu.shader('hash-kv', lowbias32Wgsl + hashKvWgsl), entryPoint: 'fill' },
  }));
  const encoder = gpu.device.createCommandEncoder({ label: `hash fill ${label}` });
  const pass = encoder.beginComputePass({ label: `hash fill ${label}` });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindBuffers(gpu.device, pipeline, 'hash fill', [params, table, k, v]));
  pass.dispatchWorkgroups(gridX, gridY);
  pass.end();
  gpu.device.queue.submit([encoder.finish()]);
  // Released once the submitted fill has run.
  params.destroy();
  table.destroy();
  return { k, v };
}
