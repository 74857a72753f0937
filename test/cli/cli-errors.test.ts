import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResultText } from '../../src/bench/result';
import { writeNpyFloat32 } from '../../src/io/npy';
import { baseFiles } from '../hostile/cases';

/**
 * The CLI as a user runs it: the built dist-cli/cli.mjs in a subprocess, checking exit codes and that
 * an error is one line on stderr. Flag and path errors must come before any GPU work, so their
 * output never shows the adapter line (printed once a device is acquired).
 */

const ROOT = resolve(import.meta.dirname, '../..');
let work: string;
let cli: string;

beforeAll(async () => {
  // Under node_modules so the built file finds the `webgpu` package, as dist-cli/cli.mjs does.
  mkdirSync(join(ROOT, 'node_modules', '.cache'), { recursive: true });
  work = mkdtempSync(join(ROOT, 'node_modules', '.cache', 'cli-errors-'));
  await build({
    root: ROOT,
    configFile: join(ROOT, 'vite.cli.config.ts'),
    logLevel: 'warn',
    build: { outDir: join(work, 'dist-cli'), emptyOutDir: true },
  });
  cli = join(work, 'dist-cli', 'cli.mjs');
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string> = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** stderr's lines, without Dawn's own chatter about XDG_RUNTIME_DIR. */
const errorLines = (err: string) =>
  err
    .split('\n')
    .filter((l) => l.trim() !== '' && !/XDG_RUNTIME_DIR/.test(l))
    .map((l) => l.trimEnd());

/** Exit 2, one line on stderr matching `message`, and no GPU work (no adapter line). */
function expectInputError(args: string[], message: RegExp, env: Record<string, string> = {}): void {
  const r = run(args, env);
  const lines = errorLines(r.err);
  expect(lines, r.err).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(r.code, r.err).toBe(2);
  expect(r.out, 'no GPU work before the refusal').not.toMatch(/^adapter: /m);
}

function problemDir(name: string, files: Record<string, string | Uint8Array> = {}): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, content] of Object.entries({ ...baseFiles(), ...files })) writeFileSync(join(dir, f), content);
  return dir;
}

