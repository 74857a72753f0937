import { type ImportOutcome, importResultText } from './result-files';

/**
 * The result files committed under benches/results/ (measured by the CLI on a GPU server), offered
 * by the page without a download and re-import. The files are separate static assets (their URLs
 * come from committed-catalog.ts); this module is the pure part: names, labels, the `results` URL
 * parameter, and fetching one file into the same outcome as an imported file.
 */

export interface CommittedResult {
  /** The file name without `.json`: "h200-decode-anchors". This is what `results=` lists. */
  readonly name: string;
  /** "h200-decode-anchors.json" */
  readonly file: string;
  /** Where the built site (or the dev server) serves it. */
  readonly url: string;
  /** The suite read from the file name ("" when none matches). */
  readonly suite: string;
  /** The device read from the file name, e.g. "H200" ("" when there is none). */
  readonly device: string;
  /** "hydragen-batch (f16) — H200" */
  readonly label: string;
}

/** "../../benches/results/h200-decode-anchors.json" → "h200-decode-anchors". */
export function committedName(path: string): string {
  return (path.split('/').pop() ?? path).replace(/\.json$/i, '');
}

/**
 * Suite, device and extra tags from a file name of the form `<device>-<suite>[-<tags>]`
 * ("h200-hydragen-batch-f16": H200, hydragen-batch, f16). The longest known suite name found
 * between dashes wins; without one the label is the file name itself.
 */
export function describeCommitted(
  name: string,
  suiteNames: readonly string[],
): { suite: string; device: string; label: string } {
  const padded = `-${name}-`;
  const suite = [...suiteNames].sort((a, b) => b.length - a.length).find((s) => s !== '' && padded.includes(`-${s}-`));
  if (!suite) return { suite: '', device: '', label: name };
  const at = padded.indexOf(`-${suite}-`);
  const device = padded.slice(1, at).replace(/-/g, ' ').toUpperCase();
  const tags = padded
    .slice(at + suite.length + 2, -1)
    .split('-')
    .filter((t) => t !== '');
  const label = `${suite}${tags.length > 0 ? ` (${tags.join(', ')})` : ''}${device ? ` — ${device}` : ''}`;
  return { suite, device, label };
}

/** The committed files, sorted by name, from a map of module path → asset URL (import.meta.glob's shape). */
export function committedCatalog(
  urls: Readonly<Record<string, string>>,
  suiteNames: readonly string[],
): CommittedResult[] {
  return Object.entries(urls)
    .map(([path, url]) => {
      const name = committedName(path);
      return { name, file: `${name}.json`, url, ...describeCommitted(name, suiteNames) };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** `results=a,b.json, c` → ["a", "b", "c"]: trimmed, `.json` dropped, empty and repeated names left out. */
export function parseResultsParam(value: string | null): string[] {
  if (value === null) return [];
  const names: string[] = [];
  for (const raw of value.split(',')) {
    const name = committedName(raw.trim());
    if (name !== '' && !names.includes(name)) names.push(name);
  }
  return names;
}

/** The catalog entries for names (in the order given), and a message for each name that is not there. */
export function resolveCommitted(
  names: readonly string[],
  catalog: readonly CommittedResult[],
): { found: CommittedResult[]; messages: string[] } {
  const found: CommittedResult[] = [];
  const messages: string[] = [];
  for (const name of names) {
    const entry = catalog.find((c) => c.name === name);
    if (entry) found.push(entry);
    else
      messages.push(
        `results=${name}: no such file in benches/results/ (there: ${catalog.map((c) => c.name).join(', ') || 'none'})`,
      );
  }
  return { found, messages };
}

/**
 * Fetch a committed file and check it as an imported file is checked; a network or HTTP failure
 * gives a message naming the file, as a malformed file does.
 */
export async function fetchCommitted(
  entry: CommittedResult,
  fetchFn: (url: string) => Promise<Response> = (url) => fetch(url),
): Promise<ImportOutcome> {
  let text: string;
  try {
    const res = await fetchFn(entry.url);
    if (!res.ok)
      return {
        ok: false,
        message: `${entry.file}: could not be fetched (HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''})`,
      };
    text = await res.text();
  } catch (e) {
    return { ok: false, message: `${entry.file}: could not be fetched (${(e as Error).message})` };
  }
  return importResultText(text, entry.file);
}
