import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectShape, NpyError, parseNpy, writeNpyFloat16, writeNpyFloat32, writeNpyFloat64 } from '../../src/io/npy';
import { f16BitsToF32, toF16Bits } from '../../src/problem/f16';

/** A .npy file written by NumPy (see test/fixtures/make_numpy_problem.py). */
const fixture = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../fixtures/npy/${name}`, import.meta.url)));

const f4 = Float32Array.from([0, 1, 2, 3, 4, 5], (x) => (x - 2.5) / 4);

/** A hand-built file: magic, version, header length, header padded to 64 bytes, data. */
function build(header: string, data: Uint8Array, version = 1): Uint8Array {
  const lenBytes = version === 1 ? 2 : 4;
  const total = Math.ceil((8 + lenBytes + header.length + 1) / 64) * 64;
  const h = `${header.padEnd(total - 8 - lenBytes - 1)}\n`;
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, h.length, true);
  else view.setUint32(8, h.length, true);
  for (let i = 0; i < h.length; i++) out[8 + lenBytes + i] = h.charCodeAt(i);
  out.set(data, total);
  return out;
}

const bytesOf = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer.slice(0));

function npyError(bytes: Uint8Array, name = 'x.npy'): NpyError {
  try {
    parseNpy(bytes, name);
  } catch (e) {
    expect(e).toBeInstanceOf(NpyError);
    return e as NpyError;
  }
  throw new Error('parseNpy accepted the file');
}

describe('parseNpy reads files written by NumPy', () => {
  it.each(['f4_2x3.npy', 'f4_2x3_v2.npy', 'f4_2x3_v3.npy'])('%s (float32 [2, 3])', (name) => {
    const a = parseNpy(fixture(name), name);
    expect(a.dtype).toBe('float32');
    expect(a.shape).toEqual([2, 3]);
    expect(a.data).toEqual(f4);
  });

  it('float16 as raw bits', () => {
    const a = parseNpy(fixture('f2_5.npy'), 'f2_5.npy');
    expect(a.dtype).toBe('float16');
    expect(a.shape).toEqual([5]);
    expect(a.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(a.data, f16BitsToF32)).toEqual([0, 1, -2, f16BitsToF32(0x2e66), 65504]);
  });

  it('a float64 0-d array and an empty array', () => {
    const s = parseNpy(fixture('f8_scalar.npy'), 's');
    expect(s).toEqual({ dtype: 'float64', shape: [], data: new Float64Array([3.25]) });
    const e = parseNpy(fixture('f4_empty_0x4.npy'), 'e');
    expect(e.shape).toEqual([0, 4]);
    expect(e.data.length).toBe(0);
  });

  it('a file inside a larger buffer at an odd offset', () => {
    const file = fixture('f4_2x3.npy');
    const big = new Uint8Array(file.length + 3);
    big.set(file, 1);
    expect(parseNpy(big.subarray(1, 1 + file.length), 'x').data).toEqual(f4);
  });

  it('a Node Buffer that is a view into a larger pool (slice would not copy)', () => {
    const file = fixture('f4_2x3.npy');
    const pooled = Buffer.concat([Buffer.alloc(3, 7), Buffer.from(file), Buffer.alloc(5, 9)]).subarray(
      3,
      3 + file.length,
    );
    expect(pooled.buffer.byteLength).toBeGreaterThan(file.length);
    const a = parseNpy(pooled, 'x');
    expect(a.data).toEqual(f4);
    expect(a.data.buffer.byteLength).toBe(24);
  });

  it("accepts '=' (native order, taken as little-endian) and double-quoted keys", () => {
    const a = parseNpy(build(`{"descr": "=f4", "fortran_order": False, "shape": (6,)}`, bytesOf(f4)), 'x');
    expect(a.shape).toEqual([6]);
    expect(a.data).toEqual(f4);
  });
});

describe('the writers', () => {
  it('writeNpyFloat32 gives the same bytes as NumPy', () => {
    expect(writeNpyFloat32([2, 3], f4)).toEqual(fixture('f4_2x3.npy'));
  });

  it('writeNpyFloat16 gives the same bytes as NumPy', () => {
    const bits = toF16Bits(Float32Array.from([0, 1, -2, 0.1, 65504]));
    expect(writeNpyFloat16([5], bits)).toEqual(fixture('f2_5.npy'));
  });

  it('data starts at a multiple of 64 bytes and round-trips', () => {
    for (const shape of [[7], [3, 5, 16], Array.from({ length: 30 }, (_, i) => (i === 0 ? 2 : 1)), []]) {
      const n = shape.reduce((a, x) => a * x, 1);
      const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
      const bytes = writeNpyFloat32(shape, data);
      expect((bytes.length - data.byteLength) % 64).toBe(0);
      const back = parseNpy(bytes, 'rt');
      expect(back.shape).toEqual(shape);
      expect(back.data).toEqual(data);
    }
    const bits = Uint16Array.from([0x3c00, 0x7bff, 0x8001]);
    expect(parseNpy(writeNpyFloat16([3, 1], bits), 'rt')).toEqual({ dtype: 'float16', shape: [3, 1], data: bits });
    const f8 = Float64Array.from([Math.PI, -1e300]);
    expect(parseNpy(writeNpyFloat64([2], f8), 'rt').data).toEqual(f8);
  });

  it('refuses data that does not match the shape', () => {
    expect(() => writeNpyFloat32([2, 2], f4)).toThrow('shape [2, 2] holds 4 elements, the data has 6');
  });
});

describe('parseNpy refusals name the file and the problem', () => {
  it('big-endian', () => {
    const e = npyError(fixture('f4_2x3_bigendian.npy'), 'big.npy');
    expect(e.message).toBe("big.npy: big-endian dtype '>f4' is not supported; save it little-endian ('<f4')");
    expect(e.fileName).toBe('big.npy');
  });

  it('fortran order', () => {
    expect(npyError(fixture('f4_2x3_fortran.npy'), 'f.npy').message).toBe(
      'f.npy: fortran_order True (column-major) is not supported; save with C order',
    );
  });

  it('other dtypes', () => {
    expect(npyError(fixture('i4_3.npy'), 'i.npy').message).toMatch(/^i\.npy: unsupported dtype '<i4'/);
    expect(npyError(build(`{'descr': '|f4', 'fortran_order': False, 'shape': (6,), }`, bytesOf(f4))).message).toMatch(
      /'\|' is only for 1-byte types/,
    );
    expect(
      npyError(build(`{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }`, bytesOf(f4))).message,
    ).toMatch(/structured dtypes are not supported/);
  });

  it('bad magic string', () => {
    const bytes = fixture('f4_2x3.npy');
    bytes[1] = 0x58;
    expect(npyError(bytes).message).toBe('x.npy: not a .npy file (bad magic string)');
    expect(npyError(new Uint8Array(4)).message).toMatch(/bad magic/);
  });

  it('unsupported version', () => {
    const bytes = fixture('f4_2x3.npy');
    bytes[6] = 4;
    expect(npyError(bytes).message).toBe('x.npy: unsupported .npy format version 4.0');
  });

  it.each([
    ['not a dict', `['descr', 'fortran_order']`, /malformed header: not a dict/],
    ['missing shape', `{'descr': '<f4', 'fortran_order': False, }`, /malformed header: no 'shape'/],
    ['unterminated', `{'descr': '<f4, 'fortran_order': False, 'shape': (6,), }`, /malformed header/],
    ['garbage', `{'descr': '<f4', 'fortran_order': Maybe, 'shape': (6,), }`, /malformed header: unexpected "Maybe/],
    ['bad shape', `{'descr': '<f4', 'fortran_order': False, 'shape': (-6,), }`, /malformed header: bad shape/],
    ['shape not a tuple', `{'descr': '<f4', 'fortran_order': False, 'shape': 6, }`, /'shape' must be a tuple/],
    ['extra key', `{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}`, /unexpected key 'x'/],
    [
      'trailing text',
      `{'descr': '<f4', 'fortran_order': False, 'shape': (6,), } junk`,
      /malformed header: unexpected "junk/,
    ],
  ])('malformed header: %s', (_name, header, message) => {
    expect(npyError(build(header, bytesOf(f4))).message).toMatch(message);
  });

  it('header longer than the file', () => {
    const bytes = fixture('f4_2x3.npy').subarray(0, 40);
    expect(npyError(bytes).message).toMatch(/^x\.npy: truncated header/);
  });

  it('truncated data', () => {
    const bytes = fixture('f4_2x3.npy');
    expect(npyError(bytes.subarray(0, bytes.length - 1), 'q.npy').message).toBe(
      'q.npy: truncated: shape [2, 3] needs 24 bytes of data, the file has 23',
    );
  });

  it('trailing bytes', () => {
    const bytes = fixture('f4_2x3.npy');
    const longer = new Uint8Array(bytes.length + 4);
    longer.set(bytes);
    expect(npyError(longer).message).toBe('x.npy: 4 trailing bytes after the data of shape [2, 3]');
  });
});

describe('expectShape', () => {
  it('accepts the right shape and names file, expected and actual otherwise', () => {
    const a = parseNpy(fixture('f4_2x3.npy'), 'a.npy');
    expect(() => expectShape(a, [2, 3], 'a.npy')).not.toThrow();
    expect(() => expectShape(a, [3, 2], 'a.npy')).toThrow('a.npy: expected shape [3, 2], got [2, 3]');
    expect(() => expectShape(a, [2, 3, 1], 'a.npy')).toThrow(NpyError);
  });
});