describe('CLI: bad input costs no run and exits 2 with one line', () => {
  it('bench --out an existing directory is refused before the suite runs', () => {
    const dir = join(work, 'existing-dir');
    mkdirSync(dir, { recursive: true });
    expectInputError(
      ['bench', '--suite', 'hydragen-batch', '--configs', 'B=1 P=4096', '--out', dir],
      /^error: --out .*existing-dir: is a directory; give a file name, e\.g\. .*results\.json/,
    );
  });

  it('verify --out a file, --export-problem a file, and --export-problem onto --problem', () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'x');
    expectInputError(
      ['verify', '--preset', 'tiny', '--out', file],
      /^error: --out .*a-file: is a file, not a directory/,
    );
    expectInputError(
      ['verify', '--preset', 'tiny', '--export-problem', file],
      /^error: --export-problem .*a-file: is a file, not a directory/,
    );
    expectInputError(
      ['verify', '--preset', 'tiny', '--out', join(file, 'sub')],
      /^error: --out .*a-file[/]sub: .*a-file is a file, not a directory/,
    );
    const dir = problemDir('own-problem');
    const before = readFileSync(join(dir, 'q.npy'));
    expectInputError(
      ['verify', '--problem', dir, '--export-problem', `${dir}/`],
      /^error: --export-problem .* is the --problem directory; writing it would replace the problem's own files/,
    );
    expect(readFileSync(join(dir, 'q.npy')).equals(before)).toBe(true);
  });

  it('Dawn flags: garbage in --dawn or DAWN_FLAGS is named, not a SwiftShader fallback and a stack trace', () => {
    expectInputError(
      ['verify', '--preset', 'tiny', '--dawn', 'garbage'],
      /^error: --dawn "garbage" is not a Dawn flag; /,
    );
    expectInputError(
      ['verify', '--preset', 'tiny', '--dawn', 'enable-dawn-features=a b'],
      /^error: --dawn "enable-dawn-features=a b": toggles must be comma-separated names/,
    );
    expectInputError(['verify', '--preset', 'tiny'], /^error: DAWN_FLAGS "nonsense" is not a Dawn flag; /, {
      DAWN_FLAGS: 'nonsense',
    });
  });

  it('seeds: empty, 1e300 and -1 are refused naming the flag and the value', () => {
    for (const [args, shown] of [
      [['--seed='], '""'],
      [['--seed', '1e300'], '"1e300"'],
      [['--seed', '-1'], '"-1"'],
      [['--seed', '4294967296'], '"4294967296"'],
    ] as const) {
      const escaped = shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      expectInputError(
        ['verify', '--preset', 'tiny', ...args],
        new RegExp(`^error: --seed must be a whole number from 0 to 4294967295 \\(got ${escaped}\\)`),
      );
    }
    expectInputError(['bench', '--suite', 'hydragen-batch', '--seed', '-1'], /^error: --seed must be a whole number/);
  });

  it('--kernel naive,naive is refused, not run twice', () => {
    expectInputError(['verify', '--preset', 'tiny', '--kernel', 'naive,naive'], /^error: --kernel lists naive twice/);
  });

  it('--ceiling-mib past any device, and past this device, is refused naming the flag before measuring', () => {
    expectInputError(
      ['bench', '--suite', 'hydragen-batch', '--ceiling-mib', '1000000'],
      /^error: --ceiling-mib must be a whole number from 0 to 65536 \(got "1000000"\)/,
    );
    // Within the static bound but over SwiftShader's 1 GiB binding limit: known once the device is.
    const r = run(['bench', '--suite', 'hydragen-batch', '--configs', 'B=1 P=4096', '--ceiling-mib', '65536']);
    expect(errorLines(r.err)).toEqual([
      expect.stringMatching(/^error: --ceiling-mib 65536 is over this device's buffer limit \(.*: \d+ MiB\)/),
    ]);
    expect(r.code).toBe(2);
    expect(r.out).not.toMatch(/streaming-read ceiling|suite hydragen-batch/);
  });

  it('a data-file error is one line naming the file (no usage text)', () => {
    const dir = problemDir('bad-json', { 'problem.json': '{"headsQ": 2, "headsKV": 1, "headDim": 30}' });
    expectInputError(
      ['verify', '--problem', dir],
      /^error: .*bad-json[/]problem\.json: headDim \(30\) must be a multiple of 4 between 16 and 256$/,
    );
    const q = new Float32Array(32).fill(0.25);
    q[19] = Number.NaN;
    const nan = problemDir('nan-q', { 'q.npy': writeNpyFloat32([1, 2, 1, 16], q) });
    expectInputError(
      ['verify', '--problem', nan],
      /^error: .*nan-q[/]q\.npy: element \[0, 1, 0, 3\] is NaN; q must be finite$/,
    );
  });

  it('an unknown flag: one line that points at --help', () => {
    expectInputError(['verify', '--bogus'], /^error: Unknown option '--bogus' \(see cli\.mjs verify --help\)$/);
    const help = run(['verify', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/3 nothing was checked/);
  });
});

describe('CLI: results and exit codes', () => {
  it('verify exits 3 when every selected kernel is skipped: nothing checked is not a pass', () => {
    // SwiftShader offers no subgroup matrices, so --subgroup-matrix on makes Hydragen unsupported.
    const r = run(['verify', '--preset', 'tiny', '--kernel', 'hydragen', '--subgroup-matrix', 'on']);
    expect(r.out).toMatch(/SKIP: /);
    expect(r.out).toMatch(/nothing was checked: every selected kernel was skipped \(exit code 3\)/);
    expect(r.code, r.out + r.err).toBe(3);
    const ok = run(['verify', '--preset', 'tiny', '--kernel', 'naive']);
    expect(ok.code, ok.out + ok.err).toBe(0);
  });

  it('bench writes its result file after each finished entry: a killed run keeps what it measured', async () => {
    const out = join(work, 'partial', 'run.json');
    const child: ChildProcess = spawn(
      process.execPath,
      [
        cli,
        ...['bench', '--suite', 'hydragen-batch', '--configs', 'B=1 P=4096', '--out', out],
        ...['--warmup-ms', '0', '--budget-ms', '0', '--min-runs', '2', '--ceiling-mib', '0'],
      ],
      { cwd: ROOT, env: process.env, stdio: 'ignore' },
    );
    let exited = false;
    child.on('exit', () => {
      exited = true;
    });
    try {
      const deadline = Date.now() + 110_000;
      while (!existsSync(out) && !exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(existsSync(out), 'a result file appeared while the run went on').toBe(true);
      expect(exited, 'the file appeared before the run ended').toBe(false);
      child.kill('SIGKILL');
      // Written whole (temp file + rename): a valid result file with the entries finished so far.
      const r = parseResultText(readFileSync(out, 'utf8'), out);
      expect(r.entries.length).toBeGreaterThanOrEqual(1);
      expect(r.entries.length).toBeLessThan(4);
      expect(r.entries[0].label).toBe('naive');
    } finally {
      if (!exited) child.kill('SIGKILL');
    }
  }, 120_000);
});
