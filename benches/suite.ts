import type { KernelOptions } from '../src/kernels/kernel';
import type { KvSource } from '../src/problem/generate';
import type { ProblemInput } from '../src/problem/problem';

/**
 * A benchmark suite: one swept axis, a problem per axis value, and the kernel variants to time on
 * each. The CLI (`npm run bench -- --suite <name>`) and the page run the same definitions.
 */

/** One kernel variant to time on a config: a kernel name plus options, with a label for charts. */
export interface BenchVariant {
  readonly kernel: string;
  readonly options?: KernelOptions;
  /** Shown in tables and as the chart series name; defaults to the kernel name. */
  readonly label?: string;
}

/** One point of the sweep. */
export interface BenchConfig {
  /** The axis value this config sits at. */
  readonly axisValue: number;
  /** e.g. "B=128 P=4096". */
  readonly label: string;
  readonly input: ProblemInput;
  /**
   * Where K/V come from (default 'host': drawn on the CPU). 'hash': generated on the GPU from a
   * counter-based hash (src/problem/hash-kv.ts), for problems whose K/V would take the CPU minutes
   * to draw or not fit its memory; kernels that cannot read it are skipped with the reason.
   */
  readonly kvSource?: KvSource;
  readonly variants: readonly BenchVariant[];
}

export interface BenchSuite {
  readonly name: string;
  readonly description: string;
  /** The swept axis, e.g. { name: "batch", log: true }. */
  readonly axis: { readonly name: string; readonly log: boolean };
  /** The configs of the sweep, in axis order. */
  configs(): BenchConfig[];
}

/**
 * A suite of matrix products (benches/matmul-ceiling.ts), run by src/bench/matmul/runner.ts into
 * the same result format. Its configs are sizes and its variants matrix-product variants
 * (src/bench/matmul/variants.ts), not attention problems and kernels.
 */
export interface MatrixProductSuite {
  readonly kind: 'matrix-product';
  readonly name: string;
  readonly description: string;
  readonly axis: { readonly name: string; readonly log: boolean };
  configs(): MatrixProductConfig[];
}

export interface MatrixProductConfig {
  readonly axisValue: number;
  readonly label: string;
  readonly size: { readonly m: number; readonly n: number; readonly k: number };
  /** Variant names, in the order they run. */
  readonly variants: readonly string[];
}
