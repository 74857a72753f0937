/**
 * A plain-text table with columns padded to their widest line. A cell may hold several lines
 * ("\n"): its row then takes as many lines, the other cells blank below their first line.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cellLines = (cell: string | undefined) => (cell ?? '').split('\n');
  const widths = header.map((h, c) =>
    Math.max(h.length, ...rows.flatMap((r) => cellLines(r[c]).map((line) => line.length))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  const rowLines = (row: readonly string[]) => {
    const cells = header.map((_, c) => cellLines(row[c]));
    const height = Math.max(...cells.map((l) => l.length));
    return Array.from({ length: height }, (_, k) => line(cells.map((l) => l[k] ?? '')));
  };
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.flatMap(rowLines)].join('\n');
}

/**
 * `text` in lines of at most `width` characters, broken after spaces (a word longer than `width`
 * keeps a line of its own), for a table cell that would otherwise push every later column right.
 */
export function wrapCell(text: string, width: number): string {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current === '') current = word;
    else if (current.length + 1 + word.length <= width) current += ` ${word}`;
    else {
      lines.push(current);
      current = word;
    }
  }
  lines.push(current);
  return lines.join('\n');
}

export const sci = (x: number | undefined): string =>
  x === undefined ? '' : Number.isFinite(x) ? x.toExponential(2) : String(x);
export const fixed = (x: number | undefined, digits: number): string => (x === undefined ? '' : x.toFixed(digits));
