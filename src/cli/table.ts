import { sig } from '../bench/format';

/** Terminal tables: columns padded to their widest cell, the whole kept within a width. */

export const MAX_TABLE_WIDTH = 120;
const GAP = 2;

/** Cut a cell to `width` characters, marking the cut with "…". */
const cut = (s: string, width: number): string => (s.length <= width ? s : `${s.slice(0, Math.max(0, width - 1))}…`);

/**
 * A plain-text table with columns padded to their widest cell. When the table would be wider than
 * `maxWidth`, the widest columns are cut (with "…") until it fits: put what must be read whole
 * (long reasons, the variant that ran) under the table instead.
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  maxWidth = MAX_TABLE_WIDTH,
): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const total = () => widths.reduce((a, w) => a + w, 0) + GAP * (widths.length - 1);
  while (total() > maxWidth) {
    const widest = widths.indexOf(Math.max(...widths));
    if (widths[widest] <= 4) break;
    widths[widest]--;
  }
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => cut(cell, widths[c]).padEnd(widths[c]))
      .join(' '.repeat(GAP))
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Numbers in tables and progress lines: the page's one format (src/bench/format.ts); empty when absent. */
export const num = (x: number | undefined): string => (x === undefined ? '' : sig(x));

/** Error magnitudes (verify's max abs / rel error): always with an exponent, so 1e-7 and 1e-3 line up. */
export const sci = (x: number | undefined): string =>
  x === undefined ? '' : Number.isFinite(x) ? x.toExponential(2) : String(x);
