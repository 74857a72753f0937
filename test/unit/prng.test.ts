import { describe, expect, it } from 'vitest';
import { createPrng } from '../../src/problem/prng';

describe('createPrng', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = createPrng(42);
    const b = createPrng(42);
    const c = createPrng(43);
    const xs = Array.from({ length: 10 }, () => a.nextU32());
    expect(Array.from({ length: 10 }, () => b.nextU32())).toEqual(xs);
    expect(Array.from({ length: 10 }, () => c.nextU32())).not.toEqual(xs);
  });

  it('gives the mulberry32 sequence (values from an independent Python implementation, pinned so generated problems never change silently)', () => {
    const r = createPrng(1);
    expect([r.nextU32(), r.nextU32(), r.nextU32()]).toEqual([2693262067, 11749833, 2265367787]);
  });

  it('returns unsigned 32-bit integers and floats in [0, 1)', () => {
    const r = createPrng(7);
    for (let i = 0; i < 10_000; i++) {
      const u = r.nextU32();
      expect(Number.isInteger(u) && u >= 0 && u < 2 ** 32).toBe(true);
      const f = r.nextFloat();
      expect(f >= 0 && f < 1).toBe(true);
    }
  });

  it('uniform(lo, hi) stays in range and is roughly uniform', () => {
    const r = createPrng(123);
    const n = 20_000;
    let sum = 0;
    const buckets = new Array<number>(4).fill(0);
    for (let i = 0; i < n; i++) {
      const x = r.uniform(-1, 1);
      expect(x >= -1 && x < 1).toBe(true);
      sum += x;
      buckets[Math.floor((x + 1) * 2)]++;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    for (const b of buckets) expect(Math.abs(b / n - 0.25)).toBeLessThan(0.02);
  });

  it('treats seeds modulo 2^32 and refuses non-finite seeds', () => {
    expect(createPrng(2 ** 32 + 5).nextU32()).toBe(createPrng(5).nextU32());
    expect(() => createPrng(Number.NaN)).toThrow(/seed/);
  });
});
