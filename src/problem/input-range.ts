import { roundToF16 } from './f16';
import type { ProblemData, ProblemSpec } from './problem';

/**
 * Range checks on a problem's tensors, for data a user supplied (problem directories): every value
 * finite, and values the GPU stores as f16 inside f16's range. Generated data always passes.
 */

/** The largest finite f16. */
export const F16_MAX = 65504;

/** Index of the first NaN or ±Infinity in `a`, or -1. One pass. */
export function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    // x - x is 0 for finite x and NaN for NaN and ±Infinity: one comparison per element.
    if (x - x !== 0) return i;
  }
  return -1;
}

/** Index of the first element that becomes ±Infinity when rounded to f16 (|x| ≥ 65520), or -1. */
export function firstOutsideF16(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x >= 65520 || x <= -65520) return i;
  }
  return -1;
}

/**
 * The first element of q whose q·scale, computed in f32 as the kernels do, leaves the f16 range,
 * for f16-K/V problems (the tensor-core Hydragen kernel stores q·scale as f16); null when none does
 * or the problem is f32.
 */
export function scaledQueryOutsideF16(
  spec: ProblemSpec,
  q: ArrayLike<number>,
): { index: number; q: number; scaled: number } | null {
  if (spec.kvDtype !== 'f16') return null;
  const scale = Math.fround(spec.scale);
  // Only elements with |q| ≥ 65520 / scale / 2 can overflow: one comparison each, the exact test on those.
  const near = 32760 / scale;
  for (let i = 0; i < q.length; i++) {
    const x = q[i];
    if (x < near && x > -near) continue;
    const scaled = Math.fround(x * scale);
    if (!Number.isFinite(roundToF16(scaled))) return { index: i, q: x, scaled };
  }
  return null;
}

/**
 * Why the kernels that keep q·scale as f16 (Hydragen on tensor cores) cannot take this data, or
 * null. Kernels may call it from prepare(); problem directories are refused with it on reading.
 */
export function scaledQueryF16Problem(data: ProblemData): string | null {
  const bad = scaledQueryOutsideF16(data.spec, data.q);
  if (!bad) return null;
  return (
    `q element ${bad.index} (${bad.q}) times scale ${data.spec.scale} is ${bad.scaled}, outside f16's range ` +
    `(±${F16_MAX}): the tensor-core Hydragen kernel stores q·scale as f16`
  );
}
