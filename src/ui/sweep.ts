import type { BenchConfig, BenchSuite, BenchVariant } from '../../benches/suite';
import type { KernelDescriptor, KernelOptions } from '../kernels/kernel';
import type { ProblemInput } from '../problem/problem';
import { type FieldErrors, type FormField, fieldLabel, formToProblem, type ProblemForm } from './problem-form';

/**
 * Benchmarks built on the fly from the page: a single config (the form's problem) or a custom sweep
 * of one axis over a list of values, every selected kernel at each value. Both are ordinary
 * BenchSuites, so the page runs them with the same runner and result format as the CLI's suites.
 */

export const SWEEP_AXES = ['batch', 'prefix', 'suffix', 'blockSize', 'headDim'] as const;
export type SweepAxis = (typeof SWEEP_AXES)[number];

/** The form field each axis varies. */
export const AXIS_FIELD: Readonly<Record<SweepAxis, FormField>> = {
  batch: 'batch',
  prefix: 'prefixLength',
  suffix: 'suffixLength',
  blockSize: 'blockSize',
  headDim: 'headDim',
};

export const AXIS_TITLE: Readonly<Record<SweepAxis, string>> = {
  batch: 'batch',
  prefix: 'prefix length',
  suffix: 'suffix length',
  blockSize: 'block size',
  headDim: 'head dim',
};

export const MAX_SWEEP_VALUES = 64;

/** "1, 2,4 8" → [1, 2, 4, 8]; a message for anything else. */
export function parseAxisValues(text: string): { values: number[]; error?: string } {
  const parts = text
    .split(/[\s,;]+/)
    .map((x) => x.trim())
    .filter((x) => x !== '');
  if (parts.length === 0) return { values: [], error: 'sweep values are empty; give a list such as 1,2,4,8' };
  const bad = parts.find((x) => !/^\d+$/.test(x));
  if (bad !== undefined) return { values: [], error: `sweep value ${JSON.stringify(bad)} is not a whole number` };
  const values = parts.map((x) => Number.parseInt(x, 10));
  if (values.length > MAX_SWEEP_VALUES)
    return { values, error: `${values.length} sweep values; at most ${MAX_SWEEP_VALUES}` };
  const dup = values.find((v, i) => values.indexOf(v) !== i);
  if (dup !== undefined) return { values, error: `sweep value ${dup} is listed twice` };
  return { values };
}

/** Log scale when every value is positive and they span a factor of 8 or more. */
export const axisIsLog = (values: readonly number[]): boolean =>
  values.length > 1 && values.every((v) => v > 0) && Math.max(...values) / Math.min(...values) >= 8;

const variantsFor = (kernels: readonly KernelDescriptor[], options: KernelOptions): BenchVariant[] =>
  kernels.map((k) => ({ kernel: k.name, options, label: k.name }));

export type SuiteResult =
  | { readonly ok: true; readonly suite: BenchSuite }
  | { readonly ok: false; readonly errors: FieldErrors & { values?: string; axis?: string } };

/** A one-config suite: the form's problem, every selected kernel. */
export function singleConfigSuite(form: ProblemForm, kernels: readonly KernelDescriptor[]): SuiteResult {
  const r = formToProblem(form);
  if (!r.ok) return { ok: false, errors: r.errors };
  const config: BenchConfig = {
    axisValue: 0,
    label: form.preset || 'own values',
    input: r.input,
    variants: variantsFor(kernels, r.options),
  };
  return {
    ok: true,
    suite: {
      name: form.preset ? `preset ${form.preset}` : 'single problem',
      description: 'one problem from the page form',
      axis: { name: 'config', log: false },
      configs: () => [config],
    },
  };
}

/**
 * A sweep of `axis` over `valuesText`, starting from the form's own values (a preset's problem has no
 * axis to vary, so the sweep always uses the own-values fields). Every value must give a valid
 * problem; the first refusal is reported on the values field, naming the value.
 */
export function customSweepSuite(
  form: ProblemForm,
  axis: string,
  valuesText: string,
  kernels: readonly KernelDescriptor[],
): SuiteResult {
  if (!(SWEEP_AXES as readonly string[]).includes(axis))
    return {
      ok: false,
      errors: { axis: `sweep axis (${JSON.stringify(axis)}) must be one of ${SWEEP_AXES.join(', ')}` },
    };
  const a = axis as SweepAxis;
  const parsed = parseAxisValues(valuesText);
  if (parsed.error) return { ok: false, errors: { values: parsed.error } };
  const field = AXIS_FIELD[a];
  const base: ProblemForm = { ...form, preset: '' };
  if (a === 'prefix' && base.sharing === 'none')
    return { ok: false, errors: { axis: 'a prefix-length sweep needs sharing "shared prefix" or "tree"' } };
  const configs: BenchConfig[] = [];
  for (const v of parsed.values) {
    const r = formToProblem({ ...base, [field]: String(v) });
    if (!r.ok) {
      const own = r.errors[field];
      if (own) return { ok: false, errors: { values: `${AXIS_TITLE[a]} = ${v}: ${own}` } };
      return { ok: false, errors: r.errors };
    }
    configs.push({
      axisValue: v,
      label: `${AXIS_TITLE[a]}=${v}`,
      input: r.input as ProblemInput,
      variants: variantsFor(kernels, r.options),
    });
  }
  return {
    ok: true,
    suite: {
      name: `custom ${a} sweep`,
      description: `${AXIS_TITLE[a]} over ${parsed.values.join(', ')}, other values from the form (${fieldLabel('batch', base.sharing)} ${base.batch}, heads ${base.headsQ}:${base.headsKV}, D ${base.headDim})`,
      axis: { name: a, log: axisIsLog(parsed.values) },
      configs: () => configs,
    },
  };
}

/** A named suite restricted to the selected kernels (every kernel when all are selected). */
export function suiteForKernels(suite: BenchSuite, kernels: readonly KernelDescriptor[], all: boolean): BenchSuite {
  if (all) return suite;
  const names = new Set(kernels.map((k) => k.name));
  return {
    ...suite,
    configs: () =>
      suite
        .configs()
        .map((c) => ({ ...c, variants: c.variants.filter((v) => names.has(v.kernel)) }))
        .filter((c) => c.variants.length > 0),
  };
}
