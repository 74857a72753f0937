import { describe, expect, it } from 'vitest';
import { f16BitsToF32, f32ToF16Bits, fromF16Bits, roundToF16, toF16Bits } from '../../src/problem/f16';
import { createPrng } from '../../src/problem/prng';

describe('f32ToF16Bits', () => {
  it.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [0.1, 0x2e66],
    [65504, 0x7bff],
    [65519.99, 0x7bff],
    [65520, 0x7c00],
    [1e6, 0x7c00],
    [-1e6, 0xfc00],
    [Number.POSITIVE_INFINITY, 0x7c00],
    [Number.NEGATIVE_INFINITY, 0xfc00],
    [2 ** -14, 0x0400],
    [2 ** -24, 0x0001],
    [2 ** -25, 0x0000],
    [3 * 2 ** -25, 0x0002],
    [2 ** -14 - 2 ** -24, 0x03ff],
    [2 ** -14 - 2 ** -25, 0x0400],
    [1e-10, 0x0000],
    [1 + 2 ** -11, 0x3c00],
    [1 + 3 * 2 ** -11, 0x3c02],
    [2048 + 1, 0x6800],
    [2048 + 3, 0x6802],
  ])('%d -> %s', (x, bits) => {
    expect(f32ToF16Bits(x)).toBe(bits);
  });

  it('maps NaN to a quiet NaN', () => {
    expect(f32ToF16Bits(Number.NaN)).toBe(0x7e00);
    expect(Number.isNaN(f16BitsToF32(0x7e00))).toBe(true);
  });

  it('round-trips every finite f16 bit pattern', () => {
    for (let h = 0; h < 0x10000; h++) {
      const e = (h >>> 10) & 0x1f;
      if (e === 0x1f && (h & 0x3ff) !== 0) continue;
      expect(f32ToF16Bits(f16BitsToF32(h))).toBe(h);
    }
  });

  it('rounds to the nearest f16 (random f32 values checked against both neighbours)', () => {
    const rng = createPrng(9);
    const f32 = new Float32Array(1);
    for (let n = 0; n < 20_000; n++) {
      f32[0] = (rng.uniform(-1, 1) * 2 ** Math.floor(rng.uniform(-26, 17))) as number;
      const x = f32[0];
      const h = f32ToF16Bits(x);
      const r = f16BitsToF32(h);
      if (!Number.isFinite(r)) {
        expect(Math.abs(x)).toBeGreaterThanOrEqual(65520);
        continue;
      }
      const mag = h & 0x7fff;
      const sign = h & 0x8000;
      const below = mag > 0 ? f16BitsToF32(sign | (mag - 1)) : -r;
      const above = mag < 0x7bff ? f16BitsToF32(sign | (mag + 1)) : r;
      expect(Math.abs(x - r)).toBeLessThanOrEqual(Math.abs(x - below));
      expect(Math.abs(x - r)).toBeLessThanOrEqual(Math.abs(x - above));
    }
  });
});

describe('f16BitsToF32', () => {
  it('decodes normals, subnormals and infinities', () => {
    expect(f16BitsToF32(0x3c00)).toBe(1);
    expect(f16BitsToF32(0xc000)).toBe(-2);
    expect(f16BitsToF32(0x7bff)).toBe(65504);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(f16BitsToF32(0x8001)).toBe(-(2 ** -24));
    expect(f16BitsToF32(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(f16BitsToF32(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(f16BitsToF32(0x8000), -0)).toBe(true);
  });
});

describe('array helpers', () => {
  it('toF16Bits equals f32ToF16Bits element by element: every f16 value, their f32 neighbours, random f32', () => {
    const a: number[] = [];
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    for (let h = 0; h < 65536; h++) {
      const x = f16BitsToF32(h);
      a.push(x);
      if (Number.isFinite(x)) {
        f32[0] = x;
        const b = u32[0];
        for (const d of [1, -1, 0x1000, 0x1fff]) {
          u32[0] = (b + d) >>> 0;
          a.push(f32[0]);
        }
      }
    }
    let seed = 7;
    for (let i = 0; i < 100_000; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      u32[0] = seed;
      a.push(f32[0]);
    }
    const arr = Float32Array.from(a);
    const fast = toF16Bits(arr);
    const bad: string[] = [];
    arr.forEach((x, i) => {
      if (fast[i] !== f32ToF16Bits(x) && bad.length < 5) bad.push(`${x}: ${fast[i]} vs ${f32ToF16Bits(x)}`);
    });
    expect(bad).toEqual([]);
    // A subarray view encodes its own elements.
    expect([...toF16Bits(arr.subarray(3, 9))]).toEqual([...fast.subarray(3, 9)]);
  });

  it('toF16Bits / fromF16Bits round f32 arrays to f16 values', () => {
    const a = new Float32Array([0, 1, -1.5, 0.1, 70000, 2 ** -24]);
    const bits = toF16Bits(a);
    expect(Array.from(bits)).toEqual([0x0000, 0x3c00, 0xbe00, 0x2e66, 0x7c00, 0x0001]);
    const back = fromF16Bits(bits);
    expect(back[3]).toBe(roundToF16(0.1));
    expect(back[3]).not.toBe(Math.fround(0.1));
    expect(back[4]).toBe(Number.POSITIVE_INFINITY);
  });
});
