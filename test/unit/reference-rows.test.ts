import { describe, expect, it } from 'vitest';
import { FULL_REFERENCE_LIMIT, referenceRowCount } from '../../src/bench/check';

describe('equivalence check: reference rows', () => {
  it('checks every row of a small problem', () => {
    expect(referenceRowCount(64, 1e5)).toBe(64);
  });

  it('samples big problems within the work budget, never below 8 rows or above 256', () => {
    expect(referenceRowCount(10_000, FULL_REFERENCE_LIMIT * 10)).toBe(256);
    expect(referenceRowCount(10_000, 1e12)).toBe(8);
    const rows = referenceRowCount(4096, 4096 * 1e6);
    expect(rows).toBe(20);
  });
});
