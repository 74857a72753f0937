import { mkdir, mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suites } from '../../benches/suites';
import { ResultFileError } from '../../src/bench/result';
import { NpyError, parseNpy } from '../../src/io/npy';
import { ProblemDirError, readProblemDir } from '../../src/io/problem-dir';
import { kernels } from '../../src/kernels/registry';
import { committedCatalog, resolveCommitted } from '../../src/ui/committed-results';
import { formToProblem } from '../../src/ui/problem-form';
import { importResultText } from '../../src/ui/result-files';
import { type RunErrors, resolveKernelSelection, resolveMode, resolveSettings } from '../../src/ui/run-config';
import { customSweepSuite } from '../../src/ui/sweep';
import { paramsToState } from '../../src/ui/url-state';
import { baseFiles, baseResult, type Expect, npyCases, problemDirCases, resultCases, urlCases } from '../hostile/cases';

/** Every reader through the corpus of hostile inputs in test/hostile/cases.ts; each refusal's message is checked. */

const matches = (message: string, want: Expect) =>
  typeof want === 'string' ? expect(message).toBe(want) : expect(message).toMatch(want);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hostile-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('problem directories', () => {
  it.each(problemDirCases.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
    const dir = join(root, `problem-${i}`);
    await mkdir(dir);
    const files = { ...baseFiles(), ...c.files };
    for (const [name, content] of Object.entries(files)) {
      const path = join(dir, name);
      if (content === null) continue;
      if (content === 'dir') await mkdir(path);
      else if (typeof content === 'object' && 'sparse' in content) {
        await writeFile(path, '');
        await truncate(path, content.sparse);
      } else await writeFile(path, content);
    }
    const e = await readProblemDir(dir).then(
      () => null,
      (err: unknown) => err,
    );
    // The directory reader's own errors: ProblemDirError, or NpyError for a file's format (both name the file).
    expect(e instanceof ProblemDirError || e instanceof NpyError, `expected a refusal, got ${e}`).toBe(true);
    const message = (e as Error).message;
    expect(message.startsWith(`${dir}/`), message).toBe(true);
    matches(message.slice(dir.length + 1), c.expect);
    expect(message).not.toMatch(/\n/);
  });

  it('the base problem of the table is valid (so each case fails for its own reason)', async () => {
    const dir = join(root, 'base');
    await mkdir(dir);
    for (const [name, content] of Object.entries(baseFiles())) await writeFile(join(dir, name), content);
    expect((await readProblemDir(dir)).spec.headDim).toBe(16);
  });
});

describe('.npy files', () => {
  it.each(npyCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    let e: unknown = null;
    try {
      parseNpy(c.bytes, 'x.npy');
    } catch (err) {
      e = err;
    }
    expect(e, 'expected a refusal').toBeInstanceOf(NpyError);
    const message = (e as Error).message;
    expect(message.startsWith('x.npy: ')).toBe(true);
    matches(message.slice('x.npy: '.length), c.expect);
  });
});

describe('result files', () => {
  it.each(resultCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    let text = c.text;
    if (text === undefined) {
      const r = baseResult() as ReturnType<typeof baseResult> & { entries: Record<string, unknown>[] };
      c.patch?.(r);
      text = JSON.stringify(r);
    }
    const outcome = importResultText(text, 'r.json');
    expect(outcome.ok, 'expected a refusal').toBe(false);
    const message = outcome.ok ? '' : outcome.message;
    expect(message.startsWith('r.json: ')).toBe(true);
    matches(message.slice('r.json: '.length), c.expect);
  });

  it('the base result of the table is valid', () => {
    expect(importResultText(JSON.stringify(baseResult()), 'r.json').ok).toBe(true);
    expect(new ResultFileError('x').name).toBe('ResultFileError');
  });
});

/** The messages the page shows for a URL's parameters, by field (what app-shell's validate() computes). */
async function urlMessages(query: string): Promise<Record<string, string>> {
  const state = paramsToState(new URLSearchParams(query));
  const out: Record<string, string> = {};
  const problem = formToProblem(state.form);
  if (!problem.ok) Object.assign(out, problem.errors);
  const errors: RunErrors = {};
  const sel = resolveKernelSelection(state.kernels, kernels);
  if (sel.error) errors.kernels = sel.error;
  const mode = resolveMode(state.mode, errors);
  resolveSettings(state.settings, errors);
  if (mode === 'sweep') {
    if (state.suite === 'custom') {
      const s = customSweepSuite(state.form, state.axis, state.values, sel.kernels);
      if (!s.ok) Object.assign(errors, s.errors);
    } else if (!suites.some((x) => x.name === state.suite))
      errors.suite = `unknown suite ${JSON.stringify(state.suite)}; known: ${['custom', ...suites.map((x) => x.name)].join(', ')}`;
  }
  Object.assign(out, errors);
  const names = (await readdir('benches/results')).filter((f) => f.endsWith('.json'));
  const catalog = committedCatalog(
    Object.fromEntries(names.map((n) => [`../../benches/results/${n}`, `/assets/${n}`])),
    suites.map((s) => s.name),
  );
  const { messages } = resolveCommitted(state.results, catalog);
  if (messages.length > 0) out.results = messages.join('\n');
  return out;
}

describe('URL parameters', () => {
  it.each(urlCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const messages = await urlMessages(c.query);
    expect(messages[c.field], JSON.stringify(messages)).toBeDefined();
    matches(messages[c.field] ?? '', c.expect);
  });

  it('no parameters: no messages', async () => {
    expect(await urlMessages('')).toEqual({});
  });
});
