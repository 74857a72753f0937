import { describe, expect, it } from 'vitest';
import type { ProblemInput } from '../../src/problem/problem';
import { MAX_SEGMENTS, ProblemError, resolveProblem } from '../../src/problem/validate';

const base = (): ProblemInput => ({
  headsQ: 4,
  headsKV: 2,
  headDim: 16,
  queriesPerSeq: 1,
  segments: [
    { id: 'prefix', length: 8 },
    { id: 's0', length: 3 },
    { id: 's1', length: 2 },
  ],
  sequences: [
    ['prefix', 's0'],
    ['prefix', 's1'],
  ],
});

/** The ProblemError resolveProblem throws for `input`. */
function refusal(input: unknown): ProblemError {
  try {
    resolveProblem(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ProblemError);
    return e as ProblemError;
  }
  throw new Error('resolveProblem accepted the input');
}

const withFields = (patch: Record<string, unknown>): unknown => ({ ...base(), ...patch });

describe('resolveProblem: accepted input', () => {
  it('resolves defaults and freezes the result', () => {
    const spec = resolveProblem(base());
    expect(spec.causal).toBe(true);
    expect(spec.scale).toBe(1 / Math.sqrt(16));
    expect(spec.kvDtype).toBe('f32');
    expect(Object.isFrozen(spec)).toBe(true);
    expect(Object.isFrozen(spec.segments)).toBe(true);
    expect(Object.isFrozen(spec.segments[0])).toBe(true);
    expect(Object.isFrozen(spec.sequences[0])).toBe(true);
  });

  it('keeps explicit values and normalizes numeric segment ids to strings', () => {
    const spec = resolveProblem({
      ...base(),
      causal: false,
      scale: 0.5,
      kvDtype: 'f16',
      segments: [
        { id: 0, length: 4 },
        { id: 'b', length: 2 },
      ],
      sequences: [[0, 'b'], ['0']],
    });
    expect(spec.causal).toBe(false);
    expect(spec.scale).toBe(0.5);
    expect(spec.kvDtype).toBe('f16');
    expect(spec.segments.map((s) => s.id)).toEqual(['0', 'b']);
    expect(spec.sequences).toEqual([['0', 'b'], ['0']]);
  });

  it('allows a segment that no sequence uses', () => {
    const spec = resolveProblem({ ...base(), segments: [...base().segments, { id: 'unused', length: 1 }] });
    expect(spec.segments).toHaveLength(4);
  });

  it('does not keep references to the input arrays', () => {
    const input = base();
    const spec = resolveProblem(input);
    input.sequences[0][0] = 's1';
    expect(spec.sequences[0][0]).toBe('prefix');
  });
});

