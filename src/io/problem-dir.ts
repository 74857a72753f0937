import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { f16BitsToF32, roundToF16, toF16Bits } from '../problem/f16';
import {
  type AttentionResult,
  batchSize,
  type ProblemData,
  type ProblemSpec,
  type SegmentKV,
  specToInput,
} from '../problem/problem';
import { resolveProblem } from '../problem/validate';
import { expectShape, type NpyArray, parseNpy, writeNpyFloat16, writeNpyFloat32 } from './npy';

/**
 * A problem directory on disk (Node only):
 *   problem.json        {"headsQ", "headsKV", "headDim", "queriesPerSeq", "causal", "scale"?, "kvDtype"?,
 *                        "segments": [{"id", "length"}], "sequences": [[ids...], ...]}
 *   q.npy               float32 [B, headsQ, Lq, D]
 *   seg_<id>_k.npy      float32 or float16 [headsKV, length, D], and seg_<id>_v.npy likewise
 * A result directory: o.npy float32 [B, headsQ, Lq, D] and lse.npy float32 [B, headsQ, Lq].
 */

/** Anything wrong with a problem or result directory: the message names the file. */
export class ProblemDirError extends Error {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.name = 'ProblemDirError';
    this.file = file;
  }
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ProblemDirError(file, code === 'ENOENT' ? 'file not found' : `cannot read: ${errorText(e)}`, {
      cause: e,
    });
  }
}

async function readNpy(file: string, shape: readonly number[]): Promise<NpyArray> {
  const bytes = await readBytes(file);
  // parseNpy and expectShape name the file in their messages already.
  const arr = parseNpy(bytes, file);
  expectShape(arr, shape, file);
  return arr;
}

/** The file's values as f32, rounded to f16 when `f16` (exact already for float16 files). */
function toF32(arr: NpyArray, f16: boolean, file: string): Float32Array {
  if (arr.dtype === 'float16') {
    const bits = arr.data as Uint16Array;
    const out = new Float32Array(bits.length);
    for (let i = 0; i < bits.length; i++) out[i] = f16BitsToF32(bits[i]);
    return out;
  }
  const src = arr.data as Float32Array | Float64Array;
  if (arr.dtype === 'float64')
    throw new ProblemDirError(file, 'float64 is not accepted here; save float32 (or float16 for K/V)');
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = f16 ? roundToF16(src[i]) : src[i];
  return out;
}

export const segmentFileName = (id: string, which: 'k' | 'v'): string => `seg_${id}_${which}.npy`;

export async function readProblemDir(dir: string): Promise<ProblemData> {
  const jsonFile = join(dir, 'problem.json');
  const text = new TextDecoder().decode(await readBytes(jsonFile));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ProblemDirError(jsonFile, `invalid JSON: ${errorText(e)}`, { cause: e });
  }
  let spec: ProblemSpec;
  try {
    spec = resolveProblem(json);
  } catch (e) {
    throw new ProblemDirError(jsonFile, errorText(e), { cause: e });
  }

  const B = batchSize(spec);
  const D = spec.headDim;
  const qFile = join(dir, 'q.npy');
  const qArr = await readNpy(qFile, [B, spec.headsQ, spec.queriesPerSeq, D]);
  if (qArr.dtype !== 'float32') throw new ProblemDirError(qFile, `q must be float32, got ${qArr.dtype}`);
  const q = qArr.data as Float32Array;

  const f16 = spec.kvDtype === 'f16';
  const kv = new Map<string, SegmentKV>();
  for (const s of spec.segments) {
    const shape = [spec.headsKV, s.length, D];
    const kFile = join(dir, segmentFileName(s.id, 'k'));
    const vFile = join(dir, segmentFileName(s.id, 'v'));
    const k = toF32(await readNpy(kFile, shape), f16, kFile);
    const v = toF32(await readNpy(vFile, shape), f16, vFile);
    kv.set(s.id, { k, v });
  }
  return { spec, q, kv };
}

/** Writes problem.json, q.npy and the segment files; K/V as float16 for f16 problems, float32 otherwise. */
export async function writeProblemDir(dir: string, data: ProblemData): Promise<void> {
  const { spec } = data;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'problem.json'), `${JSON.stringify(specToInput(spec), null, 2)}\n`);
  await writeFile(
    join(dir, 'q.npy'),
    writeNpyFloat32([batchSize(spec), spec.headsQ, spec.queriesPerSeq, spec.headDim], data.q),
  );
  for (const s of spec.segments) {
    const kv = data.kv.get(s.id);
    if (!kv) throw new Error(`writeProblemDir: no K/V for segment ${JSON.stringify(s.id)}`);
    const shape = [spec.headsKV, s.length, spec.headDim];
    for (const which of ['k', 'v'] as const) {
      const a = kv[which];
      const bytes = spec.kvDtype === 'f16' ? writeNpyFloat16(shape, toF16Bits(a)) : writeNpyFloat32(shape, a);
      await writeFile(join(dir, segmentFileName(s.id, which)), bytes);
    }
  }
}

/** Writes o.npy and lse.npy as float32. */
export async function writeResultDir(dir: string, result: AttentionResult, spec: ProblemSpec): Promise<void> {
  await mkdir(dir, { recursive: true });
  const rows = [batchSize(spec), spec.headsQ, spec.queriesPerSeq];
  await writeFile(join(dir, 'o.npy'), writeNpyFloat32([...rows, spec.headDim], Float32Array.from(result.o)));
  await writeFile(join(dir, 'lse.npy'), writeNpyFloat32(rows, Float32Array.from(result.lse)));
}

/** Reads o.npy and lse.npy (float32) written by writeResultDir or by another tool. */
export async function readResultDir(dir: string, spec: ProblemSpec): Promise<AttentionResult> {
  const rows = [batchSize(spec), spec.headsQ, spec.queriesPerSeq];
  const oFile = join(dir, 'o.npy');
  const lseFile = join(dir, 'lse.npy');
  const o = await readNpy(oFile, [...rows, spec.headDim]);
  const lse = await readNpy(lseFile, rows);
  for (const [file, arr] of [
    [oFile, o],
    [lseFile, lse],
  ] as const) {
    if (arr.dtype !== 'float32') throw new ProblemDirError(file, `expected float32, got ${arr.dtype}`);
  }
  return { o: o.data as Float32Array, lse: lse.data as Float32Array };
}
