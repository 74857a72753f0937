import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { f16BitsToF32, roundToF16, toF16Bits } from '../problem/f16';
import { F16_MAX, firstNonFinite, firstOutsideF16, scaledQueryOutsideF16 } from '../problem/input-range';
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

/** The largest problem.json read (README, "Limits"); a bigger one is refused before it is read. */
export const MAX_PROBLEM_JSON_BYTES = 32 * 2 ** 20;

function cannotRead(file: string, e: unknown): ProblemDirError {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'file not found'
      : code === 'EISDIR'
        ? 'is a directory, not a file'
        : `cannot read: ${errorText(e)}`;
  return new ProblemDirError(file, why, { cause: e });
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    throw cannotRead(file, e);
  }
}

async function readNpy(file: string, shape: readonly number[]): Promise<NpyArray> {
  const bytes = await readBytes(file);
  // parseNpy and expectShape name the file in their messages already.
  const arr = parseNpy(bytes, file);
  expectShape(arr, shape, file);
  return arr;
}

/** "[1, 0, 7]": the multi-index of a flat index in an array of `shape` (row-major). */
function indexText(flat: number, shape: readonly number[]): string {
  const out: number[] = [];
  let rest = flat;
  for (let a = shape.length - 1; a >= 0; a--) {
    out.unshift(rest % shape[a]);
    rest = Math.floor(rest / shape[a]);
  }
  return `[${out.join(', ')}]`;
}

/** Refuse NaN and ±Infinity, naming the file, the element and its value. */
function requireFinite(values: ArrayLike<number>, shape: readonly number[], file: string, what: string): void {
  const i = firstNonFinite(values);
  if (i >= 0) throw new ProblemDirError(file, `element ${indexText(i, shape)} is ${values[i]}; ${what} must be finite`);
}

/** The file's values as f32, rounded to f16 when `f16` (exact already for float16 files); finite, or refused. */
function toF32(arr: NpyArray, f16: boolean, file: string): Float32Array {
  if (arr.dtype === 'float16') {
    const bits = arr.data as Uint16Array;
    const out = new Float32Array(bits.length);
    for (let i = 0; i < bits.length; i++) out[i] = f16BitsToF32(bits[i]);
    requireFinite(out, arr.shape, file, 'K and V');
    return out;
  }
  const src = arr.data as Float32Array | Float64Array;
  if (arr.dtype === 'float64')
    throw new ProblemDirError(file, 'float64 is not accepted here; save float32 (or float16 for K/V)');
  requireFinite(src, arr.shape, file, 'K and V');
  if (!f16) return src as Float32Array; // parseNpy's own copy
  const over = firstOutsideF16(src);
  if (over >= 0)
    throw new ProblemDirError(
      file,
      `element ${indexText(over, arr.shape)} is ${src[over]}, outside f16's range (±${F16_MAX}) in a kvDtype "f16" problem`,
    );
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = roundToF16(src[i]);
  return out;
}

export const segmentFileName = (id: string, which: 'k' | 'v'): string => `seg_${id}_${which}.npy`;

/** Stat every file (in parallel batches); refuse the first missing (or non-file) one, saying how many more there are. */
async function requireFiles(files: readonly string[]): Promise<void> {
  const problems: (ProblemDirError | null)[] = new Array(files.length).fill(null);
  const BATCH = 256;
  for (let start = 0; start < files.length; start += BATCH) {
    await Promise.all(
      files.slice(start, start + BATCH).map(async (file, k) => {
        try {
          if (!(await stat(file)).isFile()) problems[start + k] = new ProblemDirError(file, 'is not a file');
        } catch (e) {
          problems[start + k] = cannotRead(file, e);
        }
      }),
    );
  }
  const missing = problems.filter((p) => p !== null);
  if (missing.length === 0) return;
  const [first] = missing;
  const more = missing.length - 1;
  throw new ProblemDirError(
    first.file,
    `${first.message.slice(first.file.length + 2)}${more > 0 ? ` (and ${more} more of the problem's ${files.length} files)` : ''}`,
  );
}

/**
 * Read and check a problem directory: problem.json (at most MAX_PROBLEM_JSON_BYTES, validated in
 * time linear in its size), then the existence of every .npy file it implies before any is read,
 * then each file: dtype, shape, and finite values (within f16's range for f16 problems, q·scale
 * included). Every refusal is a ProblemDirError naming the file.
 */
export async function readProblemDir(dir: string): Promise<ProblemData> {
  const jsonFile = join(dir, 'problem.json');
  let size: number;
  try {
    const st = await stat(jsonFile);
    if (!st.isFile()) throw new ProblemDirError(jsonFile, 'is not a file');
    size = st.size;
  } catch (e) {
    if (e instanceof ProblemDirError) throw e;
    throw cannotRead(jsonFile, e);
  }
  if (size > MAX_PROBLEM_JSON_BYTES)
    throw new ProblemDirError(
      jsonFile,
      `${size} bytes, over the ${MAX_PROBLEM_JSON_BYTES / 2 ** 20} MiB limit for problem.json`,
    );
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
  const segFiles = spec.segments.map((s) => ({
    s,
    kFile: join(dir, segmentFileName(s.id, 'k')),
    vFile: join(dir, segmentFileName(s.id, 'v')),
  }));
  await requireFiles([qFile, ...segFiles.flatMap((f) => [f.kFile, f.vFile])]);

  const qShape = [B, spec.headsQ, spec.queriesPerSeq, D];
  const qArr = await readNpy(qFile, qShape);
  if (qArr.dtype !== 'float32') throw new ProblemDirError(qFile, `q must be float32, got ${qArr.dtype}`);
  const q = qArr.data as Float32Array;
  requireFinite(q, qShape, qFile, 'q');
  const over = scaledQueryOutsideF16(spec, q);
  if (over)
    throw new ProblemDirError(
      qFile,
      `element ${indexText(over.index, qShape)} is ${over.q}; times scale ${spec.scale} that is ${over.scaled}, ` +
        `outside f16's range (±${F16_MAX}): the tensor-core Hydragen kernel stores q·scale as f16 in kvDtype "f16" problems`,
    );

  const f16 = spec.kvDtype === 'f16';
  const kv = new Map<string, SegmentKV>();
  for (const { s, kFile, vFile } of segFiles) {
    const shape = [spec.headsKV, s.length, D];
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
