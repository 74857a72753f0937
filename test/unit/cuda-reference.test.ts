import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { suites } from '../../benches/suites';
import { parseResultText } from '../../src/bench/result';
import { defaultSettings } from '../../src/bench/runner';
import { exportSuite, SUITES_SCHEMA } from '../../src/cli/suites';
import { uniqueBytes } from '../../src/kernels/cost';
import { resolveProblem } from '../../src/problem/validate';

/**
 * benches/cuda_reference.py without PyTorch (it runs on a GPU server): its pure-Python tests, and the
 * files it writes read back by parseResultFile, as the page reads them. Needs python3 (CI installs it).
 */

const ROOT = resolve(import.meta.dirname, '../..');
const python = (args: string[]) => execFileSync('python3', args, { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });

describe('the CUDA reference runner', () => {
  it("passes its pure-Python tests, and its result writer's file is one the page reads", () => {
    python(['test/python/test_cuda_reference.py']);
    const dir = mkdtempSync(join(tmpdir(), 'cuda-ref-'));
    const path = join(dir, 'sample.json');
    python(['test/python/test_cuda_reference.py', '--write-sample', path]);
    const r = parseResultText(readFileSync(path, 'utf8'), 'sample.json');
    expect(r.source).toBe('cuda-reference (PyTorch 2.11.0, FA2)');
    expect(r.clock).toBe('cuda-events');
    expect(r.matmulCeilingTflops).toBe(700);
    expect(r.entries.map((e) => e.status)).toEqual(['ok', 'skipped']);
  }, 60_000);

  it('runs the shapes of every suite, as exported by the CLI (dry run)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cuda-ref-'));
    const exported = { schema: SUITES_SCHEMA, version: 1, defaultSettings, suites: suites.map((s) => exportSuite(s)) };
    writeFileSync(join(dir, 'suites.json'), JSON.stringify(exported));
    python([
      'benches/cuda_reference.py',
      '--suite',
      'all',
      '--dry-run',
      '--suites-json',
      join(dir, 'suites.json'),
      '--out',
      join(dir, '{suite}.json'),
    ]);
    for (const s of suites) {
      const r = parseResultText(readFileSync(join(dir, `${s.name}.json`), 'utf8'), s.name);
      const configs = s.configs();
      expect(r.suite.name).toBe(s.name);
      expect(r.settings).toEqual(defaultSettings);
      expect(r.entries.length).toBe(2 * configs.length);
      expect(r.entries.map((e) => e.config)).toEqual(configs.flatMap((c) => [c.label, c.label]));
      for (const e of r.entries)
        expect(e.problem).toEqual(exportSuite(s).configs.find((c) => c.label === e.config)?.problem);
    }
  }, 60_000);

  it('exports each config with the same unique bytes the runner quotes, and --kv-dtype switches it', () => {
    const [s] = suites;
    const f16 = exportSuite(s, 'f16');
    for (const [i, c] of s.configs().entries()) {
      expect(f16.configs[i].problem.kvDtype).toBe('f16');
      expect(f16.configs[i].cost.uniqueBytes).toBe(uniqueBytes(resolveProblem({ ...c.input, kvDtype: 'f16' })));
      // One sequence shares nothing; from two on, the prefix is counted once per segment, not per sequence.
      const shares = c.input.sequences.length > 1;
      expect(f16.configs[i].cost.bytesPerSegmentKv < f16.configs[i].cost.bytesPerSequenceKv).toBe(shares);
    }
  });
});
