import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResultFile } from '../../src/bench/result';
import { resultTable, selectConfigs } from '../../src/cli/bench';
import { dropNoise } from '../../src/cli/stderr-noise';
import { formatTable, MAX_TABLE_WIDTH, num } from '../../src/cli/table';

/** The CLI's terminal output: one number format, tables within 120 columns, config selection, known noise dropped. */

const RESULTS = resolve(import.meta.dirname, '../../benches/results');

describe('terminal output', () => {
  it('writes every number in one format (no "0 GB/s" for 0.51, no "0.00" for 1.79e-4)', () => {
    expect([num(0.51), num(1.79e-4), num(4371.2), num(12.345), num(undefined)]).toEqual([
      '0.51',
      '1.79e-4',
      '4371',
      '12.3',
      '',
    ]);
  });

  it("keeps the results table within 120 columns, auto's reason under it", () => {
    const r = parseResultFile(JSON.parse(readFileSync(resolve(RESULTS, 'h100-auto-choice-f16.json'), 'utf8')));
    const text = resultTable(r.entries, r.bandwidthCeilingGBps);
    const lines = text.split('\n');
    const tableLines = lines.slice(0, 2 + r.entries.length);
    for (const l of tableLines) expect(l.length).toBeLessThanOrEqual(MAX_TABLE_WIDTH);
    const auto = r.entries.find((e) => e.kernel === 'auto' && e.ran);
    expect(lines.some((l) => auto?.ran && l.includes(auto.ran))).toBe(true);
    expect(formatTable(['a', 'b'], [['x'.repeat(200), 'y'.repeat(50)]]).split('\n')[2].length).toBeLessThanOrEqual(120);
  });

  it('selects configs by whole label or by index', () => {
    const all = ['B=1 P=4096', 'B=128 P=4096', 'B=512 P=4096'].map((label) => ({ label }));
    expect(selectConfigs(all, 's', 'B=1 P=4096', undefined).map((c) => c.label)).toEqual(['B=1 P=4096']);
    expect(() => selectConfigs(all, 's', 'B=1', undefined)).toThrow(/no config of s is labelled "B=1"/);
    expect(selectConfigs(all, 's', undefined, '1,3').map((c) => c.label)).toEqual(['B=1 P=4096', 'B=512 P=4096']);
    expect(() => selectConfigs(all, 's', undefined, '4')).toThrow(/configs 1 to 3/);
  });

  it('drops the known native noise and keeps everything else', () => {
    const stderr = [
      'error: XDG_RUNTIME_DIR is invalid or not set in the environment.',
      'Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.',
      ' - While initializing adapter (backend=BackendType::Vulkan)',
      '    at InitializeImpl (/x/dawn/src/dawn/native/vulkan/PhysicalDeviceVk.cpp:257)',
      '',
      'Warning: something new',
      'error: XDG_RUNTIME_DIR is invalid or not set in the environment.',
      'error: --seed must be an integer',
    ].join('\n');
    expect(dropNoise(stderr)).toBe('Warning: something new\nerror: --seed must be an integer');
  });
});
