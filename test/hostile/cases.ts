import { writeNpyFloat16, writeNpyFloat32, writeNpyFloat64 } from '../../src/io/npy';

/**
 * The project's corpus of hostile and careless inputs, one table per reader: problem directories
 * (problem.json and its .npy files), bare .npy files, result files for the page, and the page's URL
 * parameters. Every case names the message it expects (a string: exact; a RegExp: matched), so a
 * refusal that changes its words, or stops refusing, fails test/unit/hostile-inputs.test.ts.
 */

export type Expect = string | RegExp;

// ---------------------------------------------------------------------------------------------
// Problem directories

/** A valid problem: B 1, 2 query heads on 1 KV head, D 16, Lq 1, one segment "a" of 2 tokens. */
export const baseProblem = {
  headsQ: 2,
  headsKV: 1,
  headDim: 16,
  queriesPerSeq: 1,
  causal: true,
  kvDtype: 'f32',
  segments: [{ id: 'a', length: 2 }],
  sequences: [['a']],
};

const Q_SHAPE = [1, 2, 1, 16];
const KV_SHAPE = [1, 2, 16];
const ones = (n: number, at?: { index: number; value: number }) => {
  const a = new Float32Array(n).fill(0.5);
  if (at) a[at.index] = at.value;
  return a;
};
const f32 = (shape: number[], at?: { index: number; value: number }) =>
  writeNpyFloat32(
    shape,
    ones(
      shape.reduce((a, x) => a * x, 1),
      at,
    ),
  );

/** The files of the base problem, each replaceable by a case. */
export function baseFiles(): Record<string, string | Uint8Array> {
  return {
    'problem.json': JSON.stringify(baseProblem),
    'q.npy': f32(Q_SHAPE),
    'seg_a_k.npy': f32(KV_SHAPE),
    'seg_a_v.npy': f32(KV_SHAPE),
  };
}

export interface ProblemDirCase {
  readonly name: string;
  /** Files replacing the base problem's: text, bytes, null (absent), 'dir' (a directory), or { sparse: bytes }. */
  readonly files: Record<string, string | Uint8Array | null | 'dir' | { sparse: number }>;
  /** The message's end (after the directory path). */
  readonly expect: Expect;
}

const problem = (patch: Record<string, unknown>) => JSON.stringify({ ...baseProblem, ...patch });

