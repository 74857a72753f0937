/**
 * NumPy .npy files, pure (bytes in, bytes out; no file system).
 *
 * Reads format versions 1.0, 2.0 and 3.0 with dtypes float16, float32 and float64, little-endian
 * ('<'; '=' native is taken as little-endian, the byte order of every platform we run on), C order.
 * Writes version 1.0, padding the header with spaces so the data starts at a multiple of 64 bytes
 * as NumPy does. Everything else is refused with an NpyError naming the file and what is wrong.
 *
 * Layout: "\x93NUMPY", major, minor, header length (uint16 LE for 1.0, uint32 LE for 2.0/3.0),
 * a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } ending in '\n',
 * then the raw data.
 */

export type NpyDtype = 'float32' | 'float16' | 'float64';

export interface NpyArray {
  readonly dtype: NpyDtype;
  readonly shape: number[];
  /** float16 data is kept as raw bits. */
  readonly data: Float32Array | Uint16Array | Float64Array;
}

export class NpyError extends Error {
  readonly fileName: string;
  constructor(fileName: string, message: string) {
    super(`${fileName}: ${message}`);
    this.name = 'NpyError';
    this.fileName = fileName;
  }
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const ALIGN = 64;

const DTYPES: Readonly<Record<string, { dtype: NpyDtype; bytes: number }>> = {
  f2: { dtype: 'float16', bytes: 2 },
  f4: { dtype: 'float32', bytes: 4 },
  f8: { dtype: 'float64', bytes: 8 },
};

type PyValue = string | boolean | number | PyValue[] | { [key: string]: PyValue };

const WORD = /True|False|-?\d+L?/y;

/** Nesting a real header never reaches ({'shape': (...)} is 2 deep); deeper is refused, not recursed into. */
const MAX_HEADER_DEPTH = 8;

/** A parser for the Python literals that appear in .npy headers: dicts, tuples, lists, strings, ints, booleans. */
class HeaderParser {
  private pos = 0;
  private depth = 0;
  constructor(
    private readonly text: string,
    private readonly fail: (msg: string) => never,
  ) {}

  parseAll(): PyValue {
    const v = this.value();
    this.skipSpace();
    if (this.pos !== this.text.length)
      this.fail(`malformed header: unexpected ${JSON.stringify(this.text.slice(this.pos, this.pos + 10))}`);
    return v;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private value(): PyValue {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '{' || c === '(' || c === '[') {
      if (++this.depth > MAX_HEADER_DEPTH) this.fail(`malformed header: nested deeper than ${MAX_HEADER_DEPTH} levels`);
      const v = c === '{' ? this.dict() : this.sequence(c === '(' ? ')' : ']');
      this.depth--;
      return v;
    }
    if (c === "'" || c === '"') return this.string();
    // A sticky regex at pos, not a slice of the rest: parsing stays linear in the header's length.
    WORD.lastIndex = this.pos;
    const word = WORD.exec(this.text);
    if (!word) this.fail(`malformed header: unexpected ${JSON.stringify(this.text.slice(this.pos, this.pos + 10))}`);
    this.pos += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    return Number.parseInt(word[0], 10);
  }

  private string(): string {
    const quote = this.text[this.pos++];
    const end = this.text.indexOf(quote, this.pos);
    if (end < 0) this.fail('malformed header: unterminated string');
    const s = this.text.slice(this.pos, end);
    this.pos = end + 1;
    return s;
  }

  private sequence(close: string): PyValue[] {
    this.pos++;
    const items: PyValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.value());
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === ',') this.pos++;
      else if (c !== close) this.fail(`malformed header: expected ',' or '${close}'`);
    }
  }

  private dict(): { [key: string]: PyValue } {
    this.pos++;
    const out: { [key: string]: PyValue } = {};
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return out;
      }
      const key = this.value();
      if (typeof key !== 'string') this.fail('malformed header: dict keys must be strings');
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail("malformed header: expected ':'");
      this.pos++;
      out[key] = this.value();
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === ',') this.pos++;
      else if (c !== '}') this.fail("malformed header: expected ',' or '}'");
    }
  }
}

