import { describe, expect, it } from 'vitest';
import { noSharingProblem } from '../../src/problem/builders';
import { generateProblemData } from '../../src/problem/generate';
import { getPreset, presets } from '../../src/problem/presets';
import type { ProblemData, ProblemInput, SegmentKV } from '../../src/problem/problem';
import { resolveProblem } from '../../src/problem/validate';
import { referenceAttention } from '../../src/reference/attention';

const D = 16;

/** Problem data with every tensor zero, for hand-built cases. */
function zeros(input: ProblemInput): ProblemData {
  const spec = resolveProblem(input);
  const kv = new Map<string, SegmentKV>();
  for (const s of spec.segments) {
    const n = spec.headsKV * s.length * spec.headDim;
    kv.set(s.id, { k: new Float32Array(n), v: new Float32Array(n) });
  }
  return { spec, q: new Float32Array(spec.sequences.length * spec.headsQ * spec.queriesPerSeq * spec.headDim), kv };
}

const seg = (data: ProblemData, id: string): SegmentKV => {
  const s = data.kv.get(id);
  if (!s) throw new Error(id);
  return s;
};

/** Straightforward second implementation: concatenate K/V per sequence, softmax without tricks. */
function naive(data: ProblemData): { o: number[]; lse: number[] } {
  const { spec } = data;
  const o: number[] = [];
  const lse: number[] = [];
  const Dh = spec.headDim;
  for (const ids of spec.sequences) {
    const b = spec.sequences.indexOf(ids);
    for (let h = 0; h < spec.headsQ; h++) {
      const g = Math.floor((h * spec.headsKV) / spec.headsQ);
      const keys: number[][] = [];
      const vals: number[][] = [];
      for (const id of ids) {
        const len = spec.segments.find((s) => s.id === id)?.length ?? 0;
        for (let t = 0; t < len; t++) {
          const off = (g * len + t) * Dh;
          keys.push(Array.from(seg(data, id).k.subarray(off, off + Dh)));
          vals.push(Array.from(seg(data, id).v.subarray(off, off + Dh)));
        }
      }
      const L = keys.length;
      for (let i = 0; i < spec.queriesPerSeq; i++) {
        const qOff = ((b * spec.headsQ + h) * spec.queriesPerSeq + i) * Dh;
        const q = Array.from(data.q.subarray(qOff, qOff + Dh));
        const n = spec.causal ? L - spec.queriesPerSeq + i + 1 : L;
        const e = keys.slice(0, n).map((k) => Math.exp(spec.scale * k.reduce((a, x, d) => a + x * q[d], 0)));
        const sum = e.reduce((a, x) => a + x, 0);
        for (let d = 0; d < Dh; d++) o.push(e.reduce((a, w, j) => a + w * vals[j][d], 0) / sum);
        lse.push(Math.log(sum));
      }
    }
  }
  return { o, lse };
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-12): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol)) throw new Error(`element ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

describe('referenceAttention: hand-computed cases', () => {
  it('one key: o = v and lse = scale * q.k', () => {
    const data = zeros({ ...noSharingProblem({ batch: 1, length: 1, headsQ: 1, headsKV: 1, headDim: D }), scale: 0.5 });
    for (let d = 0; d < D; d++) {
      data.q[d] = d / 8;
      seg(data, 's0').k[d] = 1 - d / 16;
      seg(data, 's0').v[d] = d - 3;
    }
    let dot = 0;
    for (let d = 0; d < D; d++) dot += (d / 8) * (1 - d / 16);
    const r = referenceAttention(data);
    expectClose(
      r.o,
      Array.from({ length: D }, (_, d) => d - 3),
    );
    expect(r.lse[0]).toBeCloseTo(0.5 * dot, 12);
  });

  it('two keys with scores 0 and ln 3: weights 1/4 and 3/4, lse = ln 4', () => {
    const data = zeros({ ...noSharingProblem({ batch: 1, length: 2, headsQ: 1, headsKV: 1, headDim: D }), scale: 1 });
    const { k, v } = seg(data, 's0');
    data.q[0] = 1;
    k[D] = Math.fround(Math.log(3)); // key 1 (key 0 stays zero)
    v.fill(1, 0, D);
    v.fill(5, D, 2 * D);
    const r = referenceAttention(data);
    const w1 = Math.fround(Math.log(3));
    const p1 = Math.exp(w1) / (1 + Math.exp(w1));
    expectClose(r.o, Array(D).fill(1 * (1 - p1) + 5 * p1));
    expect(r.o[0]).toBeCloseTo(4, 6);
    expect(r.lse[0]).toBeCloseTo(Math.log(1 + Math.exp(w1)), 12);
    expect(r.lse[0]).toBeCloseTo(Math.log(4), 6);
  });

  it('causal: the first query of a chunk sees only the keys up to its position', () => {
    // One sequence of 2 keys, Lq = 2: query 0 sits at position 0 and sees key 0 only.
    const input = noSharingProblem({ batch: 1, length: 2, headsQ: 1, headsKV: 1, headDim: D, queriesPerSeq: 2 });
    const data = zeros({ ...input, scale: 1 });
    const { k, v } = seg(data, 's0');
    data.q[0] = 1; // query 0
    data.q[D] = 1; // query 1
    k[D] = 2; // key 1 scores 2, key 0 scores 0
    v.fill(-1, 0, D);
    v.fill(3, D, 2 * D);
    const r = referenceAttention(data);
    expectClose(r.o.subarray(0, D), Array(D).fill(-1));
    expect(r.lse[0]).toBe(0);
    const p = Math.exp(2) / (1 + Math.exp(2));
    expectClose(r.o.subarray(D), Array(D).fill(-(1 - p) + 3 * p));
    expect(r.lse[1]).toBeCloseTo(Math.log(1 + Math.exp(2)), 12);

    // The same data without the mask: both queries see both keys.
    const open = referenceAttention({ ...data, spec: resolveProblem({ ...input, scale: 1, causal: false }) });
    expectClose(open.o.subarray(0, D), Array(D).fill(-(1 - p) + 3 * p));
  });

  it('GQA: query head h reads KV head floor(h / (headsQ / headsKV))', () => {
    const data = zeros(noSharingProblem({ batch: 1, length: 1, headsQ: 6, headsKV: 3, headDim: D }));
    const { v } = seg(data, 's0');
    for (let g = 0; g < 3; g++) v.fill(10 + g, g * D, (g + 1) * D);
    const r = referenceAttention(data);
    expect(Array.from({ length: 6 }, (_, h) => r.o[h * D])).toEqual([10, 10, 11, 11, 12, 12]);
  });

  it('a shared segment gives the same result as duplicated copies of it', () => {
    const shared: ProblemInput = {
      headsQ: 4,
      headsKV: 2,
      headDim: D,
      queriesPerSeq: 3,
      segments: [
        { id: 'p', length: 9 },
        { id: 'a', length: 4 },
        { id: 'b', length: 6 },
      ],
      sequences: [
        ['p', 'a'],
        ['p', 'b'],
      ],
    };
    const dup: ProblemInput = {
      ...shared,
      segments: [
        { id: 'p0', length: 9 },
        { id: 'a', length: 4 },
        { id: 'p1', length: 9 },
        { id: 'b', length: 6 },
      ],
      sequences: [
        ['p0', 'a'],
        ['p1', 'b'],
      ],
    };
    const d1 = generateProblemData(resolveProblem(shared), 11);
    const kv = new Map(d1.kv);
    kv.set('p0', seg(d1, 'p'));
    kv.set('p1', seg(d1, 'p'));
    const d2: ProblemData = { spec: resolveProblem(dup), q: d1.q, kv };
    const r1 = referenceAttention(d1);
    const r2 = referenceAttention(d2);
    expect(r2.o).toEqual(r1.o);
    expect(r2.lse).toEqual(r1.lse);
  });

  it('large equal scores do not overflow: uniform weights, lse = score + ln L', () => {
    const data = zeros({ ...noSharingProblem({ batch: 1, length: 5, headsQ: 1, headsKV: 1, headDim: D }), scale: 1 });
    const { k, v } = seg(data, 's0');
    k.fill(1);
    for (let i = 0; i < v.length; i++) v[i] = i % 7;
    data.q.fill(50); // every score is 800: exp would overflow without the max subtraction
    const r = referenceAttention(data);
    expect(r.lse[0]).toBeCloseTo(800 + Math.log(5), 9);
    for (let d = 0; d < D; d++) {
      const mean = [0, 1, 2, 3, 4].reduce((a, t) => a + ((t * D + d) % 7), 0) / 5;
      expect(r.o[d]).toBeCloseTo(mean, 12);
    }
  });
});

describe('referenceAttention against a naive second implementation', () => {
  it.each(Object.keys(presets).filter((n) => n !== 'gqa-long' && n !== 'hydragen-small'))('preset %s', (name) => {
    const data = generateProblemData(resolveProblem(getPreset(name)), 3);
    const r = referenceAttention(data);
    const n = naive(data);
    expectClose(r.o, n.o, 1e-12);
    expectClose(r.lse, n.lse, 1e-12);
  });
});

describe('referenceAttention speed', () => {
  it('every preset runs in well under a second', () => {
    for (const name of Object.keys(presets)) {
      const data = generateProblemData(resolveProblem(getPreset(name)), 1);
      const t0 = performance.now();
      referenceAttention(data);
      expect(performance.now() - t0, name).toBeLessThan(700);
    }
  });

  it('handles B*headsQ*Lq*L*D ~ 1e8 in a few seconds', () => {
    const input = noSharingProblem({ batch: 4, length: 6000, headsQ: 8, headsKV: 2, headDim: 128, queriesPerSeq: 4 });
    const data = generateProblemData(resolveProblem(input), 2);
    const t0 = performance.now();
    const r = referenceAttention(data);
    const ms = performance.now() - t0;
    expect(r.lse.every(Number.isFinite)).toBe(true);
    expect(ms).toBeLessThan(5000);
  }, 30_000);
});
