import { describe, expect, it } from 'vitest';
import { noSharingProblem, sharedPrefixProblem } from '../../src/problem/builders';
import { roundToF16 } from '../../src/problem/f16';
import { generateProblemData } from '../../src/problem/generate';
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
});
