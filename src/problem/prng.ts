/**
 * A small seeded PRNG (mulberry32): deterministic on every platform, 32-bit state, never Math.random.
 * Good enough for test data; not for anything that needs statistical or cryptographic quality.
 */
export interface Prng {
  /** Next value in [0, 2^32). */
  nextU32(): number;
  /** Next value in [0, 1), a multiple of 2^-32. */
  nextFloat(): number;
  /** Next value in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** The next out.length values of nextU32, into `out` (the same draws, without a call per value). */
  fillU32(out: Uint32Array): void;
}

/** Mulberry32's step and its output for the stepped state. */
const STEP = 0x6d2b79f5;
function mix(s: number): number {
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

export function createPrng(seed: number): Prng {
  if (!Number.isFinite(seed)) throw new Error(`PRNG seed must be a finite number, got ${seed}`);
  let state = Math.trunc(seed) >>> 0;
  const nextU32 = (): number => {
    state = (state + STEP) >>> 0;
    return mix(state);
  };
  const nextFloat = (): number => nextU32() / 4294967296;
  const fillU32 = (out: Uint32Array): void => {
    let s = state;
    for (let i = 0; i < out.length; i++) {
      s = (s + STEP) >>> 0;
      out[i] = mix(s);
    }
    state = s;
  };
  return {
    nextU32,
    nextFloat,
    uniform: (lo, hi) => lo + (hi - lo) * nextFloat(),
    fillU32,
  };
}
