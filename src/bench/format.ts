/**
 * The one number format of the page and the CLI (and benches/cuda_reference.py's fmt): three
 * significant digits, whole numbers from 1000 to 10^6 written out, an exponent below 10^-3 and from
 * 10^6 ("1.79e-4"), never a bare 0 for a small number.
 */

/** Three significant digits (whole numbers from 1000 to 10^6 in full), no exponent for everyday magnitudes. */
export function sig(x: number | undefined | null, digits = 3): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-3) return x.toExponential(digits - 1);
  const p = x.toPrecision(digits);
  // toPrecision writes 1234 (and 999.6) as "1.2e+3"-style: such numbers are written out whole.
  if (p.includes('e+')) return String(Math.round(x));
  return p.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

export const percent = (x: number | undefined): string =>
  x === undefined || !Number.isFinite(x) ? '—' : `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}%`;
