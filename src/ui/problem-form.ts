import type { KernelOptions } from '../kernels/kernel';
import { noSharingProblem, sharedPrefixProblem, treeProblem } from '../problem/builders';
import { presets } from '../problem/presets';
import type { ProblemInput, ProblemSpec } from '../problem/problem';
import { MAX_SEGMENTS, MAX_SEQUENCES, ProblemError, resolveProblem } from '../problem/validate';

/**
 * The problem builder's form, as the page and the URL hold it: every value a string exactly as typed
 * (so a bad value stays visible in its field), plus the mapping of the form to a validated problem
 * with each refusal attached to the field that caused it.
 */

export const SHARINGS = ['none', 'prefix', 'tree'] as const;
export type Sharing = (typeof SHARINGS)[number];
export const SPLIT_K = ['auto', 'on', 'off'] as const;

export interface ProblemForm {
  /** A preset name, or '' for own values. */
  preset: string;
  headsQ: string;
  headsKV: string;
  headDim: string;
  queriesPerSeq: string;
  causal: boolean;
  /** Sequences in the batch; with sharing "tree", sequences under each leaf. */
  batch: string;
  sharing: string;
  /** Shared prefix tokens; with sharing "tree", tokens of every tree node. */
  prefixLength: string;
  /** Each sequence's own tokens (with sharing "none", its whole KV). */
  suffixLength: string;
  treeLevels: string;
  treeFanOut: string;
  kvDtype: string;
  blockSize: string;
  splitK: string;
}

export type FormField = keyof ProblemForm;
/** Field → why its value is refused. `form` holds a refusal no single field explains. */
export type FieldErrors = Partial<Record<FormField | 'form', string>>;

export const defaultForm: Readonly<ProblemForm> = Object.freeze({
  preset: '',
  headsQ: '8',
  headsKV: '2',
  headDim: '64',
  queriesPerSeq: '1',
  causal: true,
  batch: '8',
  sharing: 'prefix',
  prefixLength: '256',
  suffixLength: '17',
  treeLevels: '3',
  treeFanOut: '2',
  kvDtype: 'f32',
  blockSize: '16',
  splitK: 'auto',
});

/** How each field is named in messages (and labelled on the page). */
export function fieldLabel(field: FormField, sharing = 'prefix'): string {
  switch (field) {
    case 'headsQ':
      return 'query heads';
    case 'headsKV':
      return 'KV heads';
    case 'headDim':
      return 'head dim';
    case 'queriesPerSeq':
      return 'Lq';
    case 'batch':
      return sharing === 'tree' ? 'sequences per leaf' : 'batch';
    case 'prefixLength':
      return sharing === 'tree' ? 'tokens per node' : 'prefix length';
    case 'suffixLength':
      return sharing === 'none' ? 'sequence length' : 'suffix length';
    case 'treeLevels':
      return 'tree levels';
    case 'treeFanOut':
      return 'fan-out';
    case 'kvDtype':
      return 'KV dtype';
    case 'blockSize':
      return 'block size';
    case 'splitK':
      return 'split-K';
    default:
      return field;
  }
}

export type FormResult =
  | { readonly ok: true; readonly input: ProblemInput; readonly spec: ProblemSpec; readonly options: KernelOptions }
  | { readonly ok: false; readonly errors: FieldErrors };

const INTEGER = /^\s*-?\d+\s*$/;

/** Parse every integer field; collect one message per bad field. */
function integers(form: ProblemForm, fields: readonly FormField[], errors: FieldErrors): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of fields) {
    const raw = String(form[f]);
    const label = fieldLabel(f, form.sharing);
    if (raw.trim() === '') errors[f] = `${label} is empty`;
    else if (!INTEGER.test(raw)) errors[f] = `${label} (${JSON.stringify(raw)}) must be a whole number`;
    else out[f] = Number.parseInt(raw, 10);
  }
  return out;
}

function oneOf(form: ProblemForm, field: FormField, allowed: readonly string[], errors: FieldErrors): void {
  const v = String(form[field]);
  if (!allowed.includes(v))
    errors[field] = `${fieldLabel(field, form.sharing)} (${JSON.stringify(v)}) must be one of ${allowed.join(', ')}`;
}

