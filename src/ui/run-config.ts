import { ceilingSizeError, MAX_CEILING_SIZE } from '../bench/matmul/ceiling';
import type { BenchSettings } from '../bench/result';
import { defaultSettings } from '../bench/runner';
import type { KernelDescriptor } from '../kernels/kernel';
import { MODES, type Mode, type RunSettingsForm } from './url-state';

/**
 * Validation of the run panel: which kernels, which mode, and the timing settings, each refusal
 * attached to its field like the problem form's.
 */

export type RunField = keyof RunSettingsForm | 'kernels' | 'mode' | 'suite' | 'axis' | 'values';
export type RunErrors = Partial<Record<RunField, string>>;

/** The kernels a selection names ('all' for every registered one), or a message naming the unknown ones. */
export function resolveKernelSelection(
  names: readonly string[],
  registry: readonly KernelDescriptor[],
): { kernels: KernelDescriptor[]; error?: string } {
  if (names.includes('all')) return { kernels: [...registry] };
  const unknown = names.filter((n) => !registry.some((k) => k.name === n));
  const kernels = registry.filter((k) => names.includes(k.name));
  if (unknown.length > 0)
    return {
      kernels,
      error: `unknown kernel${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => JSON.stringify(n)).join(', ')}; known: ${registry.map((k) => k.name).join(', ')}`,
    };
  if (kernels.length === 0) return { kernels, error: 'select at least one kernel' };
  return { kernels };
}

export function resolveMode(mode: string, errors: RunErrors): Mode {
  if ((MODES as readonly string[]).includes(mode)) return mode as Mode;
  errors.mode = `mode (${JSON.stringify(mode)}) must be one of ${MODES.join(', ')}`;
  return 'check';
}

const INTEGER = /^\s*\d+\s*$/;

/** Timing settings from the form (defaults for everything the form does not set). */
export function resolveSettings(
  form: RunSettingsForm,
  errors: RunErrors,
): BenchSettings & { ceilingMiB: number; matmulSize: number } {
  const int = (field: keyof RunSettingsForm, label: string, min: number, max: number): number => {
    const raw = form[field];
    if (!INTEGER.test(raw)) {
      errors[field] = `${label} (${JSON.stringify(raw)}) must be a whole number`;
      return min;
    }
    const v = Number.parseInt(raw, 10);
    if (v < min || v > max) errors[field] = `${label} (${v}) must be between ${min} and ${max}`;
    return v;
  };
  const warmupMs = int('warmupMs', 'warm-up ms', 0, 60_000);
  const minRuns = int('minRuns', 'runs', 1, 10_000);
  const budgetMs = int('budgetMs', 'time budget ms', 0, 600_000);
  const seed = int('seed', 'seed', 0, 2 ** 31 - 1);
  const ceilingMiB = int('ceilingMiB', 'bandwidth buffer MiB', 1, 4096);
  const matmulSize = int('matmulSize', 'compute ceiling size', 0, MAX_CEILING_SIZE);
  const sizeError = matmulSize > 0 && !errors.matmulSize ? ceilingSizeError(matmulSize) : null;
  if (sizeError) errors.matmulSize = `compute ceiling size (${matmulSize}): ${sizeError}; 0 skips it`;
  return {
    ...defaultSettings,
    warmupMs,
    minRuns,
    maxRuns: Math.max(minRuns, defaultSettings.maxRuns),
    budgetMs,
    seed,
    ceilingMiB,
    matmulSize,
  };
}
