/** A plain-text table with columns padded to their widest cell. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export const sci = (x: number | undefined): string =>
  x === undefined ? '' : Number.isFinite(x) ? x.toExponential(2) : String(x);
export const fixed = (x: number | undefined, digits: number): string => (x === undefined ? '' : x.toFixed(digits));
