import { describe, expect, it } from 'vitest';
import { defaultState, type PageState, paramsToState, stateToParams, stateToUrl } from '../../src/ui/url-state';

describe('page URL state', () => {
  it('writes nothing for the defaults', () => {
    expect(stateToParams(defaultState()).toString()).toBe('');
  });

  it('round-trips every field', () => {
    const s: PageState = {
      form: {
        preset: '',
        headsQ: '16',
        headsKV: '4',
        headDim: '128',
        queriesPerSeq: '5',
        causal: false,
        batch: '3',
        sharing: 'tree',
        prefixLength: '100',
        suffixLength: '0',
        treeLevels: '4',
        treeFanOut: '3',
        kvDtype: 'f16',
        blockSize: '32',
        splitK: 'off',
      },
      kernels: ['naive', 'hydragen'],
      mode: 'sweep',
      suite: 'custom',
      axis: 'prefix',
      values: '64,128,256',
      settings: { warmupMs: '0', minRuns: '3', budgetMs: '0', seed: '42', ceilingMiB: '16', matmulSize: '0' },
      results: ['h200-decode-anchors', 'h200-paged-long-f16'],
      autorun: true,
    };
    const url = stateToUrl(s, 'http://localhost:5173/sub/index.html');
    expect(url.startsWith('http://localhost:5173/sub/index.html?')).toBe(true);
    expect(paramsToState(new URL(url).searchParams)).toEqual(s);
  });

  it('keeps bad values as written, for the form to mark', () => {
    const s = paramsToState(new URLSearchParams('d=30&b=abc&mode=fast&k=naive,bogus'));
    expect(s.form.headDim).toBe('30');
    expect(s.form.batch).toBe('abc');
    expect(s.mode).toBe('fast');
    expect(s.kernels).toEqual(['naive', 'bogus']);
  });

  it('reads booleans leniently and autorun only when set', () => {
    expect(paramsToState(new URLSearchParams('causal=0')).form.causal).toBe(false);
    expect(paramsToState(new URLSearchParams('causal=false')).form.causal).toBe(false);
    expect(paramsToState(new URLSearchParams('causal=1')).form.causal).toBe(true);
    expect(paramsToState(new URLSearchParams('')).autorun).toBe(false);
    expect(paramsToState(new URLSearchParams('autorun=1')).autorun).toBe(true);
    expect(paramsToState(new URLSearchParams('autorun=0')).autorun).toBe(false);
  });

  it('a preset link stays short', () => {
    const s = defaultState();
    s.form.preset = 'tree';
    s.mode = 'check';
    expect(stateToParams(s).toString()).toBe('preset=tree&mode=check');
  });
});
