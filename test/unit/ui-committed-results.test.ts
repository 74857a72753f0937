import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { matrixProductSuites, suites } from '../../benches/suites';
import {
  type CommittedResult,
  committedCatalog,
  committedName,
  describeCommitted,
  fetchCommitted,
  parseResultsParam,
  resolveCommitted,
} from '../../src/ui/committed-results';
import { paramsToState, stateToParams } from '../../src/ui/url-state';

const SUITES = [...suites, ...matrixProductSuites].map((s) => s.name);
const RESULTS = resolve(import.meta.dirname, '../../benches/results');

describe('committed result files', () => {
  it('names a file by its base name without .json', () => {
    expect(committedName('../../benches/results/h200-decode-anchors.json')).toBe('h200-decode-anchors');
    expect(committedName('h200-paged-long-f16.json')).toBe('h200-paged-long-f16');
    expect(committedName('plain')).toBe('plain');
  });

  it('labels a file by suite and device from its name', () => {
    expect(describeCommitted('h200-decode-anchors', SUITES)).toEqual({
      suite: 'decode-anchors',
      device: 'H200',
      label: 'decode-anchors — H200',
    });
    expect(describeCommitted('h200-hydragen-batch-f16', SUITES)).toEqual({
      suite: 'hydragen-batch',
      device: 'H200',
      label: 'hydragen-batch (f16) — H200',
    });
    // The longest suite name wins; a name without a device or suite still gets a label.
    expect(describeCommitted('mi300x-b-a-b', ['a', 'a-b'])).toMatchObject({ suite: 'a-b', device: 'MI300X B' });
    expect(describeCommitted('paged-long', SUITES).label).toBe('paged-long');
    expect(describeCommitted('my-own-run', SUITES)).toEqual({ suite: '', device: '', label: 'my-own-run' });
  });

  it('lists every committed file, sorted, with a suite and the device the file was measured on', () => {
    const files = readdirSync(RESULTS).filter((f) => f.endsWith('.json'));
    const urls = Object.fromEntries(files.map((f) => [`../../benches/results/${f}`, `assets/${f}`]));
    const catalog = committedCatalog(urls, SUITES);
    // Sorted by name (without .json), so "x-f16" comes before "x-f16-cuda".
    const byName = (f: string) => f.replace(/\.json$/, '');
    expect(catalog.map((c) => c.file)).toEqual([...files].sort((a, b) => byName(a).localeCompare(byName(b))));
    expect(catalog.find((c) => c.name === 'h200-decode-anchors')).toMatchObject({
      url: 'assets/h200-decode-anchors.json',
      label: 'decode-anchors — H200',
    });
    for (const c of catalog) {
      expect(SUITES).toContain(c.suite);
      expect(['H100', 'H200']).toContain(c.device);
      const file = JSON.parse(readFileSync(join(RESULTS, c.file), 'utf8'));
      // The suite and device in the name are the suite and device in the file.
      expect(file.suite.name).toBe(c.suite);
      expect(String(file.device.adapter.device).toLowerCase()).toContain(c.device.toLowerCase());
    }
  });

  it('reads the results URL parameter: comma-separated, .json optional, no repeats', () => {
    expect(parseResultsParam(null)).toEqual([]);
    expect(parseResultsParam('')).toEqual([]);
    expect(parseResultsParam('h200-decode-anchors')).toEqual(['h200-decode-anchors']);
    expect(parseResultsParam(' a.json, b,,a ')).toEqual(['a', 'b']);
    const s = paramsToState(new URLSearchParams('results=a,b.json&b=2'));
    expect(s.results).toEqual(['a', 'b']);
    expect(s.form.batch).toBe('2');
    expect(stateToParams(s).get('results')).toBe('a,b');
  });

  const catalog: CommittedResult[] = committedCatalog({ 'x/h200-decode-anchors.json': 'u/a.json' }, SUITES);

  it('resolves names against the catalog, with a message for an unknown one', () => {
    const { found, messages } = resolveCommitted(['nope', 'h200-decode-anchors'], catalog);
    expect(found.map((c) => c.name)).toEqual(['h200-decode-anchors']);
    expect(messages).toEqual(['results=nope: no such file in benches/results/ (there: h200-decode-anchors)']);
  });

  it('fetches a file into the same outcome as an import, and names it when that fails', async () => {
    const text = readFileSync(join(RESULTS, 'h200-decode-anchors.json'), 'utf8');
    const asked: string[] = [];
    const ok = await fetchCommitted(catalog[0], async (url) => {
      asked.push(url);
      return new Response(text);
    });
    expect(asked).toEqual(['u/a.json']);
    expect(ok.ok && ok.result.suite.name).toBe('decode-anchors');
    expect(await fetchCommitted(catalog[0], async () => new Response('nope', { status: 404 }))).toEqual({
      ok: false,
      message: 'h200-decode-anchors.json: could not be fetched (HTTP 404)',
    });
    expect(
      await fetchCommitted(catalog[0], async () => {
        throw new TypeError('Failed to fetch');
      }),
    ).toEqual({ ok: false, message: 'h200-decode-anchors.json: could not be fetched (Failed to fetch)' });
    const bad = await fetchCommitted(catalog[0], async () => new Response('<html>'));
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.message).toMatch(/^h200-decode-anchors\.json: not valid JSON/);
  });
});
