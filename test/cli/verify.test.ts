import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/usage-error';
import { verifyCommand } from '../../src/cli/verify';
import { parseNpy } from '../../src/io/npy';
import { kernels } from '../../src/kernels/registry';

/** The CLI's verify command in Node through Dawn (the gpu-node project), on a problem NumPy wrote. */

const fixture = 'test/fixtures/numpy-problem';

async function verify(args: string[]): Promise<{ code: number; log: string }> {
  const lines: string[] = [];
  const code = await verifyCommand(args, (s) => lines.push(s));
  return { code, log: lines.join('\n') };
}

describe('verify CLI', () => {
  it("runs every kernel on NumPy's problem; each o.npy agrees with NumPy's own attention", async () => {
    const out = await mkdtemp(join(tmpdir(), 'verify-'));
    const { code, log } = await verify(['--problem', fixture, '--kernel', 'all', '--out', out]);
    expect(code, log).toBe(0);
    expect(log).toMatch(/^adapter: /);
    const expected = parseNpy(await readFile(join(fixture, 'expected_o.npy')), 'expected_o.npy');
    const expectedLse = parseNpy(await readFile(join(fixture, 'expected_lse.npy')), 'expected_lse.npy');
    for (const k of kernels) {
      expect(log).toContain(k.name);
      const o = parseNpy(await readFile(join(out, k.name, 'o.npy')), 'o.npy');
      const lse = parseNpy(await readFile(join(out, k.name, 'lse.npy')), 'lse.npy');
      expect(o.shape).toEqual(expected.shape);
      expect(lse.shape).toEqual(expectedLse.shape);
      let worst = 0;
      for (let n = 0; n < o.data.length; n++) worst = Math.max(worst, Math.abs(o.data[n] - expected.data[n]));
      for (let n = 0; n < lse.data.length; n++) worst = Math.max(worst, Math.abs(lse.data[n] - expectedLse.data[n]));
      expect(worst, k.name).toBeLessThan(1e-5);
    }
  });

  it('a preset passes; an unknown preset or kernel is a usage error', async () => {
    const { code, log } = await verify(['--preset', 'tiny', '--seed', '5']);
    expect(code, log).toBe(0);
    expect(log).toMatch(/PASS/);
    await expect(verify(['--preset', 'no-such'])).rejects.toThrow(/unknown preset "no-such"/);
    await expect(verify(['--preset', 'tiny', '--kernel', 'nope'])).rejects.toThrow(UsageError);
    await expect(verify([])).rejects.toThrow(/exactly one of --problem/);
  });

  it('a broken problem directory is refused naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'badproblem-'));
    await writeFile(join(dir, 'problem.json'), '{"headsQ": 6, "headsKV": 4}');
    await expect(verify(['--problem', dir])).rejects.toThrow(/problem\.json/);
  });
});
