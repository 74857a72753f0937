/**
 * IEEE 754 binary16 conversion (Math.f16round does not exist on Node 20).
 *
 * f32ToF16Bits rounds to nearest, ties to even, from the exact double value; it handles
 * subnormals, overflow to infinity, infinities and NaN (quiet NaN 0x7e00, sign kept).
 */

const MIN_NORMAL = 2 ** -14;
const SUBNORMAL_STEP = 2 ** -24;
/** Smallest value that rounds to infinity: halfway between 65504 and 65536. */
const OVERFLOW = 65520;

/** Round half to even on an integer-valued scale. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds half up; fix exact ties that landed on an odd number.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function f32ToF16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= OVERFLOW) return sign | 0x7c00;
  if (a < MIN_NORMAL) {
    // Subnormal (or zero): value = m * 2^-24, m in [0, 1024]; m = 1024 is the smallest normal, 0x0400.
    return sign | roundHalfEven(a / SUBNORMAL_STEP);
  }
  let e = Math.floor(Math.log2(a));
  // log2 can be off by one near powers of two; correct it.
  if (2 ** e > a) e -= 1;
  else if (2 ** (e + 1) <= a) e += 1;
  // a = (1 + f) * 2^e, mantissa with 10 fraction bits; a carry into 2048 moves to the next exponent.
  const m = roundHalfEven((a / 2 ** e) * 1024);
  const bits = ((e + 15) << 10) + (m - 1024);
  return sign | bits;
}

export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * SUBNORMAL_STEP;
  if (e === 0x1f) return m === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** The f16 value nearest to x, as a number. */
export const roundToF16 = (x: number): number => f16BitsToF32(f32ToF16Bits(x));

export function toF16Bits(a: Float32Array): Uint16Array {
  const out = new Uint16Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f32ToF16Bits(a[i]);
  return out;
}

export function fromF16Bits(a: Uint16Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f16BitsToF32(a[i]);
  return out;
}
