import { describe, expect, it } from 'vitest';
import { noSharingProblem, sharedPrefixProblem } from '../../src/problem/builders';
import { roundToF16 } from '../../src/problem/f16';
import { drawToF16, generateProblemData } from '../../src/problem/generate';
import { createPrng } from '../../src/problem/prng';
import { resolveProblem } from '../../src/problem/validate';

const spec = resolveProblem(
  sharedPrefixProblem({
    batch: 3,
    prefixLength: 5,
    suffixLength: 2,
    headsQ: 4,
    headsKV: 2,
    headDim: 16,
    queriesPerSeq: 2,
  }),
);

describe('generateProblemData', () => {
  it('gives tensors of the documented sizes with values in [-1, 1)', () => {
    const data = generateProblemData(spec, 1);
    expect(data.spec).toBe(spec);
    expect(data.q).toBeInstanceOf(Float32Array);
    expect(data.q.length).toBe(3 * 4 * 2 * 16);
    expect([...data.kv.keys()]).toEqual(['prefix', 's0', 's1', 's2']);
    expect(data.kv.get('prefix')?.k.length).toBe(2 * 5 * 16);
    expect(data.kv.get('s1')?.v.length).toBe(2 * 2 * 16);
    for (const a of [data.q, ...[...data.kv.values()].flatMap((x) => [x.k, x.v])]) {
      for (const x of a) expect(x >= -1 && x < 1).toBe(true);
    }
  });

  it('is reproducible from the seed and changes with it', () => {
    const a = generateProblemData(spec, 5);
    const b = generateProblemData(spec, 5);
    const c = generateProblemData(spec, 6);
    expect(b.q).toEqual(a.q);
    expect(b.kv.get('s2')?.v).toEqual(a.kv.get('s2')?.v);
    expect(c.q).not.toEqual(a.q);
  });

  it('draws q first, then each segment k then v, in spec order', () => {
    const data = generateProblemData(spec, 77);
    const rng = createPrng(77);
    const next = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
    expect(data.q).toEqual(next(data.q.length));
    for (const s of spec.segments) {
      const n = 2 * s.length * 16;
      expect(data.kv.get(s.id)?.k).toEqual(next(n));
      expect(data.kv.get(s.id)?.v).toEqual(next(n));
    }
  });

  it('rounds K and V (not Q) to f16 for f16 problems, from the same draws', () => {
    const input = noSharingProblem({ batch: 2, length: 9, headsQ: 2, headsKV: 1, headDim: 16 });
    const f32 = generateProblemData(resolveProblem(input), 3);
    const f16 = generateProblemData(resolveProblem({ ...input, kvDtype: 'f16' }), 3);
    expect(f16.q).toEqual(f32.q);
    const k32 = f32.kv.get('s1')?.k ?? new Float32Array();
    const k16 = f16.kv.get('s1')?.k ?? new Float32Array();
    let differ = 0;
    for (let i = 0; i < k32.length; i++) {
      expect(k16[i]).toBe(roundToF16(k16[i]));
      // Both come from the same draw x in [-1, 1): |f16(x) - x| <= 2^-12 (half an f16 ulp), |f32(x) - x| <= 2^-25.
      expect(Math.abs(k16[i] - k32[i])).toBeLessThanOrEqual(2 ** -12 + 2 ** -25);
      if (k16[i] !== k32[i]) differ++;
    }
    expect(differ).toBeGreaterThan(k32.length / 2);
  });

  it('rounds to f16 exactly as roundToF16 of each draw (ties, the subnormal edge, the ends of the range)', () => {
    // j = k - 2^31 for a draw k: x = j / 2^31.
    const js: number[] = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 17, 2 ** 17 - 1, -(2 ** 17), 2 ** 17 + 64];
    // Exact ties between two f16 values: odd multiples of half an ulp, at several exponents and below 2^-14.
    for (const shift of [7, 8, 12, 20, 21])
      for (const m of [1, 2, 3, 1023, 1024, 2047]) {
        const tie = (2 * m + 1) * 2 ** (shift - 1);
        if (tie < 2 ** 31) js.push(tie, -tie, tie - 1, tie + 1);
      }
    const rng = createPrng(11);
    for (let i = 0; i < 200_000; i++) js.push(rng.nextU32() - 2 ** 31, (rng.nextU32() % 2 ** 18) - 2 ** 17);
    const f16 = (j: number) => drawToF16(j + 2 ** 31);
    const bad = js.filter((j) => !Object.is(f16(j), roundToF16(j / 2 ** 31)));
    expect(bad.slice(0, 5).map((j) => `${j}: ${f16(j)} vs ${roundToF16(j / 2 ** 31)}`)).toEqual([]);
  });

  it('draws f16 problems from the same sequence as rng.uniform, rounded value by value', () => {
    const f16 = resolveProblem({ ...spec, kvDtype: 'f16' });
    const data = generateProblemData(f16, 9);
    const rng = createPrng(9);
    const next = (n: number, round: boolean) =>
      Float32Array.from({ length: n }, () => (round ? roundToF16(rng.uniform(-1, 1)) : rng.uniform(-1, 1)));
    expect(data.q).toEqual(next(data.q.length, false));
    for (const s of f16.segments) {
      const n = 2 * s.length * 16;
      expect(data.kv.get(s.id)?.k).toEqual(next(n, true));
      expect(data.kv.get(s.id)?.v).toEqual(next(n, true));
    }
  });

  it('fillU32 gives the same draws as nextU32, and leaves the generator where they would', () => {
    const a = createPrng(123);
    const b = createPrng(123);
    const filled = new Uint32Array(1000);
    a.fillU32(filled);
    expect([...filled]).toEqual(Array.from({ length: 1000 }, () => b.nextU32()));
    expect(a.nextU32()).toBe(b.nextU32());
  });
});
