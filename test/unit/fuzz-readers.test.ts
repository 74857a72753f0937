import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BenchResultFile, parseResultText, ResultFileError, resultToCsv } from '../../src/bench/result';
import { timingWarning } from '../../src/bench/stats';
import { NpyError, parseNpy } from '../../src/io/npy';
import { ProblemDirError, readProblemDir } from '../../src/io/problem-dir';
import { createPrng, type Prng } from '../../src/problem/prng';
import { ProblemError, resolveProblem } from '../../src/problem/validate';
import { chartData, deviceLabel, METRICS } from '../../src/ui/chart-data';
import { exportBaseName } from '../../src/ui/result-files';
import { baseFiles, baseProblem, baseResult } from '../hostile/cases';

/**
 * Property tests: random mutations of valid inputs never make a reader throw anything but its own
 * error type, and a result file the reader accepts never makes the page's functions throw (what
 * broke the page in issue 14). Seeded (a failure names its seed and iteration), bounded, fast.
 */

const SEED = 14;
const pick = <T>(rng: Prng, a: readonly T[]): T => a[Math.floor(rng.nextFloat() * a.length)];
const int = (rng: Prng, n: number) => Math.floor(rng.nextFloat() * n);

/** Values a careless or hostile writer puts where something else belongs. */
const WEIRD: readonly unknown[] = [
  null,
  0,
  -1,
  1.5,
  1e308,
  -1e-308,
  2 ** 53,
  '',
  'x',
  '../../etc',
  '<img src=x onerror=alert(1)>',
  true,
  false,
  [],
  [1, 'a', null],
  {},
  { id: 'a', length: 2 },
  [[[[]]]],
];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path into a JSON value: arrays of keys and indices. */
function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => void paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

/** One to three structural changes: replace a node, delete a key, add a key, duplicate an array item. */
function mutateJson(rng: Prng, value: Json): Json {
  const root = { v: structuredClone(value) } as { v: Json };
  for (let n = 1 + int(rng, 3); n > 0; n--) {
    const all = paths(root.v).map((p) => ['v', ...p]);
    const p = pick(rng, all);
    let parent: Record<string | number, Json> = root as unknown as Record<string, Json>;
    for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, Json>;
    const last = p[p.length - 1];
    const node = parent[last];
    const op = int(rng, 4);
    if (op === 0 || p.length === 1) parent[last] = structuredClone(pick(rng, WEIRD)) as Json;
    else if (op === 1 && !Array.isArray(parent)) delete parent[last];
    else if (op === 2 && node && typeof node === 'object' && !Array.isArray(node))
      node[pick(rng, ['extra', 'id', 'length', 'label', 'device', '__proto__'])] = pick(rng, WEIRD) as Json;
    else if (op === 3 && Array.isArray(node) && node.length > 0) node.push(structuredClone(node[0]));
    else parent[last] = structuredClone(pick(rng, WEIRD)) as Json;
  }
  return root.v;
}

/** Byte-level damage: overwrite, insert, delete, truncate. */
function mutateBytes(rng: Prng, bytes: Uint8Array): Uint8Array {
  let b = Uint8Array.from(bytes);
  for (let n = 1 + int(rng, 4); n > 0; n--) {
    const at = int(rng, b.length + 1);
    const op = int(rng, 4);
    if (op === 0 && b.length > 0) b[Math.min(at, b.length - 1)] = int(rng, 256);
    else if (op === 1) {
      const ins = Uint8Array.from({ length: 1 + int(rng, 8) }, () =>
        pick(rng, [0x28, 0x5b, 0x7b, 0x27, 0x2c, 0x30, 0xff, int(rng, 256)]),
      );
      b = Uint8Array.from([...b.subarray(0, at), ...ins, ...b.subarray(at)]);
    } else if (op === 2) b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1 + int(rng, 8))]);
    else b = b.subarray(0, at);
  }
  return b;
}

