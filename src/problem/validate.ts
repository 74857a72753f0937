import type { KvDtype, ProblemSpec, SegmentSpec } from './problem';

/**
 * Validation of user-written problems (problem.json, the page's form, presets) into a
 * frozen ProblemSpec with every default resolved. Every refusal names the field path and its value.
 */

/** A problem the user wrote that cannot be run: `field` is the path (e.g. "sequences[1][0]"), `value` what was there. */
export class ProblemError extends Error {
  readonly field: string;
  readonly value: unknown;
  constructor(field: string, value: unknown, message: string) {
    super(message);
    this.name = 'ProblemError';
    this.field = field;
    this.value = value;
  }
}

export const MAX_HEADS = 256;
export const MIN_HEAD_DIM = 16;
export const MAX_HEAD_DIM = 256;
/** Upper bound on one segment's length and on queriesPerSeq; totals are left to the GPU layer. */
export const MAX_LENGTH = 1 << 24;
export const MAX_SEGMENTS = 1 << 16;
export const MAX_SEQUENCES = 1 << 16;
export const SEGMENT_ID_PATTERN = /^[A-Za-z0-9_-]+$/;
export const KV_DTYPES: readonly KvDtype[] = ['f32', 'f16'];

/** A short, readable rendering of a value for messages. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined)
    return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function integerField(obj: Record<string, unknown>, field: string, path: string, min: number, max: number): number {
  const v = obj[field];
  if (v === undefined) throw new ProblemError(path, v, `${path} is missing`);
  if (typeof v !== 'number') throw new ProblemError(path, v, `${path} (${show(v)}) must be a number`);
  if (!Number.isInteger(v)) throw new ProblemError(path, v, `${path} (${v}) must be an integer`);
  if (v < min) throw new ProblemError(path, v, `${path} (${v}) must be at least ${min}`);
  if (v > max) throw new ProblemError(path, v, `${path} (${v}) must be at most ${max}`);
  return v;
}

function segmentId(v: unknown, path: string): string {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0)
      throw new ProblemError(path, v, `${path} (${v}) must be a non-negative integer or a string`);
    return String(v);
  }
  if (typeof v !== 'string') throw new ProblemError(path, v, `${path} (${show(v)}) must be a string or a number`);
  if (!SEGMENT_ID_PATTERN.test(v))
    throw new ProblemError(path, v, `${path} (${show(v)}) may contain only letters, digits, '_' and '-'`);
  return v;
}

const KNOWN_FIELDS = new Set([
  'headsQ',
  'headsKV',
  'headDim',
  'queriesPerSeq',
  'causal',
  'scale',
  'kvDtype',
  'segments',
  'sequences',
]);

/** Validate a ProblemInput-shaped value and resolve its defaults. Throws ProblemError. */
export function resolveProblem(input: unknown): ProblemSpec {
  if (!isRecord(input)) throw new ProblemError('', input, `a problem must be an object, got ${show(input)}`);
  for (const key of Object.keys(input)) {
    if (!KNOWN_FIELDS.has(key))
      throw new ProblemError(
        key,
        input[key],
        `unknown field ${JSON.stringify(key)}; expected one of ${[...KNOWN_FIELDS].join(', ')}`,
      );
  }

  const headsQ = integerField(input, 'headsQ', 'headsQ', 1, MAX_HEADS);
  const headsKV = integerField(input, 'headsKV', 'headsKV', 1, MAX_HEADS);
  if (headsQ % headsKV !== 0)
    throw new ProblemError('headsQ', headsQ, `headsQ (${headsQ}) must be a multiple of headsKV (${headsKV})`);
  const rawDim = input.headDim;
  if (
    typeof rawDim !== 'number' ||
    !Number.isInteger(rawDim) ||
    rawDim % 4 !== 0 ||
    rawDim < MIN_HEAD_DIM ||
    rawDim > MAX_HEAD_DIM
  ) {
    const what = rawDim === undefined ? 'headDim is missing; it' : `headDim (${show(rawDim)})`;
    throw new ProblemError(
      'headDim',
      rawDim,
      `${what} must be a multiple of 4 between ${MIN_HEAD_DIM} and ${MAX_HEAD_DIM}`,
    );
  }
  const headDim = rawDim;
  const queriesPerSeq = integerField(input, 'queriesPerSeq', 'queriesPerSeq', 1, MAX_LENGTH);

  let causal = true;
  if (input.causal !== undefined) {
    if (typeof input.causal !== 'boolean')
      throw new ProblemError('causal', input.causal, `causal (${show(input.causal)}) must be true or false`);
    causal = input.causal;
  }

  const scaleIn = input.scale;
  let scale = 1 / Math.sqrt(headDim);
  if (scaleIn !== undefined) {
    if (typeof scaleIn !== 'number' || !Number.isFinite(scaleIn) || scaleIn <= 0)
      throw new ProblemError('scale', scaleIn, `scale (${show(scaleIn)}) must be a finite positive number`);
    scale = scaleIn;
  }

  let kvDtype: KvDtype = 'f32';
  if (input.kvDtype !== undefined) {
    const d = input.kvDtype;
    if (typeof d !== 'string' || !(KV_DTYPES as readonly string[]).includes(d))
      throw new ProblemError(
        'kvDtype',
        d,
        `kvDtype (${show(d)}) must be one of ${KV_DTYPES.map((x) => `"${x}"`).join(', ')}`,
      );
    kvDtype = d as KvDtype;
  }

  const segIn = input.segments;
  if (segIn === undefined) throw new ProblemError('segments', segIn, 'segments is missing');
  if (!Array.isArray(segIn)) throw new ProblemError('segments', segIn, `segments (${show(segIn)}) must be an array`);
  if (segIn.length === 0) throw new ProblemError('segments', segIn, 'segments is empty');
  if (segIn.length > MAX_SEGMENTS)
    throw new ProblemError(
      'segments',
      segIn,
      `segments has ${segIn.length} entries; at most ${MAX_SEGMENTS} are allowed`,
    );
  const segments: SegmentSpec[] = [];
  const lengths = new Map<string, number>();
  segIn.forEach((s: unknown, j) => {
    const path = `segments[${j}]`;
    if (!isRecord(s)) throw new ProblemError(path, s, `${path} (${show(s)}) must be an object {"id", "length"}`);
    for (const key of Object.keys(s)) {
      if (key !== 'id' && key !== 'length')
        throw new ProblemError(
          `${path}.${key}`,
          s[key],
          `${path}: unknown field ${JSON.stringify(key)}; expected id, length`,
        );
    }
    const id = segmentId(s.id, `${path}.id`);
    if (lengths.has(id))
      throw new ProblemError(`${path}.id`, s.id, `${path}.id: duplicate segment id ${JSON.stringify(id)}`);
    const length = integerField(s, 'length', `${path}.length`, 1, MAX_LENGTH);
    lengths.set(id, length);
    segments.push(Object.freeze({ id, length }));
  });

  const seqIn = input.sequences;
  if (seqIn === undefined) throw new ProblemError('sequences', seqIn, 'sequences is missing');
  if (!Array.isArray(seqIn)) throw new ProblemError('sequences', seqIn, `sequences (${show(seqIn)}) must be an array`);
  if (seqIn.length === 0)
    throw new ProblemError('sequences', seqIn, 'sequences is empty (the batch needs at least one sequence)');
  if (seqIn.length > MAX_SEQUENCES)
    throw new ProblemError(
      'sequences',
      seqIn,
      `sequences has ${seqIn.length} entries; at most ${MAX_SEQUENCES} are allowed`,
    );
  const sequences: (readonly string[])[] = [];
  seqIn.forEach((seq: unknown, b) => {
    const path = `sequences[${b}]`;
    if (!Array.isArray(seq))
      throw new ProblemError(path, seq, `${path} (${show(seq)}) must be an array of segment ids`);
    if (seq.length === 0) throw new ProblemError(path, seq, `${path} is empty`);
    const ids: string[] = [];
    // A Set, not ids.includes: a sequence may list 65,536 segments, and validation stays linear.
    const seen = new Set<string>();
    let total = 0;
    seq.forEach((raw: unknown, j) => {
      const p = `${path}[${j}]`;
      if (typeof raw !== 'string' && typeof raw !== 'number')
        throw new ProblemError(p, raw, `${p} (${show(raw)}) must be a segment id (a string or a number)`);
      const id = String(raw);
      const len = lengths.get(id);
      if (len === undefined) throw new ProblemError(p, raw, `${p}: unknown segment id ${JSON.stringify(id)}`);
      if (seen.has(id))
        throw new ProblemError(
          p,
          raw,
          `${p}: segment ${JSON.stringify(id)} is listed twice in sequence ${b}; a sequence's KV is a concatenation of distinct segments`,
        );
      seen.add(id);
      ids.push(id);
      total += len;
    });
    if (queriesPerSeq > total)
      throw new ProblemError(
        'queriesPerSeq',
        queriesPerSeq,
        `queriesPerSeq (${queriesPerSeq}) exceeds the length of sequence ${b} (${total})`,
      );
    sequences.push(Object.freeze(ids));
  });

  return Object.freeze({
    headsQ,
    headsKV,
    headDim,
    queriesPerSeq,
    causal,
    scale,
    kvDtype,
    segments: Object.freeze(segments),
    sequences: Object.freeze(sequences),
  });
}
