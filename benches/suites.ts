import { hydragenSuites } from './hydragen';
import { matmulCeilingSuite } from './matmul-ceiling';
import { pagedSuites } from './paged';
import type { BenchSuite, MatrixProductSuite } from './suite';

/** Every attention suite the CLI and the page can run. Each kernel's issue adds its suites here. */
export const suites: readonly BenchSuite[] = [...hydragenSuites, ...pagedSuites];

/** Suites of matrix products (the CLI runs them; their result files chart on the page like any other). */
export const matrixProductSuites: readonly MatrixProductSuite[] = [matmulCeilingSuite];

const names = (list: readonly { name: string }[]) => list.map((x) => x.name).join(', ') || '(none)';

export function getSuite(name: string): BenchSuite {
  const s = suites.find((x) => x.name === name);
  if (!s) throw new Error(`unknown suite "${name}"; known: ${names(suites)}`);
  return s;
}

/** An attention suite or a matrix-product suite, by name. */
export function findAnySuite(name: string): BenchSuite | MatrixProductSuite {
  const s = [...suites, ...matrixProductSuites].find((x) => x.name === name);
  if (!s) throw new Error(`unknown suite "${name}"; known: ${names([...suites, ...matrixProductSuites])}`);
  return s;
}