describe('resolveProblem: refusals name the field and the value', () => {
  it.each<[string, unknown, string, RegExp | string]>([
    ['non-object', 42, '', 'a problem must be an object, got 42'],
    ['array', [], '', /must be an object, got an array/],
    ['null', null, '', /must be an object, got null/],
    ['GQA ratio', withFields({ headsQ: 6, headsKV: 4 }), 'headsQ', 'headsQ (6) must be a multiple of headsKV (4)'],
    [
      'headDim not /4',
      withFields({ headDim: 30 }),
      'headDim',
      'headDim (30) must be a multiple of 4 between 16 and 256',
    ],
    ['headDim small', withFields({ headDim: 8 }), 'headDim', 'headDim (8) must be a multiple of 4 between 16 and 256'],
    ['headDim large', withFields({ headDim: 260 }), 'headDim', /headDim \(260\)/],
    [
      'headDim string',
      withFields({ headDim: '64' }),
      'headDim',
      'headDim ("64") must be a multiple of 4 between 16 and 256',
    ],
    ['missing headsQ', withFields({ headsQ: undefined }), 'headsQ', 'headsQ is missing'],
    ['negative headsKV', withFields({ headsKV: -2 }), 'headsKV', 'headsKV (-2) must be at least 1'],
    ['fractional headsQ', withFields({ headsQ: 2.5 }), 'headsQ', 'headsQ (2.5) must be an integer'],
    ['string headsQ', withFields({ headsQ: '4' }), 'headsQ', 'headsQ ("4") must be a number'],
    ['too many heads', withFields({ headsQ: 512 }), 'headsQ', 'headsQ (512) must be at most 256'],
    ['zero queries', withFields({ queriesPerSeq: 0 }), 'queriesPerSeq', 'queriesPerSeq (0) must be at least 1'],
    [
      'NaN queries',
      withFields({ queriesPerSeq: Number.NaN }),
      'queriesPerSeq',
      /queriesPerSeq \(NaN\) must be an integer/,
    ],
    [
      'queries past a sequence',
      withFields({
        queriesPerSeq: 9,
        segments: [
          { id: 'a', length: 10 },
          { id: 'b', length: 5 },
        ],
        sequences: [['a'], ['a'], ['a'], ['b']],
      }),
      'queriesPerSeq',
      'queriesPerSeq (9) exceeds the length of sequence 3 (5)',
    ],
    ['causal string', withFields({ causal: 'yes' }), 'causal', 'causal ("yes") must be true or false'],
    ['scale zero', withFields({ scale: 0 }), 'scale', 'scale (0) must be a finite positive number'],
    ['scale negative', withFields({ scale: -1 }), 'scale', 'scale (-1) must be a finite positive number'],
    ['scale infinite', withFields({ scale: Number.POSITIVE_INFINITY }), 'scale', /scale \(Infinity\)/],
    ['scale string', withFields({ scale: '0.1' }), 'scale', /scale \("0.1"\)/],
    ['kvDtype', withFields({ kvDtype: 'bf16' }), 'kvDtype', 'kvDtype ("bf16") must be one of "f32", "f16"'],
    ['missing segments', withFields({ segments: undefined }), 'segments', 'segments is missing'],
    ['segments not array', withFields({ segments: {} }), 'segments', 'segments (an object) must be an array'],
    ['no segments', withFields({ segments: [] }), 'segments', 'segments is empty'],
    ['segment not object', withFields({ segments: [5] }), 'segments[0]', /segments\[0\] \(5\) must be an object/],
    [
      'segment length 0',
      withFields({ segments: [{ id: 'a', length: 0 }] }),
      'segments[0].length',
      'segments[0].length (0) must be at least 1',
    ],
    [
      'segment length missing',
      withFields({ segments: [{ id: 'a' }] }),
      'segments[0].length',
      'segments[0].length is missing',
    ],
    [
      'duplicate segment id',
      withFields({
        segments: [
          { id: 'a', length: 1 },
          { id: 'a', length: 2 },
        ],
      }),
      'segments[1].id',
      'segments[1].id: duplicate segment id "a"',
    ],
    [
      'duplicate id, number and string',
      withFields({
        segments: [
          { id: 1, length: 1 },
          { id: '1', length: 2 },
        ],
      }),
      'segments[1].id',
      /duplicate segment id "1"/,
    ],
    [
      'bad id characters',
      withFields({ segments: [{ id: 'a/b', length: 1 }] }),
      'segments[0].id',
      `segments[0].id ("a/b") may contain only letters, digits, '_' and '-'`,
    ],
    ['empty id', withFields({ segments: [{ id: '', length: 1 }] }), 'segments[0].id', /may contain only letters/],
    [
      'id of wrong type',
      withFields({ segments: [{ id: true, length: 1 }] }),
      'segments[0].id',
      /must be a string or a number/,
    ],
    ['missing sequences', withFields({ sequences: undefined }), 'sequences', 'sequences is missing'],
    ['no sequences', withFields({ sequences: [] }), 'sequences', /sequences is empty/],
    ['empty sequence', withFields({ sequences: [['prefix'], ['s0'], []] }), 'sequences[2]', 'sequences[2] is empty'],
    [
      'sequence not array',
      withFields({ sequences: ['prefix'] }),
      'sequences[0]',
      /sequences\[0\] \("prefix"\) must be an array/,
    ],
    [
      'unknown id',
      withFields({ sequences: [['prefix'], ['x']] }),
      'sequences[1][0]',
      'sequences[1][0]: unknown segment id "x"',
    ],
    [
      'id wrong type in sequence',
      withFields({ sequences: [['prefix', null]] }),
      'sequences[0][1]',
      /must be a segment id/,
    ],
    [
      'segment twice in a sequence',
      withFields({ sequences: [['prefix', 's0', 'prefix']] }),
      'sequences[0][2]',
      /segment "prefix" is listed twice in sequence 0; a sequence's KV is a concatenation of distinct segments/,
    ],
    ['unknown field', withFields({ headsKv: 2 }), 'headsKv', /unknown field "headsKv"/],
  ])('%s', (_name, input, field, message) => {
    const e = refusal(input);
    expect(e.field).toBe(field);
    if (typeof message === 'string') expect(e.message).toBe(message);
    else expect(e.message).toMatch(message);
  });

  it('carries the offending value', () => {
    expect(refusal(withFields({ headDim: 30 })).value).toBe(30);
    expect(refusal(withFields({ sequences: [['prefix'], ['x']] })).value).toBe('x');
  });
});

describe('resolveProblem: time linear in the input (issue 14: one sequence of 65,536 segments took 22 s)', () => {
  it('eight sequences each listing all 65,536 segments resolve in well under the timeout', { timeout: 15_000 }, () => {
    const n = MAX_SEGMENTS;
    const ids = Array.from({ length: n }, (_, j) => `s${j}`);
    const input = {
      headsQ: 1,
      headsKV: 1,
      headDim: 16,
      queriesPerSeq: 1,
      segments: ids.map((id) => ({ id, length: 1 })),
      sequences: Array.from({ length: 8 }, () => ids),
    };
    // Quadratic duplicate checks made this 8 x 22 s; linear, it is a fraction of a second.
    const spec = resolveProblem(input);
    expect(spec.sequences[7]).toHaveLength(n);
    // A duplicate at the very end is still found.
    expect(() => resolveProblem({ ...input, sequences: [[...ids, 's0']] })).toThrow(
      /sequences\[0\]\[65536\]: segment "s0" is listed twice/,
    );
  });
});
