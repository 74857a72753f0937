import { parseResultsParam } from './committed-results';
import { defaultForm, type ProblemForm } from './problem-form';

/**
 * The whole configuration of the page as URL search parameters, so a reload or a shared link gives
 * the same run. Only values that differ from the defaults are written; `autorun=1` starts the run.
 * Values are kept as the strings the URL holds: validation (and field errors) happen in the form.
 */

export const MODES = ['check', 'bench', 'sweep'] as const;
export type Mode = (typeof MODES)[number];

export interface RunSettingsForm {
  warmupMs: string;
  minRuns: string;
  budgetMs: string;
  seed: string;
  /** Size of the streaming-read buffer for the bandwidth ceiling, MiB. */
  ceilingMiB: string;
  /** M = N = K of the matrix product for the compute ceiling; 0 skips it. */
  matmulSize: string;
}

export interface PageState {
  form: ProblemForm;
  /** Kernel names, or ['all']. */
  kernels: string[];
  mode: string;
  /** 'custom' (built from the form) or a suite name from benches/suites.ts. */
  suite: string;
  /** Custom sweep: the swept axis and its values ("1,2,4,8"). */
  axis: string;
  values: string;
  settings: RunSettingsForm;
  /** Committed result files (benches/results/, names without .json) shown beside the run. */
  results: string[];
  autorun: boolean;
}

export const defaultSettingsForm: Readonly<RunSettingsForm> = Object.freeze({
  warmupMs: '300',
  minRuns: '20',
  budgetMs: '1000',
  seed: '1',
  ceilingMiB: '256',
  matmulSize: '2048',
});

export function defaultState(): PageState {
  return {
    form: { ...defaultForm },
    kernels: ['all'],
    mode: 'bench',
    suite: 'custom',
    axis: 'batch',
    values: '1,2,4,8,16,32',
    settings: { ...defaultSettingsForm },
    results: [],
    autorun: false,
  };
}

/** URL key of every form field. */
const FORM_KEYS: Readonly<Record<keyof ProblemForm, string>> = {
  preset: 'preset',
  headsQ: 'hq',
  headsKV: 'hkv',
  headDim: 'd',
  queriesPerSeq: 'lq',
  causal: 'causal',
  batch: 'b',
  sharing: 'share',
  prefixLength: 'prefix',
  suffixLength: 'suffix',
  treeLevels: 'levels',
  treeFanOut: 'fan',
  kvDtype: 'dtype',
  blockSize: 'block',
  splitK: 'splitk',
};

const SETTINGS_KEYS: Readonly<Record<keyof RunSettingsForm, string>> = {
  warmupMs: 'warmup',
  minRuns: 'runs',
  budgetMs: 'budget',
  seed: 'seed',
  ceilingMiB: 'ceil',
  matmulSize: 'mmceil',
};

/** The URL key a form field is written under (for messages that point at the URL). */
export const urlKeyOf = (field: keyof ProblemForm): string => FORM_KEYS[field];

export function stateToParams(state: PageState): URLSearchParams {
  const d = defaultState();
  const p = new URLSearchParams();
  for (const [field, key] of Object.entries(FORM_KEYS) as [keyof ProblemForm, string][]) {
    const v = state.form[field];
    if (v === d.form[field]) continue;
    p.set(key, typeof v === 'boolean' ? (v ? '1' : '0') : v);
  }
  const kernels = state.kernels.join(',');
  if (kernels !== d.kernels.join(',')) p.set('k', kernels);
  if (state.mode !== d.mode) p.set('mode', state.mode);
  if (state.suite !== d.suite) p.set('suite', state.suite);
  if (state.axis !== d.axis) p.set('axis', state.axis);
  if (state.values !== d.values) p.set('values', state.values);
  for (const [field, key] of Object.entries(SETTINGS_KEYS) as [keyof RunSettingsForm, string][]) {
    if (state.settings[field] !== d.settings[field]) p.set(key, state.settings[field]);
  }
  if (state.results.length > 0) p.set('results', state.results.join(','));
  if (state.autorun) p.set('autorun', '1');
  return p;
}

const truthy = (v: string): boolean => !['0', 'false', 'no', 'off', ''].includes(v.toLowerCase());

export function paramsToState(params: URLSearchParams): PageState {
  const s = defaultState();
  for (const [field, key] of Object.entries(FORM_KEYS) as [keyof ProblemForm, string][]) {
    const v = params.get(key);
    if (v === null) continue;
    if (field === 'causal') s.form.causal = truthy(v);
    else s.form[field] = v;
  }
  const k = params.get('k');
  if (k !== null)
    s.kernels = k
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
  s.mode = params.get('mode') ?? s.mode;
  s.suite = params.get('suite') ?? s.suite;
  s.axis = params.get('axis') ?? s.axis;
  s.values = params.get('values') ?? s.values;
  for (const [field, key] of Object.entries(SETTINGS_KEYS) as [keyof RunSettingsForm, string][]) {
    const v = params.get(key);
    if (v !== null) s.settings[field] = v;
  }
  s.results = parseResultsParam(params.get('results'));
  const auto = params.get('autorun');
  s.autorun = auto !== null && truthy(auto);
  return s;
}

/** The page URL for a state (same path, new query). */
export function stateToUrl(state: PageState, base: string): string {
  const url = new URL(base);
  url.search = stateToParams(state).toString();
  return url.toString();
}