/** Text damage: the byte mutations on its characters. */
const mutateText = (rng: Prng, text: string): string =>
  String.fromCharCode(
    ...mutateBytes(
      rng,
      Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff),
    ),
  );

/** Everything the page computes from an accepted result file (tables, charts, labels, exports). */
function usePage(r: BenchResultFile): void {
  deviceLabel(r);
  for (const m of METRICS) chartData(m, [{ result: r, name: deviceLabel(r) }]);
  resultToCsv(r);
  exportBaseName(r);
  r.createdAt.slice(0, 16);
  r.suite.description.toString();
  for (const e of r.entries) {
    if (e.timing) timingWarning(e.timing);
    for (const c of e.checks ?? []) `${c.against} ${c.worst}`.trim();
    e.label.toString();
  }
}

function expectOnly(errorTypes: readonly (new (...a: never[]) => Error)[], run: () => void, where: string): void {
  try {
    run();
  } catch (e) {
    if (!errorTypes.some((T) => e instanceof T)) throw new Error(`${where}: threw ${(e as Error)?.stack ?? e}`);
  }
}

describe('fuzz: readers throw only their own errors', () => {
  it('result files: mutated JSON structure and text; accepted files never break the page', () => {
    const rng = createPrng(SEED);
    const base = baseResult() as Json;
    let accepted = 0;
    for (let i = 0; i < 1500; i++) {
      const text = i % 3 === 0 ? mutateText(rng, JSON.stringify(base)) : JSON.stringify(mutateJson(rng, base));
      const where = `seed ${SEED}, iteration ${i}: ${text.slice(0, 300)}`;
      expectOnly(
        [ResultFileError],
        () => {
          const r = parseResultText(text, 'f.json');
          accepted++;
          usePage(r);
        },
        where,
      );
    }
    // The mutations are not all refused (then the page's side would go untested) nor all accepted.
    expect(accepted).toBeGreaterThan(50);
    expect(accepted).toBeLessThan(1400);
  });

  it('problem.json: mutated structure; only ProblemError', () => {
    const rng = createPrng(SEED + 1);
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const input = mutateJson(rng, baseProblem as Json);
      expectOnly(
        [ProblemError],
        () => {
          resolveProblem(input);
          accepted++;
        },
        `seed ${SEED + 1}, iteration ${i}: ${JSON.stringify(input)}`,
      );
    }
    expect(accepted).toBeGreaterThan(10);
  });

  it('.npy: damaged bytes; only NpyError', () => {
    const rng = createPrng(SEED + 2);
    const valid = baseFiles()['q.npy'] as Uint8Array;
    for (let i = 0; i < 3000; i++) {
      const bytes = mutateBytes(rng, valid);
      expectOnly([NpyError], () => parseNpy(bytes, 'q.npy'), `seed ${SEED + 2}, iteration ${i}`);
    }
  });

  describe('problem directories: one damaged file; only ProblemDirError or NpyError', () => {
    let root: string;
    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'fuzz-dir-'));
    });
    afterAll(async () => {
      await rm(root, { recursive: true, force: true });
    });
    it('holds over 60 damaged directories', async () => {
      const rng = createPrng(SEED + 3);
      for (let i = 0; i < 60; i++) {
        const files = baseFiles();
        const name = pick(rng, Object.keys(files));
        const f = files[name];
        files[name] =
          name === 'problem.json' && i % 2 === 0
            ? JSON.stringify(mutateJson(rng, JSON.parse(f as string)))
            : typeof f === 'string'
              ? mutateText(rng, f)
              : mutateBytes(rng, f);
        const dir = join(root, `d${i}`);
        await mkdir(dir);
        for (const [n, content] of Object.entries(files)) await writeFile(join(dir, n), content);
        const e = await readProblemDir(dir).then(
          () => null,
          (err: unknown) => err,
        );
        if (e !== null && !(e instanceof ProblemDirError || e instanceof NpyError))
          throw new Error(`seed ${SEED + 3}, iteration ${i} (${name}): threw ${(e as Error).stack}`);
      }
    });
  });
});
