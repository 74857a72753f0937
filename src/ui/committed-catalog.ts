import { matrixProductSuites, suites } from '../../benches/suites';
import { type CommittedResult, committedCatalog } from './committed-results';

/**
 * The result files committed under benches/results/, found at build time. `?url` makes each one a
 * separate static asset (fetched only when chosen), so only their URLs are in the bundle; with
 * `base: './'` those URLs resolve against the script, so the site works from any folder.
 */
const urls = import.meta.glob<string>('../../benches/results/*.json', {
  query: '?url',
  import: 'default',
  eager: true,
});

export const committedResults: readonly CommittedResult[] = committedCatalog(
  urls,
  [...suites, ...matrixProductSuites].map((s) => s.name),
);
