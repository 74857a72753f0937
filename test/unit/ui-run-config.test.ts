import { describe, expect, it } from 'vitest';
import type { KernelDescriptor } from '../../src/kernels/kernel';
import { type RunErrors, resolveKernelSelection, resolveMode, resolveSettings } from '../../src/ui/run-config';
import { formatProgress } from '../../src/ui/run-suite';
import { defaultSettingsForm } from '../../src/ui/url-state';

const registry = [{ name: 'naive' }, { name: 'hydragen' }] as KernelDescriptor[];

describe('run panel validation', () => {
  it('selects kernels from the registry', () => {
    expect(resolveKernelSelection(['all'], registry).kernels.map((k) => k.name)).toEqual(['naive', 'hydragen']);
    expect(resolveKernelSelection(['hydragen'], registry)).toEqual({ kernels: [registry[1]] });
    expect(resolveKernelSelection(['naive', 'flash'], registry).error).toBe(
      'unknown kernel "flash"; known: naive, hydragen',
    );
    expect(resolveKernelSelection([], registry).error).toBe('select at least one kernel');
  });

  it('checks the mode and the timing settings', () => {
    const errors: RunErrors = {};
    expect(resolveMode('sweep', errors)).toBe('sweep');
    expect(resolveMode('fast', errors)).toBe('check');
    expect(errors.mode).toMatch(/must be one of check, bench, sweep/);
    const s = resolveSettings({ ...defaultSettingsForm, minRuns: '3', warmupMs: '0', budgetMs: 'x' }, errors);
    expect(s.minRuns).toBe(3);
    expect(s.warmupMs).toBe(0);
    expect(errors.budgetMs).toBe('time budget ms ("x") must be a whole number');
  });

  it('checks the compute ceiling size: 0 skips it, else a multiple of 128', () => {
    const errors: RunErrors = {};
    expect(resolveSettings({ ...defaultSettingsForm }, errors).matmulSize).toBe(2048);
    expect(resolveSettings({ ...defaultSettingsForm, matmulSize: '0' }, errors).matmulSize).toBe(0);
    expect(errors).toEqual({});
    resolveSettings({ ...defaultSettingsForm, matmulSize: '1000' }, errors);
    expect(errors.matmulSize).toMatch(/^compute ceiling size \(1000\): .*multiple of 128.*; 0 skips it$/);
  });

  it('formats progress as config and run counts', () => {
    const p = { configIndex: 6, configCount: 20, label: 'naive', phase: 'timing', run: 13, runs: 50 };
    expect(formatProgress(p)).toBe('config 7/20 · naive · run 13/50');
    expect(formatProgress({ ...p, phase: 'warmup', run: 2 })).toBe('config 7/20 · naive · warm-up 2');
  });
});
