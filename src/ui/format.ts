/** Number formatting for tables and charts: sig and percent are the CLI's too (src/bench/format.ts). */

export { percent, sig } from '../bench/format';

export const sci = (x: number | undefined): string =>
  x === undefined ? '—' : Number.isFinite(x) ? x.toExponential(2) : String(x);