export function parseNpy(bytes: Uint8Array, fileName: string): NpyArray {
  const fail: (msg: string) => never = (msg) => {
    throw new NpyError(fileName, msg);
  };
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) fail('not a .npy file (bad magic string)');
  const major = bytes[6];
  const minor = bytes[7];
  if (minor !== 0 || major < 1 || major > 3) fail(`unsupported .npy format version ${major}.${minor}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) fail('truncated header');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lenBytes + headerLen;
  if (dataStart > bytes.length)
    fail(`truncated header: it claims ${headerLen} bytes, the file has ${bytes.length - 8 - lenBytes}`);
  const headerBytes = bytes.subarray(8 + lenBytes, dataStart);
  const header =
    major === 3
      ? new TextDecoder('utf-8').decode(headerBytes)
      : Array.from(headerBytes, (c) => String.fromCharCode(c)).join('');

  const dict = new HeaderParser(header, fail).parseAll();
  if (typeof dict !== 'object' || Array.isArray(dict)) fail('malformed header: not a dict');
  const d = dict as { [key: string]: PyValue };
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!(key in d)) fail(`malformed header: no '${key}'`);
  }
  const extra = Object.keys(d).filter((k) => !['descr', 'fortran_order', 'shape'].includes(k));
  if (extra.length > 0) fail(`malformed header: unexpected key '${extra[0]}'`);

  const descr = d.descr;
  if (typeof descr !== 'string')
    fail("malformed header: 'descr' is not a string (structured dtypes are not supported)");
  const m = /^([<>|=])([a-zA-Z]\d+)$/.exec(descr);
  const kind = m ? DTYPES[m[2]] : undefined;
  if (!m || !kind) fail(`unsupported dtype '${descr}'; expected float16, float32 or float64 ('<f2', '<f4', '<f8')`);
  const [, order, code] = m;
  if (order === '>') fail(`big-endian dtype '${descr}' is not supported; save it little-endian ('<${code}')`);
  if (order === '|') fail(`dtype '${descr}': byte order '|' is only for 1-byte types`);
  const { dtype, bytes: itemSize } = kind;

  if (typeof d.fortran_order !== 'boolean') fail("malformed header: 'fortran_order' must be True or False");
  if (d.fortran_order) fail('fortran_order True (column-major) is not supported; save with C order');

  const shapeVal = d.shape;
  if (!Array.isArray(shapeVal)) fail("malformed header: 'shape' must be a tuple");
  const isDim = (x: PyValue): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  if (!shapeVal.every(isDim)) fail(`malformed header: bad shape (${shapeVal.join(', ')})`);
  const dims: number[] = shapeVal.filter(isDim);
  const count = dims.reduce((a, x) => a * x, 1);

  const expected = count * itemSize;
  const actual = bytes.length - dataStart;
  if (actual < expected)
    fail(`truncated: shape [${dims.join(', ')}] needs ${expected} bytes of data, the file has ${actual}`);
  if (actual > expected) fail(`${actual - expected} trailing bytes after the data of shape [${dims.join(', ')}]`);

  // Copy into a fresh buffer so the typed array is aligned whatever the header length was. (Not
  // bytes.slice: on a Node Buffer, slice returns a view into a shared pool.)
  const copy = new Uint8Array(expected);
  copy.set(bytes.subarray(dataStart, dataStart + expected));
  const raw = copy.buffer;
  const data =
    dtype === 'float32' ? new Float32Array(raw) : dtype === 'float16' ? new Uint16Array(raw) : new Float64Array(raw);
  return { dtype, shape: dims, data };
}

function writeNpy(descr: string, shape: readonly number[], payload: Uint8Array, elements: number): Uint8Array {
  if (!shape.every((x) => Number.isInteger(x) && x >= 0)) throw new Error(`writeNpy: bad shape [${shape.join(', ')}]`);
  const count = shape.reduce((a, x) => a * x, 1);
  if (count !== elements)
    throw new Error(`writeNpy: shape [${shape.join(', ')}] holds ${count} elements, the data has ${elements}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Magic (6) + version (2) + length (2) + header + '\n' is padded with spaces to a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / ALIGN) * ALIGN;
  header = `${header.padEnd(total - 10 - 1, ' ')}\n`;
  if (header.length > 0xffff) throw new Error('writeNpy: header too long for format 1.0');
  const out = new Uint8Array(total + payload.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(payload, total);
  return out;
}

/** Little-endian bytes of a typed array (a copy). */
function leBytes(a: Float32Array | Uint16Array | Float64Array): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

export const writeNpyFloat32 = (shape: readonly number[], data: Float32Array): Uint8Array =>
  writeNpy('<f4', shape, leBytes(data), data.length);

/** `bits` are raw IEEE binary16 values (see f16.ts). */
export const writeNpyFloat16 = (shape: readonly number[], bits: Uint16Array): Uint8Array =>
  writeNpy('<f2', shape, leBytes(bits), bits.length);

export const writeNpyFloat64 = (shape: readonly number[], data: Float64Array): Uint8Array =>
  writeNpy('<f8', shape, leBytes(data), data.length);

/** Throws an NpyError naming the file, the expected and the actual shape when they differ. */
export function expectShape(arr: NpyArray, shape: readonly number[], fileName: string): void {
  if (arr.shape.length !== shape.length || arr.shape.some((x, i) => x !== shape[i]))
    throw new NpyError(fileName, `expected shape [${shape.join(', ')}], got [${arr.shape.join(', ')}]`);
}
