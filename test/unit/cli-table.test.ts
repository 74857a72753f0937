import { describe, expect, it } from 'vitest';
import { formatTable, wrapCell } from '../../src/cli/table';

describe("the CLI's tables", () => {
  it('wraps a cell after spaces, at most `width` a line; a longer word keeps a line of its own', () => {
    expect(wrapCell('auto → paged (block 16, no split-K, KV f32); no segment is shared', 20)).toBe(
      'auto → paged (block\n16, no split-K, KV\nf32); no segment is\nshared',
    );
    expect(wrapCell('short', 20)).toBe('short');
    expect(wrapCell('a verylongwordindeed b', 5)).toBe('a\nverylongwordindeed\nb');
    for (const line of wrapCell('one two three four five six seven', 9).split('\n'))
      expect(line.length).toBeLessThanOrEqual(9);
  });

  it('a multi-line cell takes several lines of its row; every column still starts at the same place', () => {
    const table = formatTable(
      ['kernel', 'variant', 'result'],
      [
        ['naive', 'naive (gathered)', 'PASS'],
        ['auto', 'auto → paged\n(block 16)', 'PASS'],
        ['paged', 'paged', 'FAIL'],
      ],
    );
    expect(table.split('\n')).toEqual([
      'kernel  variant           result',
      '------  ----------------  ------',
      'naive   naive (gathered)  PASS',
      'auto    auto → paged      PASS',
      '        (block 16)',
      'paged   paged             FAIL',
    ]);
  });
});
