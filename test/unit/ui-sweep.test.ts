import { describe, expect, it } from 'vitest';
import type { KernelDescriptor } from '../../src/kernels/kernel';
import { resolveProblem } from '../../src/problem/validate';
import { defaultForm } from '../../src/ui/problem-form';
import { axisIsLog, customSweepSuite, parseAxisValues, singleConfigSuite, suiteForKernels } from '../../src/ui/sweep';

const k = (name: string) => ({ name, title: name }) as KernelDescriptor;
const kernels = [k('naive'), k('paged')];

describe('custom sweeps', () => {
  it('parses value lists', () => {
    expect(parseAxisValues('1, 2,4 8')).toEqual({ values: [1, 2, 4, 8] });
    expect(parseAxisValues('').error).toMatch(/empty/);
    expect(parseAxisValues('1,two').error).toBe('sweep value "two" is not a whole number');
    expect(parseAxisValues('4,4').error).toBe('sweep value 4 is listed twice');
  });

  it('chooses log scale for wide positive ranges', () => {
    expect(axisIsLog([1, 2, 4, 8])).toBe(true);
    expect(axisIsLog([64, 80, 96, 128])).toBe(false);
  });

  it('builds one config per value, every kernel in each, with the form options', () => {
    const r = customSweepSuite(defaultForm, 'batch', '1,4,16', kernels);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.suite.axis).toEqual({ name: 'batch', log: true });
    const configs = r.suite.configs();
    expect(configs.map((c) => c.axisValue)).toEqual([1, 4, 16]);
    expect(configs.map((c) => resolveProblem(c.input).sequences.length)).toEqual([1, 4, 16]);
    expect(configs[0].variants).toEqual([
      { kernel: 'naive', label: 'naive', options: { blockSize: 16, splitK: 'auto' } },
      { kernel: 'paged', label: 'paged', options: { blockSize: 16, splitK: 'auto' } },
    ]);
  });

  it('sweeps block size through the options and head dim through the problem', () => {
    const blocks = customSweepSuite(defaultForm, 'blockSize', '8,16,32', kernels);
    expect(blocks.ok && blocks.suite.configs().map((c) => c.variants[0].options?.blockSize)).toEqual([8, 16, 32]);
    const dims = customSweepSuite(defaultForm, 'headDim', '64,128', kernels);
    expect(dims.ok && dims.suite.configs().map((c) => c.input.headDim)).toEqual([64, 128]);
  });

  it('uses the own values even when a preset is chosen', () => {
    const r = customSweepSuite({ ...defaultForm, preset: 'tiny' }, 'prefix', '32,64', kernels);
    expect(r.ok && r.suite.configs()[1].input.segments[0]).toEqual({ id: 'prefix', length: 64 });
  });

  it('names the value that gives an invalid problem', () => {
    const r = customSweepSuite(defaultForm, 'headDim', '64,30', kernels);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.values).toBe('head dim = 30: head dim (30) must be a multiple of 4 between 16 and 256');
  });

  it('refuses an unknown axis and a prefix sweep without a prefix', () => {
    const a = customSweepSuite(defaultForm, 'colour', '1', kernels);
    expect(!a.ok && a.errors.axis).toMatch(/must be one of batch, prefix/);
    const p = customSweepSuite({ ...defaultForm, sharing: 'none' }, 'prefix', '1,2', kernels);
    expect(!p.ok && p.errors.axis).toMatch(/needs sharing/);
  });

  it('reports form errors of the base problem', () => {
    const r = customSweepSuite({ ...defaultForm, headsKV: 'x' }, 'batch', '1,2', kernels);
    expect(!r.ok && r.errors.headsKV).toMatch(/whole number/);
  });

  it('makes a one-config suite for a benchmark', () => {
    const r = singleConfigSuite({ ...defaultForm, preset: 'tiny' }, kernels);
    expect(r.ok && r.suite.configs().length).toBe(1);
    expect(r.ok && r.suite.name).toBe('preset tiny');
  });
});

describe('named suites', () => {
  it('keep only the selected kernels', () => {
    const suite = {
      name: 's',
      description: '',
      axis: { name: 'batch', log: true },
      configs: () => [
        {
          axisValue: 1,
          label: 'b=1',
          input: defaultForm as never,
          variants: [{ kernel: 'naive' }, { kernel: 'paged' }],
        },
        { axisValue: 2, label: 'b=2', input: defaultForm as never, variants: [{ kernel: 'naive' }] },
      ],
    };
    expect(suiteForKernels(suite, [k('naive'), k('paged')], true)).toBe(suite);
    const only = suiteForKernels(suite, [k('paged')], false).configs();
    expect(only.map((c) => c.variants.map((v) => v.kernel))).toEqual([['paged']]);
  });
});
