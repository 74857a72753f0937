import { describe, expect, it } from 'vitest';
import { batchSize, sequenceLengths } from '../../src/problem/problem';
import { defaultForm, formFieldFor, formToProblem, type ProblemForm } from '../../src/ui/problem-form';

const form = (patch: Partial<ProblemForm>): ProblemForm => ({ ...defaultForm, ...patch });

function errorsOf(patch: Partial<ProblemForm>) {
  const r = formToProblem(form(patch));
  if (r.ok) throw new Error('expected a refusal');
  return r.errors;
}

describe('problem form → problem', () => {
  it('builds the default shared-prefix problem', () => {
    const r = formToProblem(defaultForm);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(batchSize(r.spec)).toBe(8);
    expect(sequenceLengths(r.spec)).toEqual(Array(8).fill(256 + 17));
    expect(r.spec.sequences.every((s) => s[0] === 'prefix')).toBe(true);
    expect(r.options).toEqual({ blockSize: 16, splitK: 'auto' });
  });

  it('builds no-sharing and tree problems', () => {
    const none = formToProblem(form({ sharing: 'none', batch: '3', suffixLength: '9' }));
    expect(none.ok && none.spec.segments.length).toBe(3);
    const tree = formToProblem(
      form({ sharing: 'tree', treeLevels: '3', treeFanOut: '2', batch: '2', prefixLength: '10', suffixLength: '4' }),
    );
    expect(tree.ok).toBe(true);
    if (!tree.ok) return;
    expect(batchSize(tree.spec)).toBe(2 ** 2 * 2);
    expect(sequenceLengths(tree.spec)).toEqual(Array(8).fill(3 * 10 + 4));
  });

  it('takes a preset as it is', () => {
    const r = formToProblem(form({ preset: 'tree', headDim: 'garbage' }));
    expect(r.ok).toBe(true);
  });

  it('marks the field that is wrong, with the reason', () => {
    expect(errorsOf({ headDim: '30' }).headDim).toBe('head dim (30) must be a multiple of 4 between 16 and 256');
    expect(errorsOf({ headsQ: '6', headsKV: '4' }).headsQ).toBe('query heads (6) must be a multiple of headsKV (4)');
    expect(errorsOf({ batch: 'abc' }).batch).toBe('batch ("abc") must be a whole number');
    expect(errorsOf({ batch: '0' }).batch).toBe('batch (0) must be at least 1');
    expect(errorsOf({ prefixLength: '0' }).prefixLength).toBe('prefix length (0) must be at least 1');
    expect(errorsOf({ sharing: 'none', suffixLength: '0' }).suffixLength).toBe(
      'sequence length (0) must be at least 1',
    );
    expect(errorsOf({ queriesPerSeq: '500' }).queriesPerSeq).toMatch(/^Lq \(500\) exceeds the length of sequence 0/);
    expect(errorsOf({ kvDtype: 'f8' }).kvDtype).toMatch(/KV dtype \("f8"\) must be one of f32, f16/);
    expect(errorsOf({ sharing: 'ring' }).sharing).toMatch(/sharing \("ring"\) must be one of none, prefix, tree/);
    expect(errorsOf({ splitK: 'maybe' }).splitK).toMatch(/split-K/);
    expect(errorsOf({ preset: 'nope' }).preset).toMatch(/unknown preset "nope"/);
  });

  it('collects every bad number at once', () => {
    const e = errorsOf({ headsQ: '', headDim: 'x', batch: '-' });
    expect(Object.keys(e).sort()).toEqual(['batch', 'headDim', 'headsQ']);
    expect(e.headsQ).toBe('query heads is empty');
  });

  it('refuses a tree too large to build before building it', () => {
    const e = errorsOf({ sharing: 'tree', treeLevels: '20', treeFanOut: '4' });
    expect(e.treeFanOut).toMatch(/leaves/);
  });

  it('maps validation paths to form fields', () => {
    const input = {
      headsQ: 1,
      headsKV: 1,
      headDim: 16,
      queriesPerSeq: 1,
      segments: [
        { id: 'prefix', length: 1 },
        { id: 's0', length: 1 },
      ],
      sequences: [['prefix', 's0']],
    };
    expect(formFieldFor('segments[0].length', input, 'prefix')).toBe('prefixLength');
    expect(formFieldFor('segments[1].length', input, 'prefix')).toBe('suffixLength');
    expect(formFieldFor('sequences[3]', input, 'prefix')).toBe('batch');
    expect(formFieldFor('levels[2].fanOut', input, 'tree')).toBe('treeFanOut');
    expect(formFieldFor('scale', input, 'prefix')).toBe('form');
  });
});

describe('problem form: every bad field at once', () => {
  it('reports a range error beside a parse error', () => {
    const r = formToProblem({ ...defaultForm, headDim: '30', batch: 'abc' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual({
      batch: 'batch ("abc") must be a whole number',
      headDim: 'head dim (30) must be a multiple of 4 between 16 and 256',
    });
  });

  it('reports errors of several validation passes', () => {
    const r = formToProblem({ ...defaultForm, headDim: '30', headsQ: '300', prefixLength: '0' });
    expect(!r.ok && Object.keys(r.errors).sort()).toEqual(['headDim', 'headsQ', 'prefixLength']);
  });
});
