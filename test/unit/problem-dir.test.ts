import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNpy, writeNpyFloat16, writeNpyFloat32 } from '../../src/io/npy';
import {
  ProblemDirError,
  readProblemDir,
  readResultDir,
  writeProblemDir,
  writeResultDir,
} from '../../src/io/problem-dir';
import { roundToF16, toF16Bits } from '../../src/problem/f16';
import { generateProblemData } from '../../src/problem/generate';
import { getPreset } from '../../src/problem/presets';
import { lseElements, qElements } from '../../src/problem/problem';
import { resolveProblem } from '../../src/problem/validate';
import { referenceAttention } from '../../src/reference/attention';

let root: string;
let n = 0;
const freshDir = (): string => join(root, `case-${n++}`);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'attention-playground-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('NumPy interoperability fixture', () => {
  it('referenceAttention on the NumPy-written problem matches NumPy attention within 1e-5', async () => {
    const dir = fileURLToPath(new URL('../fixtures/numpy-problem', import.meta.url));
    const data = await readProblemDir(dir);
    expect(data.spec.sequences).toEqual([['shared', 'a'], ['b'], ['shared', 'c']]);
    expect([data.spec.headsQ, data.spec.headsKV, data.spec.queriesPerSeq, data.spec.causal]).toEqual([4, 2, 3, true]);
    const r = referenceAttention(data);
    const o = parseNpy(await readFile(join(dir, 'expected_o.npy')), 'expected_o.npy');
    const lse = parseNpy(await readFile(join(dir, 'expected_lse.npy')), 'expected_lse.npy');
    expect(o.shape).toEqual([3, 4, 3, 16]);
    expect(lse.shape).toEqual([3, 4, 3]);
    let worst = 0;
    for (let i = 0; i < r.o.length; i++) worst = Math.max(worst, Math.abs(r.o[i] - o.data[i]));
    for (let i = 0; i < r.lse.length; i++) worst = Math.max(worst, Math.abs(r.lse[i] - lse.data[i]));
    expect(worst).toBeLessThan(1e-5);
    // Not trivially passing: the causal mask matters for this data.
    const open = referenceAttention({ ...data, spec: { ...data.spec, causal: false } });
    expect(Math.abs(open.lse[0] - lse.data[0])).toBeGreaterThan(1e-3);
  });
});

describe('writeProblemDir / readProblemDir', () => {
  it('round-trips an f32 problem exactly', async () => {
    const dir = freshDir();
    const data = generateProblemData(resolveProblem(getPreset('multi-prefix')), 5);
    await writeProblemDir(dir, data);
    const back = await readProblemDir(dir);
    expect(back.spec).toEqual(data.spec);
    expect(back.q).toEqual(data.q);
    for (const s of data.spec.segments) {
      expect(back.kv.get(s.id)).toEqual(data.kv.get(s.id));
    }
    const json = JSON.parse(await readFile(join(dir, 'problem.json'), 'utf8'));
    expect(json.kvDtype).toBe('f32');
    expect(parseNpy(await readFile(join(dir, 'seg_g0-prefix_k.npy')), 'k').dtype).toBe('float32');
  });

  it('writes float16 K/V for f16 problems and reads them back exactly', async () => {
    const dir = freshDir();
    const data = generateProblemData(resolveProblem({ ...getPreset('tiny'), kvDtype: 'f16' }), 6);
    await writeProblemDir(dir, data);
    const k = parseNpy(await readFile(join(dir, 'seg_s0_k.npy')), 'k');
    expect(k.dtype).toBe('float16');
    expect(k.shape).toEqual([2, 7, 16]);
    expect(parseNpy(await readFile(join(dir, 'q.npy')), 'q').dtype).toBe('float32');
    const back = await readProblemDir(dir);
    expect(back.kv.get('s0')).toEqual(data.kv.get('s0'));
    expect(back.kv.get('s1')).toEqual(data.kv.get('s1'));
  });

  it('rounds float32 files to f16 for an f16 problem and accepts float16 files for an f32 one', async () => {
    const dir = freshDir();
    const data = generateProblemData(resolveProblem(getPreset('tiny')), 7);
    await writeProblemDir(dir, data); // float32 files
    const json = JSON.parse(await readFile(join(dir, 'problem.json'), 'utf8'));
    await writeFile(join(dir, 'problem.json'), JSON.stringify({ ...json, kvDtype: 'f16' }));
    const asF16 = await readProblemDir(dir);
    const k32 = data.kv.get('s0')?.k ?? new Float32Array();
    expect(asF16.kv.get('s0')?.k).toEqual(Float32Array.from(k32, roundToF16));

    // A float16 file in an f32 problem: its values are exact in f32.
    await writeFile(join(dir, 'problem.json'), JSON.stringify(json));
    await writeFile(
      join(dir, 'seg_s1_v.npy'),
      writeNpyFloat16([2, 5, 16], toF16Bits(data.kv.get('s1')?.v ?? new Float32Array())),
    );
    const mixed = await readProblemDir(dir);
    expect(mixed.spec.kvDtype).toBe('f32');
    expect(mixed.kv.get('s1')?.v).toEqual(Float32Array.from(data.kv.get('s1')?.v ?? [], roundToF16));
    expect(mixed.kv.get('s1')?.k).toEqual(data.kv.get('s1')?.k);
  });

  it('writeResultDir writes float32 o [B, headsQ, Lq, D] and lse [B, headsQ, Lq]', async () => {
    const dir = freshDir();
    const data = generateProblemData(resolveProblem(getPreset('chunk-causal')), 8);
    const r = referenceAttention(data);
    await writeResultDir(dir, r, data.spec);
    const o = parseNpy(await readFile(join(dir, 'o.npy')), 'o.npy');
    const lse = parseNpy(await readFile(join(dir, 'lse.npy')), 'lse.npy');
    expect(o.dtype).toBe('float32');
    expect(o.shape).toEqual([4, 4, 5, 32]);
    expect(lse.shape).toEqual([4, 4, 5]);
    expect(o.data).toEqual(Float32Array.from(r.o));
    expect(o.data.length).toBe(qElements(data.spec));
    expect(lse.data.length).toBe(lseElements(data.spec));
    const back = await readResultDir(dir, data.spec);
    expect(back.lse).toEqual(Float32Array.from(r.lse));
  });
});

