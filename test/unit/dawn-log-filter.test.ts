import { describe, expect, it } from 'vitest';
import { createDawnLogFilter, DAWN_KNOWN_NOISE } from '../../src/cli/dawn-log-filter';

/** Dawn's device log as its addon prints it (the layout of a real SwiftShader compilation log). */
function compilationLog(module: string, messages: readonly string[]): string[] {
  return [
    'warning:',
    `Compilation log for [ShaderModule "${module}"]:`,
    '',
    `${messages.length} warning(s) generated while compiling the shader:`,
    ...messages.flatMap((m, i) => [
      `:${300 + i}:5 warning: ${m}`,
      '    subgroupMatrixStore(&o_sh, at, acc, false, 24u);',
      '    ^^^^^^^^^^^^^^^^^^^',
      '',
    ]),
  ];
}

function run(input: readonly string[]) {
  const filter = createDawnLogFilter();
  const out = input.flatMap((l) => filter.push(l));
  return { out: [...out, ...filter.end()], summary: filter.summary() };
}

const deprecated = Array.from({ length: 18 }, () => 'use of deprecated builtin');

describe("Dawn's log filter", () => {
  it('drops compilation logs of known noise only, and says once what and how many', () => {
    const input = [
      'adapter: x',
      ...compilationLog('hydragen-mma a', deprecated),
      ...compilationLog('hydragen-mma b', deprecated),
      'after',
    ];
    const { out, summary } = run(input);
    expect(out).toEqual(['adapter: x', 'after']);
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatch(
      /^Dawn: filtered 36 "use of deprecated builtin" warning\(s\) from 2 shader module\(s\): /,
    );
    expect(summary[0]).toContain('subgroupMatrixStore(..., false, stride)');
    expect(summary[0]).toContain('AP_DAWN_LOG=all');
  });

  it('keeps a compilation log whole when one of its diagnostics is not known noise', () => {
    const mixed = compilationLog('mixed', ['use of deprecated builtin', 'code is unreachable']);
    const { out, summary } = run(mixed);
    expect(out).toEqual(mixed);
    expect(summary).toEqual([]);
  });

  it('passes other entries and other lines through, in order', () => {
    const input = ['warning:', 'something Dawn says', 'ours', 'error:', 'a real error', 'Warning: from the instance'];
    expect(run(input).out).toEqual(input);
  });

  it('ends a compilation log at the first line that is not of its shape (no carets below it)', () => {
    const input = [...compilationLog('noise', ['use of deprecated builtin']), 'a line of ours', 'and another'];
    const { out, summary } = run(input);
    expect(out).toEqual(['a line of ours', 'and another']);
    expect(summary[0]).toMatch(/filtered 1 .* from 1 shader module/);
  });

  it('with no rules, filters nothing', () => {
    const filter = createDawnLogFilter([]);
    const input = compilationLog('noise', deprecated);
    expect([...input.flatMap((l) => filter.push(l)), ...filter.end()]).toEqual(input);
    expect(filter.summary()).toEqual([]);
  });

  it('knows the deprecated subgroupMatrixStore form', () => {
    expect(DAWN_KNOWN_NOISE.some((r) => r.message.test('use of deprecated builtin'))).toBe(true);
    expect(DAWN_KNOWN_NOISE.some((r) => r.message.test('code is unreachable'))).toBe(false);
  });
});