/** The kernel options the form sets (block size, split-K); errors go to their fields. */
export function formOptions(form: ProblemForm, errors: FieldErrors = {}): KernelOptions {
  oneOf(form, 'splitK', SPLIT_K, errors);
  const n = integers(form, ['blockSize'], errors);
  if (n.blockSize !== undefined && n.blockSize < 1) errors.blockSize = `block size (${n.blockSize}) must be at least 1`;
  const splitK = form.splitK === 'on' ? true : form.splitK === 'off' ? false : 'auto';
  return { blockSize: n.blockSize, splitK };
}

/** Map a ProblemError's field path (from resolveProblem or a builder) to the form field that caused it. */
export function formFieldFor(path: string, input: ProblemInput | undefined, sharing: string): FormField | 'form' {
  const top = path.replace(/[[.].*$/, '');
  switch (top) {
    case 'headsQ':
    case 'headsKV':
    case 'headDim':
    case 'queriesPerSeq':
    case 'causal':
    case 'kvDtype':
    case 'batch':
      return top;
    case 'sequencesPerLeaf':
    case 'sequences':
    case 'groups':
      return 'batch';
    case 'levels': {
      return /fanOut/.test(path) ? 'treeFanOut' : 'treeLevels';
    }
    case 'suffixLength':
    case 'length':
      return 'suffixLength';
    case 'prefixLength':
      return 'prefixLength';
    case 'segments': {
      const j = /^segments\[(\d+)\]/.exec(path);
      if (!j) return 'batch';
      const id = String(input?.segments[Number(j[1])]?.id ?? '');
      if (sharing !== 'none' && (id === 'prefix' || /^L\d+n\d+$/.test(id) || /-prefix$/.test(id)))
        return 'prefixLength';
      return 'suffixLength';
    }
    default:
      return 'form';
  }
}

/** Replace the internal field path at the start of a message with the form's label. */
function relabel(message: string, path: string, field: FormField | 'form', sharing: string): string {
  if (field === 'form' || !message.startsWith(path)) return message;
  return fieldLabel(field, sharing) + message.slice(path.length);
}

/**
 * The problem a preset or the own-values form describes, validated; or the refusals by field. Every
 * bad field is reported, not just the first: a refused field is replaced by its default and the
 * rest validated again, until nothing new is found.
 */
export function formToProblem(form: ProblemForm): FormResult {
  const errors: FieldErrors = {};
  const options = formOptions(form, errors);
  if (form.preset !== '') {
    const p = Object.hasOwn(presets, form.preset) ? presets[form.preset] : undefined;
    if (!p) {
      errors.preset = `unknown preset ${JSON.stringify(form.preset)}; choose one of ${Object.keys(presets).join(', ')}`;
      return { ok: false, errors };
    }
    const input = structuredClone(p.input);
    const step = validateInput(input, form);
    if (step.ok && Object.keys(errors).length === 0) return { ok: true, input, spec: step.spec, options };
    if (!step.ok) errors.preset = Object.values(step.errors)[0];
    return { ok: false, errors };
  }
  const probe: ProblemForm = { ...form };
  for (let attempt = 0; attempt < 16; attempt++) {
    const found: FieldErrors = {};
    const input = ownValues(probe, found);
    if (input) {
      const step = validateInput(input, probe);
      if (step.ok) {
        if (Object.keys(errors).length === 0) return { ok: true, input, spec: step.spec, options };
        break;
      }
      Object.assign(found, step.errors);
    }
    const fresh = (Object.keys(found) as (FormField | 'form')[]).filter((f) => !(f in errors));
    for (const f of fresh) errors[f] = found[f];
    const retry = fresh.filter((f): f is FormField => f !== 'form' && probe[f] !== defaultForm[f]);
    if (retry.length === 0) break;
    for (const f of retry) (probe as unknown as Record<string, unknown>)[f] = defaultForm[f];
  }
  return { ok: false, errors };
}

/** resolveProblem with its refusal mapped to the form field that caused it. */
function validateInput(
  input: ProblemInput,
  form: ProblemForm,
): { ok: true; spec: ProblemSpec } | { ok: false; errors: FieldErrors } {
  try {
    return { ok: true, spec: resolveProblem(input) };
  } catch (e) {
    if (!(e instanceof ProblemError)) throw e;
    const field = formFieldFor(e.field, input, form.sharing);
    return { ok: false, errors: { [field]: relabel(e.message, e.field, field, form.sharing) } };
  }
}

/** Build the own-values problem; undefined (with errors filled in) when a field is unusable. */
function ownValues(form: ProblemForm, errors: FieldErrors): ProblemInput | undefined {
  oneOf(form, 'sharing', SHARINGS, errors);
  oneOf(form, 'kvDtype', ['f32', 'f16'], errors);
  const fields: FormField[] = ['headsQ', 'headsKV', 'headDim', 'queriesPerSeq', 'batch', 'suffixLength'];
  if (form.sharing !== 'none') fields.push('prefixLength');
  if (form.sharing === 'tree') fields.push('treeLevels', 'treeFanOut');
  const n = integers(form, fields, errors);
  if (Object.keys(errors).length > 0) return undefined;

  const atLeast = (f: FormField, min: number) => {
    if (n[f] < min) errors[f] = `${fieldLabel(f, form.sharing)} (${n[f]}) must be at least ${min}`;
  };
  atLeast('batch', 1);
  atLeast('suffixLength', form.sharing === 'none' ? 1 : 0);
  if (n.batch > MAX_SEQUENCES) errors.batch = `batch (${n.batch}) must be at most ${MAX_SEQUENCES}`;
  if (form.sharing === 'tree') {
    atLeast('treeLevels', 1);
    atLeast('treeFanOut', 1);
    if (!errors.treeLevels && !errors.treeFanOut && !errors.batch) {
      const leaves = n.treeFanOut ** (n.treeLevels - 1);
      if (leaves * n.batch > MAX_SEQUENCES || leaves * 2 > MAX_SEGMENTS)
        errors.treeFanOut = `fan-out ${n.treeFanOut} over ${n.treeLevels} levels gives ${leaves} leaves x ${n.batch} sequences; at most ${MAX_SEQUENCES} sequences are allowed`;
    }
  }
  if (Object.keys(errors).length > 0) return undefined;

  const common = {
    headsQ: n.headsQ,
    headsKV: n.headsKV,
    headDim: n.headDim,
    queriesPerSeq: n.queriesPerSeq,
    causal: form.causal,
    kvDtype: form.kvDtype as 'f32' | 'f16',
  };
  try {
    if (form.sharing === 'none') return noSharingProblem({ ...common, batch: n.batch, length: n.suffixLength });
    if (form.sharing === 'prefix')
      return sharedPrefixProblem({
        ...common,
        batch: n.batch,
        prefixLength: n.prefixLength,
        suffixLength: n.suffixLength,
      });
    return treeProblem({
      ...common,
      levels: Array.from({ length: n.treeLevels }, (_, i) => ({
        length: n.prefixLength,
        fanOut: i === 0 ? 1 : n.treeFanOut,
      })),
      suffixLength: n.suffixLength,
      sequencesPerLeaf: n.batch,
    });
  } catch (e) {
    if (!(e instanceof ProblemError)) throw e;
    const field = formFieldFor(e.field, undefined, form.sharing);
    errors[field] = relabel(e.message, e.field, field, form.sharing);
    return undefined;
  }
}

/** One line describing a problem: B, heads, D, Lq, KV lengths and sharing. */
export function describeSpec(spec: ProblemSpec): string {
  const lens = new Map(spec.segments.map((s) => [s.id, s.length]));
  const totals = spec.sequences.map((ids) => ids.reduce((a, id) => a + (lens.get(id) ?? 0), 0));
  const refs = new Map<string, number>();
  for (const ids of spec.sequences) for (const id of ids) refs.set(id, (refs.get(id) ?? 0) + 1);
  const shared = [...refs.values()].filter((c) => c > 1).length;
  const minL = Math.min(...totals);
  const maxL = Math.max(...totals);
  const heads =
    spec.headsQ === spec.headsKV
      ? `${spec.headsQ} heads`
      : `heads ${spec.headsQ}:${spec.headsKV} (GQA ${spec.headsQ / spec.headsKV})`;
  return [
    `B=${spec.sequences.length}`,
    heads,
    `D=${spec.headDim}`,
    `Lq=${spec.queriesPerSeq}${spec.queriesPerSeq > 1 ? (spec.causal ? ' causal' : ' bidirectional') : ''}`,
    `KV ${minL === maxL ? minL : `${minL}–${maxL}`} tokens`,
    `${spec.segments.length} segments${shared > 0 ? `, ${shared} shared` : ''}`,
    `KV ${spec.kvDtype}`,
  ].join(' · ');
}