export const problemDirCases: readonly ProblemDirCase[] = [
  { name: 'problem.json missing', files: { 'problem.json': null }, expect: 'problem.json: file not found' },
  { name: 'problem.json a directory', files: { 'problem.json': 'dir' }, expect: 'problem.json: is not a file' },
  {
    name: 'problem.json over the size limit',
    files: { 'problem.json': { sparse: 32 * 2 ** 20 + 1 } },
    expect: 'problem.json: 33554433 bytes, over the 32 MiB limit for problem.json',
  },
  { name: 'not JSON', files: { 'problem.json': '{"headsQ": ' }, expect: /^problem\.json: invalid JSON: / },
  {
    name: 'an array',
    files: { 'problem.json': '[]' },
    expect: 'problem.json: a problem must be an object, got an array of 0',
  },
  {
    name: 'unknown top-level field',
    files: { 'problem.json': problem({ batch: 4 }) },
    expect: /^problem\.json: unknown field "batch"; expected one of headsQ, /,
  },
  {
    name: 'unknown field inside a segment',
    files: { 'problem.json': problem({ segments: [{ id: 'a', length: 2, lenght: 3 }] }) },
    expect: 'problem.json: segments[0]: unknown field "lenght"; expected id, length',
  },
  {
    name: 'head dim not a multiple of 4',
    files: { 'problem.json': problem({ headDim: 30 }) },
    expect: 'problem.json: headDim (30) must be a multiple of 4 between 16 and 256',
  },
  {
    name: 'head dim a string',
    files: { 'problem.json': problem({ headDim: '16' }) },
    expect: 'problem.json: headDim ("16") must be a multiple of 4 between 16 and 256',
  },
  {
    name: 'segment id escaping the directory',
    files: { 'problem.json': problem({ segments: [{ id: '../a', length: 2 }], sequences: [['../a']] }) },
    expect: `problem.json: segments[0].id ("../a") may contain only letters, digits, '_' and '-'`,
  },
  {
    name: 'unknown segment in a sequence',
    files: { 'problem.json': problem({ sequences: [['a', 'b']] }) },
    expect: 'problem.json: sequences[0][1]: unknown segment id "b"',
  },
  {
    name: 'segment listed twice in a sequence',
    files: { 'problem.json': problem({ sequences: [['a', 'a']] }) },
    expect: /^problem\.json: sequences\[0\]\[1\]: segment "a" is listed twice in sequence 0/,
  },
  {
    name: 'Lq longer than the sequence',
    files: { 'problem.json': problem({ queriesPerSeq: 3 }) },
    expect: 'problem.json: queriesPerSeq (3) exceeds the length of sequence 0 (2)',
  },
  {
    name: 'scale not positive',
    files: { 'problem.json': problem({ scale: -1 }) },
    expect: 'problem.json: scale (-1) must be a finite positive number',
  },
  {
    name: 'every .npy file missing: reported before any is read',
    files: { 'q.npy': null, 'seg_a_k.npy': null, 'seg_a_v.npy': null },
    expect: "q.npy: file not found (and 2 more of the problem's 3 files)",
  },
  {
    name: 'the last segment file missing: found before q.npy is read',
    files: { 'q.npy': 'not an npy file', 'seg_a_v.npy': null },
    expect: 'seg_a_v.npy: file not found',
  },
  { name: 'q.npy a directory', files: { 'q.npy': 'dir' }, expect: 'q.npy: is not a file' },
  {
    name: 'q with the wrong shape',
    files: { 'q.npy': f32([1, 2, 2, 16]) },
    expect: 'q.npy: expected shape [1, 2, 1, 16], got [1, 2, 2, 16]',
  },
  {
    name: 'q float64',
    files: { 'q.npy': writeNpyFloat64(Q_SHAPE, new Float64Array(32)) },
    expect: 'q.npy: q must be float32, got float64',
  },
  {
    name: 'NaN in q',
    files: { 'q.npy': f32(Q_SHAPE, { index: 19, value: Number.NaN }) },
    expect: 'q.npy: element [0, 1, 0, 3] is NaN; q must be finite',
  },
  {
    name: 'Infinity in K',
    files: { 'seg_a_k.npy': f32(KV_SHAPE, { index: 17, value: Number.POSITIVE_INFINITY }) },
    expect: 'seg_a_k.npy: element [0, 1, 1] is Infinity; K and V must be finite',
  },
  {
    name: '-Infinity in V',
    files: { 'seg_a_v.npy': f32(KV_SHAPE, { index: 0, value: Number.NEGATIVE_INFINITY }) },
    expect: 'seg_a_v.npy: element [0, 0, 0] is -Infinity; K and V must be finite',
  },
  {
    name: 'f32 V above the f16 range in an f16 problem',
    files: { 'problem.json': problem({ kvDtype: 'f16' }), 'seg_a_v.npy': f32(KV_SHAPE, { index: 5, value: 70000 }) },
    expect: `seg_a_v.npy: element [0, 0, 5] is 70000, outside f16's range (±65504) in a kvDtype "f16" problem`,
  },
  {
    name: 'f16 infinity bits in an f16 problem',
    files: {
      'problem.json': problem({ kvDtype: 'f16' }),
      'seg_a_k.npy': writeNpyFloat16(KV_SHAPE, new Uint16Array(32).fill(0x3800).fill(0xfc00, 31)),
    },
    expect: 'seg_a_k.npy: element [0, 1, 15] is -Infinity; K and V must be finite',
  },
  {
    name: 'q·scale beyond f16 in an f16 problem',
    files: { 'problem.json': problem({ kvDtype: 'f16', scale: 2e5 }) },
    expect:
      `q.npy: element [0, 0, 0, 0] is 0.5; times scale 200000 that is 100000, outside f16's range (±65504): ` +
      'the tensor-core Hydragen kernel stores q·scale as f16 in kvDtype "f16" problems',
  },
];