describe('readProblemDir refusals name the file', () => {
  async function validDir(): Promise<string> {
    const dir = freshDir();
    await writeProblemDir(dir, generateProblemData(resolveProblem(getPreset('tiny')), 1));
    return dir;
  }

  it('a missing directory or problem.json', async () => {
    const dir = freshDir();
    const e = await rejection(readProblemDir(dir));
    expect(e).toBeInstanceOf(ProblemDirError);
    expect(e.message).toBe(`${join(dir, 'problem.json')}: file not found`);
  });

  it('bad JSON', async () => {
    const dir = freshDir();
    await mkdir(dir);
    await writeFile(join(dir, 'problem.json'), '{"headsQ": 4,');
    expect((await rejection(readProblemDir(dir))).message).toMatch(/problem\.json: invalid JSON/);
  });

  it('a validation error', async () => {
    const dir = await validDir();
    const json = JSON.parse(await readFile(join(dir, 'problem.json'), 'utf8'));
    await writeFile(join(dir, 'problem.json'), JSON.stringify({ ...json, headsKV: 3 }));
    expect((await rejection(readProblemDir(dir))).message).toBe(
      `${join(dir, 'problem.json')}: headsQ (4) must be a multiple of headsKV (3)`,
    );
  });

  it('a missing segment file', async () => {
    const dir = await validDir();
    await unlink(join(dir, 'seg_s1_v.npy'));
    expect((await rejection(readProblemDir(dir))).message).toBe(`${join(dir, 'seg_s1_v.npy')}: file not found`);
  });

  it('a q of the wrong shape or dtype', async () => {
    const dir = await validDir();
    await writeFile(join(dir, 'q.npy'), writeNpyFloat32([2, 4, 16], new Float32Array(128)));
    expect((await rejection(readProblemDir(dir))).message).toBe(
      `${join(dir, 'q.npy')}: expected shape [2, 4, 1, 16], got [2, 4, 16]`,
    );
    await writeFile(join(dir, 'q.npy'), writeNpyFloat16([2, 4, 1, 16], new Uint16Array(128)));
    expect((await rejection(readProblemDir(dir))).message).toBe(
      `${join(dir, 'q.npy')}: q must be float32, got float16`,
    );
  });

  it('a segment of the wrong length', async () => {
    const dir = await validDir();
    await writeFile(join(dir, 'seg_s0_k.npy'), writeNpyFloat32([2, 6, 16], new Float32Array(192)));
    expect((await rejection(readProblemDir(dir))).message).toBe(
      `${join(dir, 'seg_s0_k.npy')}: expected shape [2, 7, 16], got [2, 6, 16]`,
    );
  });

  it('a corrupt .npy file', async () => {
    const dir = await validDir();
    await writeFile(join(dir, 'seg_s0_v.npy'), new Uint8Array([1, 2, 3]));
    expect((await rejection(readProblemDir(dir))).message).toBe(
      `${join(dir, 'seg_s0_v.npy')}: not a .npy file (bad magic string)`,
    );
  });
});
