/**
 * IEEE 754 binary16 conversion (Math.f16round does not exist on Node 20).
 *
 * f32ToF16Bits rounds to nearest, ties to even, from the exact double value; it handles
 * subnormals, overflow to infinity, infinities and NaN (quiet NaN 0x7e00, sign kept).
 */

// Bit access to a double (little-endian: word 1 holds sign, exponent and the top 20 mantissa bits).
const f64 = new Float64Array(1);
const words = new Uint32Array(f64.buffer);
/** POW2[k + 64] = 2^k, exact, for the scalings below. */
const POW2 = Float64Array.from({ length: 128 }, (_, k) => 2 ** (k - 64));

/** Round half to even on an integer-valued scale. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds half up; fix exact ties that landed on an odd number.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function f32ToF16Bits(x: number): number {
  f64[0] = x;
  const hi = words[1];
  const sign = (hi >>> 16) & 0x8000;
  const biased = (hi >>> 20) & 0x7ff;
  if (biased === 0x7ff) return (hi & 0xfffff) !== 0 || words[0] !== 0 ? 0x7e00 : sign | 0x7c00;
  const e = biased - 1023;
  if (e >= 16) return sign | 0x7c00;
  const a = Math.abs(x);
  // Subnormal (or zero): value = m * 2^-24, m in [0, 1024]; m = 1024 is the smallest normal, 0x0400.
  if (e < -14) return e < -26 ? sign : sign | roundHalfEven(a * POW2[24 + 64]);
  // a = (1 + f) * 2^e, mantissa with 10 fraction bits; a carry into 2048 moves to the next exponent
  // (and from e = 15 to infinity, 0x7c00, which is right: a >= 65520 overflows).
  const m = roundHalfEven(a * POW2[10 - e + 64]);
  return sign | (((e + 15) << 10) + (m - 1024));
}

/** Every f16 value as f32 (all are exact), indexed by its bits. */
const F16_VALUES = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) t[h] = s * m * 2 ** -24;
    else if (e === 0x1f) t[h] = m === 0 ? s * Number.POSITIVE_INFINITY : Number.NaN;
    else t[h] = s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return t;
})();

export const f16BitsToF32 = (h: number): number => F16_VALUES[h & 0xffff];

/** The f16 value nearest to x, as a number. */
export const roundToF16 = (x: number): number => f16BitsToF32(f32ToF16Bits(x));

/**
 * f32ToF16Bits of every element. Values that are already normal f16 values (what f16 problems
 * hold: f32 exponent 113..142 and the low 13 mantissa bits zero) and zeros are re-encoded from their
 * f32 bits directly; anything else (subnormal f16, values needing rounding, infinities, NaN) goes
 * through f32ToF16Bits.
 */
export function toF16Bits(a: Float32Array): Uint16Array {
  const out = new Uint16Array(a.length);
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  for (let i = 0; i < a.length; i++) {
    const b = bits[i];
    const e = (b >>> 23) & 0xff;
    if (e >= 113 && e <= 142 && (b & 0x1fff) === 0)
      out[i] = ((b >>> 16) & 0x8000) | ((e - 112) << 10) | ((b >>> 13) & 0x3ff);
    else if ((b & 0x7fffffff) === 0) out[i] = (b >>> 16) & 0x8000;
    else out[i] = f32ToF16Bits(a[i]);
  }
  return out;
}

export function fromF16Bits(a: Uint16Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f16BitsToF32(a[i]);
  return out;
}
