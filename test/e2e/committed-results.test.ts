import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResultText } from '../../src/bench/result';
import { launchBrowser, openPage, ROOT, type Site, screenshotPath, startSite } from './harness';

/**
 * The result files committed under benches/results/, shown by the built page without a download:
 * through the `results` URL parameter and through the list in "Keep and compare". The site is served
 * from a subfolder, as a static host might, so the files' URLs must be relative to the page.
 */

let site: Site;
let browser: Browser;

beforeAll(async () => {
  site = await startSite('/playground/');
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

const anchors = parseResultText(
  readFileSync(join(ROOT, 'benches/results/h200-decode-anchors.json'), 'utf8'),
  'h200-decode-anchors.json',
);
const variants = new Set(anchors.entries.filter((e) => e.status === 'ok').map((e) => e.label));
const okEntries = anchors.entries.filter((e) => e.status === 'ok').length;

describe('measured results committed in the repository', () => {
  it('loads them from the URL and from the list, in the built site served from a subfolder', async () => {
    const { page, problems } = await openPage(browser, `${site.url}?results=h200-decode-anchors,nope`);
    const tables = page.locator('ap-bench-table table[data-testid=bench]');
    await expect.poll(() => tables.count(), { timeout: 15_000 }).toBe(1);

    // Shown like an imported file: its own table, titled by the NVIDIA device, and charted.
    const title = await page.locator('ap-bench-table h2').first().textContent();
    expect(title).toMatch(/^Imported: nvidia-h200, NVIDIA: .* \(cli\) — benches\/results\/h200-decode-anchors\.json/);
    expect(await tables.first().locator('tr').count()).toBe(1 + anchors.entries.length);
    for (const metric of ['time', 'gbps']) {
      const chart = page.locator(`ap-metric-chart[data-metric=${metric}]`);
      expect(await chart.getAttribute('data-series')).toBe(String(variants.size));
      expect(await chart.getAttribute('data-points')).toBe(String(okEntries));
      expect(Number(await chart.getAttribute('data-drawn'))).toBeGreaterThan(0);
    }
    const listed = page.locator('ap-results-io li');
    expect(await listed.first().textContent()).toMatch(/nvidia-h200.*decode-anchors, 16 entries/s);

    // An unknown name says so and leaves the URL; the one that loaded stays in it.
    expect(await page.locator('[data-testid=import-error]').allTextContents()).toEqual([
      expect.stringMatching(/^results=nope: no such file in benches\/results\/ \(there: .*h200-decode-anchors/),
    ]);
    expect(new URL(page.url()).searchParams.get('results')).toBe('h200-decode-anchors');

    // The list: every committed file labelled by suite and device; the one shown is not offered again.
    const select = page.locator('ap-results-io select[data-testid=committed]');
    const options = await select.locator('option').allTextContents();
    expect(options).toContain('decode-anchors — H200 (shown)');
    expect(options).toContain('paged-long (f16) — H200');
    expect(await select.locator('option[value=h200-decode-anchors]').isDisabled()).toBe(true);

    // Choosing a file fetches and shows it, and adds it to the URL.
    await select.selectOption('h200-paged-long-f16');
    await expect.poll(() => tables.count()).toBe(2);
    expect(await page.locator('ap-bench-table h2').nth(1).textContent()).toMatch(
      /^Imported: nvidia-h200.*h200-paged-long-f16\.json/,
    );
    expect(await page.locator('[data-testid=import-error]').count()).toBe(0);
    expect(new URL(page.url()).searchParams.get('results')).toBe('h200-decode-anchors,h200-paged-long-f16');
    await page.screenshot({ path: screenshotPath('committed-results.png'), fullPage: true });
    await page.locator('ap-results-io').screenshot({ path: screenshotPath('committed-results-control.png') });

    // Removing it takes it out of the URL and offers it again.
    await page.locator('ap-results-io li').nth(1).locator('button').click();
    await expect.poll(() => tables.count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('results')).toBe('h200-decode-anchors');
    expect(await select.locator('option[value=h200-paged-long-f16]').isDisabled()).toBe(false);
    expect(problems).toEqual([]);

    // A file that cannot be fetched is refused with a message naming it, like a malformed import.
    await page.route('**/assets/h200-paged-blocksize-f16-*.json', (route) =>
      route.fulfill({ status: 404, body: 'gone' }),
    );
    await select.selectOption('h200-paged-blocksize-f16');
    await expect
      .poll(() => page.locator('[data-testid=import-error]').textContent())
      .toMatch(/^h200-paged-blocksize-f16\.json: could not be fetched \(HTTP 404/);
    expect(await tables.count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('results')).toBe('h200-decode-anchors');
  });

  it('charts two devices with a legend that matches the lines, grouped by device', async () => {
    const { page, problems } = await openPage(
      browser,
      `${site.url}?results=h200-decode-anchors,h100-decode-anchors-f16`,
    );
    await expect
      .poll(() => page.locator('ap-bench-table table[data-testid=bench]').count(), { timeout: 15_000 })
      .toBe(2);
    const time = page.locator('ap-metric-chart[data-metric=time]');
    await expect.poll(() => time.getAttribute('data-drawn'), { timeout: 15_000 }).not.toBe(null);
    const legend = await time.locator('[data-legend]').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-style')));
    expect(legend.length).toBe(Number(await time.getAttribute('data-series')));
    expect((await time.getAttribute('data-strokes'))?.split(' ')).toEqual(legend);
    expect(await time.locator('.group b').allTextContents()).toEqual(['H200 · WebGPU (cli)', 'H100 · WebGPU (cli)']);
    // The H100's lines are dashed on the plot, as in the legend.
    expect(legend.filter((l) => l?.endsWith('/')).length).toBe(variants.size);
    expect(await page.locator('ap-roofline-chart').getAttribute('data-ceilings')).toMatch(/bandwidth/);
    await page.locator('[data-testid=charts-card]').screenshot({ path: screenshotPath('two-devices.png') });
    expect(problems).toEqual([]);
  });

  it('shows them without WebGPU too', async () => {
    const context = await browser.newContext();
    await context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined });
    });
    const page = await context.newPage();
    await page.goto(`${site.url}?results=h200-decode-anchors`);
    await expect.poll(() => page.locator('ap-no-webgpu h2').count()).toBe(1);
    await expect.poll(() => page.locator('ap-bench-table table[data-testid=bench]').count()).toBe(1);
    expect(await page.locator('ap-metric-chart[data-metric=time]').getAttribute('data-series')).toBe(
      String(variants.size),
    );
    await context.close();
  });
});
