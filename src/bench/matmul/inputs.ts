import { hashMix } from '../../problem/hash-kv';
import type { CheckSummary } from '../result';
import type { MatmulSize } from './variants';

/**
 * The matrix products' inputs and their CPU reference. The GPU writes A and B itself
 * (shaders/matmul-fill.wgsl); element i of a matrix is inputValue(salt, i), which this file
 * evaluates the same way, so the reference of a sampled entry of C needs no copy of the inputs.
 * Values are multiples of 1/8 in [-1, 1): exact in f16; every product is a multiple of 1/64 and
 * every partial sum of K < 2^18 of them is exact in f32, whatever the order of summation. So a right
 * kernel matches the f64 reference exactly, and a wrong index is off by a multiple of 1/64 (unless
 * the wrong values happen to give the same sum): the check passes at most CHECK_TOLERANCE off.
 */

/** Salts of A and B (the fill shader's `params.salt`). */
export const SALT_A = 1;
export const SALT_B = 2;

/** Half the step of the values a product can take (1/64): below it, only rounding; at it, a wrong value. */
export const CHECK_TOLERANCE = 1 / 128;

/** Element `i` of the matrix filled with `salt`. */
export const inputValue = (salt: number, i: number): number =>
  ((hashMix(i + Math.imul(salt, 0x9e3779b9)) >>> 28) - 8) / 8;

/** An entry of C: row and column. */
export type Entry = readonly [row: number, col: number];

/** Every entry when there are at most `count`; else `count` entries, one per evenly spaced row, at hashed columns, corners included. */
export function sampleEntries(s: MatmulSize, count: number): Entry[] {
  if (s.m * s.n <= count) {
    const all: Entry[] = [];
    for (let i = 0; i < s.m; i++) for (let j = 0; j < s.n; j++) all.push([i, j]);
    return all;
  }
  const out: Entry[] = [
    [0, 0],
    [s.m - 1, s.n - 1],
  ];
  for (let q = 2; q < count; q++) out.push([Math.floor(((q - 1) * s.m) / (count - 1)), hashMix(q) % s.n]);
  return out;
}

/** C at the entries, in f64 (exact: see the header). */
export function referenceEntries(s: MatmulSize, entries: readonly Entry[]): Float64Array {
  const out = new Float64Array(entries.length);
  const rowA = new Float64Array(s.k);
  const rowB = new Float64Array(s.k);
  let lastI = -1;
  let lastJ = -1;
  entries.forEach(([i, j], q) => {
    if (i !== lastI) for (let k = 0; k < s.k; k++) rowA[k] = inputValue(SALT_A, i * s.k + k);
    if (j !== lastJ) for (let k = 0; k < s.k; k++) rowB[k] = inputValue(SALT_B, j * s.k + k);
    lastI = i;
    lastJ = j;
    let sum = 0;
    for (let k = 0; k < s.k; k++) sum += rowA[k] * rowB[k];
    out[q] = sum;
  });
  return out;
}

/** The kernel's C at the entries against the reference: passes when every entry is within CHECK_TOLERANCE. */
export function checkEntries(entries: readonly Entry[], reference: Float64Array, got: Float32Array): CheckSummary {
  let maxAbsErr = 0;
  let maxRelErr = 0;
  let worst = '';
  let worstErr = -1;
  let bad = 0;
  entries.forEach(([i, j], q) => {
    const err = Math.abs(got[q] - reference[q]);
    const e = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err;
    if (e > CHECK_TOLERANCE) bad++;
    maxAbsErr = Math.max(maxAbsErr, e);
    maxRelErr = Math.max(maxRelErr, e / Math.max(Math.abs(reference[q]), 1));
    if (e > worstErr) {
      worstErr = e;
      worst = `C[${i},${j}] = ${got[q]}, expected ${reference[q]}`;
    }
  });
  return {
    against: `CPU reference (${entries.length} entries of C)`,
    rows: entries.length,
    pass: bad === 0,
    maxAbsErr,
    maxRelErr,
    worst: bad === 0 ? worst : `${bad} of ${entries.length} entries off; worst ${worst}`,
  };
}
