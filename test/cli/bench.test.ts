import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResultText } from '../../src/bench/result';
import { benchCommand } from '../../src/cli/bench';

/** The CLI's bench command through Dawn (gpu-node project), on the smallest config of a real suite. */
describe('bench CLI', () => {
  it('measures the ceiling, times every variant, checks them, and writes a result file the page reads', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'bench-')), 'r.json');
    const lines: string[] = [];
    const code = await benchCommand(
      [
        ...['--suite', 'hydragen-batch', '--configs', 'B=1 P=4096', '--out', out],
        ...['--warmup-ms', '0', '--budget-ms', '0', '--min-runs', '2', '--ceiling-mib', '8', '--matmul-ceiling', '128'],
      ],
      (s) => lines.push(s),
    );
    const log = lines.join('\n');
    expect(code, log).toBe(0);
    expect(log).toMatch(/streaming-read ceiling: [\d.]+(e[+-]\d+)? GB\/s/);
    // SwiftShader offers no subgroup matrices: the f32 FMA product, checked, and said so.
    expect(log).toMatch(
      /compute ceiling: [\d.e+-]+ TFLOP\/s \(f32-fma at 128³: f32 FMA, .*CPU reference \(64 entries of C\) PASS\)/,
    );
    expect(log).toMatch(/% ceil +TFLOP\/s +% mm/);
    const r = parseResultText(await readFile(out, 'utf8'), out);
    expect(r.suite.name).toBe('hydragen-batch');
    expect(r.bandwidthCeilingGBps).toBeGreaterThan(0);
    expect(r.matmulCeilingTflops).toBeGreaterThan(0);
    expect(r.matmulCeiling).toMatchObject({
      variant: 'f32-fma',
      kind: 'f32-fma',
      size: 128,
      tflops: r.matmulCeilingTflops,
    });
    expect(r.matmulCeiling?.check.pass).toBe(true);
    expect(r.entries.map((e) => e.label)).toEqual(['naive', 'hydragen', 'hydragen (portable)', 'auto']);
    for (const e of r.entries) {
      expect(e.status, e.reason).toBe('ok');
      expect(e.timing?.runs).toBeGreaterThanOrEqual(2);
      // Every timed run is in the file, in order, with the submissions that held them.
      const t = e.timing;
      expect(t?.samplesMs?.length).toBe(t?.runs);
      expect(t?.batches?.reduce((a, b) => a + b, 0)).toBe(t?.runs);
      // Kept to 4 significant digits.
      expect(Math.abs(Math.min(...(t?.samplesMs ?? [])) / (t?.minMs ?? 0) - 1)).toBeLessThan(1e-3);
      expect(t?.warmupSamplesMs?.length).toBeGreaterThanOrEqual(2);
      expect(e.checks?.every((c) => c.pass)).toBe(true);
      // The runner fills in the problem's unique bytes (each byte once): with one sequence, all of it.
      expect(e.uniqueBytes).toBeGreaterThan(0);
      expect(e.uniqueBytes).toBeLessThanOrEqual(e.bytesMoved ?? 0);
    }
    // The results table stays within 120 columns; auto's choice is listed in full under it.
    const table = log.slice(log.indexOf('config  '));
    for (const l of table.split('\n').slice(0, 2 + r.entries.length)) expect(l.length).toBeLessThanOrEqual(120);
    expect(table).toMatch(/auto: ran auto → paged/);
    expect(r.entries[3].ran).toMatch(/^auto → paged/);
  });

  it('--overhead stores the fixed costs; a config of hash-generated K/V runs and passes its checks', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'bench-')), 'r.json');
    const lines: string[] = [];
    const code = await benchCommand(
      [
        ...['--suite', 'paged-ladder', '--configs', 'prefix B=1 P=4096', '--variants', 'bs8', '--out', out],
        ...[
          '--warmup-ms',
          '0',
          '--budget-ms',
          '0',
          '--min-runs',
          '2',
          '--ceiling-mib',
          '0',
          '--matmul-ceiling',
          '0',
          '--overhead',
        ],
      ],
      (s) => lines.push(s),
    );
    const log = lines.join('\n');
    expect(code, log).toBe(0);
    expect(log).toMatch(/fixed costs \(median, [a-z-]+\): empty pass [\d.]+ µs; 1 no-op dispatch [\d.]+ µs; 2 passes/);
    const r = parseResultText(await readFile(out, 'utf8'), out);
    expect(Object.keys(r.fixedCostsMs ?? {})).toEqual([
      'empty pass',
      '1 no-op dispatch',
      '2 passes x 1 no-op',
      '1 pass x 9 no-op',
      '4224 no-op workgroups',
    ]);
    for (const ms of Object.values(r.fixedCostsMs ?? {})) expect(ms).toBeGreaterThanOrEqual(0);
    expect(r.entries.map((e) => [e.config, e.label, e.status])).toEqual([
      ['prefix B=1 P=4096', 'L8 W32 U4 pf bs8', 'ok'],
    ]);
    expect(r.entries[0].ran).toMatch(/^paged \(block 8, /);
    expect(r.entries[0].checks?.map((c) => c.pass)).toEqual([true]);
  });

  it('refuses a compute-ceiling size that fits no tile, and --kv-dtype on a matrix-product suite, before any GPU work', async () => {
    const run = (args: string[]) => benchCommand(args, () => {});
    await expect(run(['--suite', 'hydragen-batch', '--matmul-ceiling', '100'])).rejects.toThrow(
      /^--matmul-ceiling 100: sgm-2x2-pad8-prefetch needs M a multiple of 128/,
    );
    await expect(run(['--suite', 'matmul-ceiling', '--kv-dtype', 'f16'])).rejects.toThrow(
      '--kv-dtype does not apply to the matrix-product suite matmul-ceiling',
    );
    await expect(run(['--suite', 'nope'])).rejects.toThrow(/known: .*matmul-ceiling/);
  });
});