// ---------------------------------------------------------------------------------------------
// .npy files

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** A version-1.0 .npy file with this header text (padded with a newline) and these data bytes. */
export function npyWithHeader(header: string, data: Uint8Array = new Uint8Array(0), version = [1, 0]): Uint8Array {
  const h = ascii(`${header}\n`);
  const lenBytes = version[0] === 1 ? 2 : 4;
  const out = new Uint8Array(8 + lenBytes + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version[0], version[1]]);
  const view = new DataView(out.buffer);
  if (lenBytes === 2) view.setUint16(8, h.length, true);
  else view.setUint32(8, h.length, true);
  out.set(h, 8 + lenBytes);
  out.set(data, 8 + lenBytes + h.length);
  return out;
}

const header = (descr: string, shape: string, fortran = 'False') =>
  `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

export interface NpyCase {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** The message after "x.npy: ". */
  readonly expect: Expect;
}

export const npyCases: readonly NpyCase[] = [
  { name: 'empty file', bytes: new Uint8Array(0), expect: 'not a .npy file (bad magic string)' },
  { name: 'a text file', bytes: ascii('hello, world\n'), expect: 'not a .npy file (bad magic string)' },
  {
    name: 'format 4.0',
    bytes: npyWithHeader(header('<f4', '(1,)'), new Uint8Array(4), [4, 0]),
    expect: 'unsupported .npy format version 4.0',
  },
  {
    name: 'header length past the end',
    bytes: Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0xff, 0xff, 0x7b]),
    expect: 'truncated header: it claims 65535 bytes, the file has 1',
  },
  {
    name: 'deeply nested header (was a stack overflow without the file name)',
    bytes: npyWithHeader(`${'('.repeat(100_000)}${')'.repeat(100_000)}`),
    expect: 'malformed header: nested deeper than 8 levels',
  },
  {
    name: 'nesting inside shape',
    bytes: npyWithHeader(header('<f4', '((((((((((1,),),),),),),),),),)')),
    expect: 'malformed header: nested deeper than 8 levels',
  },
  { name: 'unterminated string', bytes: npyWithHeader("{'descr: '<f4'"), expect: /^malformed header: / },
  { name: 'not a dict', bytes: npyWithHeader('[1, 2]'), expect: 'malformed header: not a dict' },
  {
    name: 'missing shape',
    bytes: npyWithHeader("{'descr': '<f4', 'fortran_order': False}"),
    expect: "malformed header: no 'shape'",
  },
  {
    name: 'extra key',
    bytes: npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", new Uint8Array(4)),
    expect: "malformed header: unexpected key 'x'",
  },
  {
    name: 'int32',
    bytes: npyWithHeader(header('<i4', '(1,)'), new Uint8Array(4)),
    expect: "unsupported dtype '<i4'; expected float16, float32 or float64 ('<f2', '<f4', '<f8')",
  },
  {
    name: 'big-endian',
    bytes: npyWithHeader(header('>f4', '(1,)'), new Uint8Array(4)),
    expect: "big-endian dtype '>f4' is not supported; save it little-endian ('<f4')",
  },
  {
    name: 'Fortran order',
    bytes: npyWithHeader(header('<f4', '(1,)', 'True'), new Uint8Array(4)),
    expect: 'fortran_order True (column-major) is not supported; save with C order',
  },
  {
    name: 'negative dimension',
    bytes: npyWithHeader(header('<f4', '(-1,)')),
    expect: 'malformed header: bad shape (-1)',
  },
  {
    name: 'absurd shape',
    bytes: npyWithHeader(header('<f4', '(99999999999, 99999999999)')),
    expect: /^truncated: shape \[99999999999, 99999999999\] needs .* bytes of data, the file has 0$/,
  },
  {
    name: 'truncated data',
    bytes: npyWithHeader(header('<f4', '(2, 3)'), new Uint8Array(20)),
    expect: 'truncated: shape [2, 3] needs 24 bytes of data, the file has 20',
  },
  {
    name: 'trailing bytes',
    bytes: npyWithHeader(header('<f4', '(1,)'), new Uint8Array(8)),
    expect: '4 trailing bytes after the data of shape [1]',
  },
];

// ---------------------------------------------------------------------------------------------
// Result files (what the page imports, and what `results=` fetches)

/** A valid result file with one ok entry, as the CLI writes it. */
export function baseResult(): Record<string, unknown> {
  return {
    schema: 'attention-playground/bench',
    version: 1,
    createdAt: '2026-01-02T03:04:05.678Z',
    source: 'cli',
    device: {
      adapter: {
        vendor: 'nvidia',
        architecture: 'hopper',
        device: '',
        description: 'H100',
        isFallbackAdapter: false,
      },
      features: {},
      limits: {},
      subgroupMinSize: 32,
      subgroupMaxSize: 32,
    },
    clock: 'timestamp-query',
    settings: {
      seed: 1,
      warmupMs: 100,
      minRuns: 5,
      maxRuns: 10,
      budgetMs: 100,
      minSampleMs: 1,
      checkRows: 64,
    },
    suite: { name: 'x', description: 'a suite', axis: { name: 'batch', log: false } },
    entries: [baseEntry(1, 'naive')],
  };
}

export function baseEntry(axisValue: number, label: string): Record<string, unknown> {
  return {
    config: `B=${axisValue}`,
    axisValue,
    problem: baseProblem,
    label,
    kernel: label,
    options: {},
    ran: label,
    status: 'ok',
    timing: {
      runs: 5,
      medianMs: 1,
      p10Ms: 0.9,
      p90Ms: 1.1,
      minMs: 0.9,
      maxMs: 1.2,
      meanMs: 1,
      repsPerRun: 1,
      warmupMs: 100,
      samplesMs: [1, 1, 1, 0.9, 1.1],
    },
    bytesMoved: 1e6,
    flops: 1e6,
    gbPerS: 1,
    tflopPerS: 0.001,
    checks: [{ against: 'f64 reference', rows: 2, pass: true, maxAbsErr: 1e-7, maxRelErr: 1e-6, worst: 'o[0]' }],
  };
}

export interface ResultCase {
  readonly name: string;
  /** The file's text, or a change to the base result (mutates it). */
  readonly text?: string;
  readonly patch?: (r: Record<string, unknown> & { entries: Record<string, unknown>[] }) => void;
  /** The message after "<file>: ". */
  readonly expect: Expect;
}

type R = Record<string, unknown> & { entries: Record<string, unknown>[] };
const adapter = (r: R) => (r.device as { adapter: Record<string, unknown> }).adapter;
const timing = (r: R, i = 0) => r.entries[i].timing as Record<string, unknown>;

export const resultCases: readonly ResultCase[] = [
  { name: 'not JSON', text: '{"schema": ', expect: /^not valid JSON \(/ },
  { name: 'a list', text: '[1, 2]', expect: 'not a JSON object' },
  {
    name: 'deeply nested JSON',
    text: `${'['.repeat(200_000)}${']'.repeat(200_000)}`,
    expect: /^not valid JSON \(|^not a JSON object$/,
  },
  {
    name: 'over the size limit',
    text: `${' '.repeat(16 * 2 ** 20)}{}`,
    expect: '16777218 characters, over the 16 MiB limit for result files',
  },
  {
    name: 'another schema',
    patch: (r) => {
      r.schema = 'other';
    },
    expect: '"schema" is "other", expected "attention-playground/bench"',
  },
  {
    name: 'version 2',
    patch: (r) => {
      r.version = 2;
    },
    expect: '"version" is 2, this page reads 1',
  },
  {
    name: "the issue's file: an empty adapter",
    text: '{"schema":"attention-playground/bench","version":1,"device":{"adapter":{}},"suite":{"name":"x"},"entries":[]}',
    expect: 'createdAt is missing',
  },
  {
    name: 'empty adapter, everything else there',
    patch: (r) => {
      (r.device as Record<string, unknown>).adapter = {};
    },
    expect: 'device.adapter.vendor is missing',
  },
  {
    name: 'numeric adapter.device',
    patch: (r) => {
      adapter(r).device = 4660;
    },
    expect: 'device.adapter.device (4660) must be a string',
  },
  {
    name: 'numeric adapter.description',
    patch: (r) => {
      adapter(r).description = 5;
    },
    expect: 'device.adapter.description (5) must be a string',
  },
  {
    name: 'missing createdAt',
    patch: (r) => {
      delete r.createdAt;
    },
    expect: 'createdAt is missing',
  },
  {
    name: 'numeric createdAt',
    patch: (r) => {
      r.createdAt = 1700000000;
    },
    expect: 'createdAt (1700000000) must be a string',
  },
  {
    name: 'unknown clock',
    patch: (r) => {
      r.clock = 'sundial';
    },
    expect: 'clock ("sundial") must be one of "timestamp-query", "wall-clock", "cuda-events"',
  },
  {
    name: 'matrix-product ceiling not positive',
    patch: (r) => {
      r.matmulCeilingTflops = -5;
    },
    expect: 'matmulCeilingTflops (-5) must be a finite positive number',
  },
  {
    name: 'unique bytes a string',
    patch: (r) => {
      (r.entries as Record<string, unknown>[])[0].uniqueBytes = 'lots';
    },
    expect: 'entries[0].uniqueBytes ("lots") must be a finite number',
  },
  {
    name: 'settings missing',
    patch: (r) => {
      delete r.settings;
    },
    expect: 'settings is missing',
  },
  {
    name: 'suite.axis.log a string',
    patch: (r) => {
      (r.suite as { axis: Record<string, unknown> }).axis.log = 'yes';
    },
    expect: 'suite.axis.log ("yes") must be true or false',
  },
  {
    name: 'entries an object',
    patch: (r) => {
      (r as Record<string, unknown>).entries = {};
    },
    expect: 'entries (an object) must be an array',
  },
  {
    name: 'an entry null',
    patch: (r) => {
      (r.entries as unknown[])[0] = null;
    },
    expect: 'entries[0] (null) must be an object',
  },
  {
    name: 'a string checks',
    patch: (r) => {
      r.entries[0].checks = 'PASS';
    },
    expect: 'entries[0].checks ("PASS") must be an array',
  },
  {
    name: 'a check without pass',
    patch: (r) => {
      (r.entries[0].checks as Record<string, unknown>[])[0].pass = 'yes';
    },
    expect: 'entries[0].checks[0].pass ("yes") must be true or false',
  },
  {
    name: 'unknown status',
    patch: (r) => {
      r.entries[0].status = 'great';
    },
    expect: 'entries[0].status ("great") must be one of "ok", "skipped", "failed"',
  },
  {
    name: 'skipped without a reason',
    patch: (r) => {
      r.entries[0].status = 'skipped';
    },
    expect: 'entries[0].reason is missing',
  },
  {
    name: 'ok without timing',
    patch: (r) => {
      delete r.entries[0].timing;
    },
    expect: 'entries[0].timing is missing',
  },
  {
    name: 'a string median',
    patch: (r) => {
      timing(r).medianMs = '1.0';
    },
    expect: 'entries[0].timing.medianMs ("1.0") must be a finite number',
  },
  {
    name: 'a null p90 (Infinity written by JSON.stringify)',
    patch: (r) => {
      timing(r).p90Ms = null;
    },
    expect: 'entries[0].timing.p90Ms (null) must be a finite number',
  },
  {
    name: 'fractional runs',
    patch: (r) => {
      timing(r).runs = 2.5;
    },
    expect: 'entries[0].timing.runs (2.5) must be a whole number',
  },
  {
    name: 'a sample that is a string',
    patch: (r) => {
      timing(r).samplesMs = [1, 'fast'];
    },
    expect: 'entries[0].timing.samplesMs[1] ("fast") must be a finite number',
  },
  {
    name: 'a numeric label',
    patch: (r) => {
      r.entries[0].label = 7;
    },
    expect: 'entries[0].label (7) must be a string',
  },
  {
    name: 'a string axis value',
    patch: (r) => {
      r.entries[0].axisValue = '1';
    },
    expect: 'entries[0].axisValue ("1") must be a finite number',
  },
  {
    name: 'more entries than the page reads',
    patch: (r) => {
      r.entries = Array.from({ length: 5001 }, (_, i) => baseEntry(i % 10, 'naive'));
    },
    expect: 'entries has 5001 items; the page reads at most 5000',
  },
  {
    name: 'more chart points than the page draws',
    patch: (r) => {
      r.entries = Array.from({ length: 5000 }, (_, i) => baseEntry(i, `v${i}`));
    },
    expect: 'entries have 5000 labels and 5000 axis values, 25000000 chart points; the page charts at most 200000',
  },
];

// ---------------------------------------------------------------------------------------------
// The page's URL parameters

export interface UrlCase {
  readonly name: string;
  readonly query: string;
  /** The message shown at the field (form field, run field, or `results`). */
  readonly field: string;
  readonly expect: Expect;
}

export const urlCases: readonly UrlCase[] = [
  {
    name: 'head dim not a multiple of 4',
    query: 'd=30',
    field: 'headDim',
    expect: 'head dim (30) must be a multiple of 4 between 16 and 256',
  },
  { name: 'batch not a number', query: 'b=abc', field: 'batch', expect: 'batch ("abc") must be a whole number' },
  { name: 'batch in exponent form', query: 'b=1e3', field: 'batch', expect: 'batch ("1e3") must be a whole number' },
  {
    name: 'batch beyond any limit',
    query: 'b=99999999999999999999',
    field: 'batch',
    expect: /^batch \(100000000000000000000\) must be at most /,
  },
  {
    name: 'unknown preset that names an Object property',
    query: 'preset=__proto__',
    field: 'preset',
    expect: /^unknown preset "__proto__"; choose one of /,
  },
  {
    name: 'unknown mode',
    query: 'mode=evil',
    field: 'mode',
    expect: 'mode ("evil") must be one of check, bench, sweep',
  },
  { name: 'unknown kernel', query: 'k=naive,evil', field: 'kernels', expect: /^unknown kernel "evil"; known: naive, / },
  { name: 'no kernel', query: 'k=', field: 'kernels', expect: 'select at least one kernel' },
  {
    name: 'seed in exponent form',
    query: 'seed=1e300',
    field: 'seed',
    expect: 'seed ("1e300") must be a whole number',
  },
  { name: 'negative seed', query: 'seed=-1', field: 'seed', expect: 'seed ("-1") must be a whole number' },
  {
    name: 'sweep value too big to be a number',
    query: 'mode=sweep&values=1,1e400',
    field: 'values',
    expect: 'sweep value "1e400" is not a whole number',
  },
  {
    name: 'sweep of an absurd batch',
    query: 'mode=sweep&values=1,99999999999',
    field: 'values',
    expect: /^sequences per leaf|^batch = 99999999999: batch \(99999999999\) must be at most /,
  },
  {
    name: 'results naming a path outside benches/results',
    query: 'results=../../etc/passwd',
    field: 'results',
    expect: /^results=passwd: no such file in benches\/results\/ \(there: /,
  },
  {
    name: 'unknown suite',
    query: 'mode=sweep&suite=evil',
    field: 'suite',
    expect: /^unknown suite "evil"; known: custom, /,
  },
];
