import { hydragenSuites } from './hydragen';
import { pagedSuites } from './paged';
import type { BenchSuite } from './suite';

/** Every suite the CLI and the page can run. Each kernel's issue adds its suites here. */
export const suites: readonly BenchSuite[] = [...hydragenSuites, ...pagedSuites];

export function getSuite(name: string): BenchSuite {
  const s = suites.find((x) => x.name === name);
  if (!s) throw new Error(`unknown suite "${name}"; known: ${suites.map((x) => x.name).join(', ') || '(none)'}`);
  return s;
}
