import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RESULT_BYTES } from '../../src/bench/result';
import { baseEntry, baseResult } from '../hostile/cases';
import { launchBrowser, openPage, type Site, screenshotPath, startSite } from './harness';

/**
 * Result files that must not break the page (issue 14): each refused one is named with its field,
 * leaves the page as it was, and a good file still imports after it. Through the file input and
 * through `results=` (a committed file whose fetch returns a hostile body).
 */

let site: Site;
let browser: Browser;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'hostile-results-'));
  site = await startSite();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const json = (name: string, value: unknown) => ({
  name,
  mimeType: 'application/json',
  buffer: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
});

type R = ReturnType<typeof baseResult> & { entries: Record<string, unknown>[] };
const patched = (patch: (r: R) => void) => {
  const r = baseResult() as R;
  patch(r);
  return r;
};

const importFiles = (page: Page, files: ReturnType<typeof json>[]) =>
  page.locator('ap-results-io input[type=file]').setInputFiles(files);
const errors = (page: Page) => page.locator('[data-testid=import-error]').allTextContents();
const tables = (page: Page) => page.locator('ap-bench-table table[data-testid=bench]');

describe('hostile result files on the page', () => {
  it('refuses each file that would have broken the page, naming the field; a good file still imports after', async () => {
    const { page, problems } = await openPage(browser, site.url);
    await importFiles(page, [
      json(
        'issue.json',
        '{"schema":"attention-playground/bench","version":1,"device":{"adapter":{}},"suite":{"name":"x"},"entries":[]}',
      ),
      json(
        'description.json',
        patched((r) => {
          (r.device as { adapter: Record<string, unknown> }).adapter.description = 5;
        }),
      ),
      json(
        'device.json',
        patched((r) => {
          (r.device as { adapter: Record<string, unknown> }).adapter.device = 4660;
        }),
      ),
      json(
        'checks.json',
        patched((r) => {
          r.entries[0].checks = 'PASS';
        }),
      ),
      json(
        'created.json',
        patched((r) => {
          r.createdAt = 1700000000;
        }),
      ),
      json(
        'no-created.json',
        patched((r) => {
          delete (r as Record<string, unknown>).createdAt;
        }),
      ),
    ]);
    await expect
      .poll(() => errors(page))
      .toEqual([
        'issue.json: createdAt is missing',
        'description.json: device.adapter.description (5) must be a string',
        'device.json: device.adapter.device (4660) must be a string',
        'checks.json: entries[0].checks ("PASS") must be an array',
        'created.json: createdAt (1700000000) must be a string',
        'no-created.json: createdAt is missing',
      ]);
    expect(await tables(page).count()).toBe(0);
    expect(problems).toEqual([]);

    // The page is as it was: a good file imports, with its table, its line and its remove button.
    await importFiles(page, [json('good.json', baseResult())]);
    await expect.poll(() => tables(page).count()).toBe(1);
    expect(await errors(page)).toEqual([]);
    const item = page.locator('ap-results-io li');
    expect(await item.textContent()).toMatch(/H100 \(cli\).*x, 1 entries, 2026-01-02 03:04/s);
    await item.locator('button').click();
    await expect.poll(() => tables(page).count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('refuses a file over the size limit before reading it', async () => {
    const { page, problems } = await openPage(browser, site.url);
    // A file on disk (a buffer this big is slow to hand to the browser): sparse, so it costs nothing here.
    const big = join(tmp, 'big.json');
    writeFileSync(big, '');
    truncateSync(big, MAX_RESULT_BYTES + 1);
    await page.locator('ap-results-io input[type=file]').setInputFiles(big);
    await expect
      .poll(() => errors(page))
      .toEqual([`big.json: 16.0 MiB, over the ${MAX_RESULT_BYTES / 2 ** 20} MiB limit for result files`]);
    expect(problems).toEqual([]);
  });

  it('shows an entry that holds no checks as not checked, not FAIL', async () => {
    const { page, problems } = await openPage(browser, site.url);
    await importFiles(page, [
      json(
        'unchecked.json',
        patched((r) => {
          delete r.entries[0].checks;
          r.entries.push(baseEntry(2, 'naive'));
        }),
      ),
    ]);
    await expect.poll(() => tables(page).count()).toBe(1);
    expect(await page.locator('ap-bench-table [data-testid=check]').allTextContents()).toEqual(['not checked', 'PASS']);
    expect(problems).toEqual([]);
  });

  it('shows a file of 5,000 entries (the most it reads), table and charts', { timeout: 180_000 }, async () => {
    const { page, problems } = await openPage(browser, site.url);
    const many = patched((r) => {
      r.entries = Array.from({ length: 5000 }, (_, i) => baseEntry(1 + (i >> 1), i % 2 ? 'hydragen' : 'naive'));
    });
    const file = join(tmp, 'many.json');
    writeFileSync(file, JSON.stringify(many));
    await page.locator('ap-results-io input[type=file]').setInputFiles(file);
    // Rendering the 5,000-row table is what takes time here (seconds on a shared CPU); charts are linear (unit tests).
    await expect.poll(() => tables(page).count(), { timeout: 90_000 }).toBe(1);
    await expect
      .poll(() => page.locator('ap-metric-chart[data-metric=time]').getAttribute('data-points'), { timeout: 30_000 })
      .toBe('5000');
    await page.screenshot({ path: screenshotPath('many-entries.png') });
    expect(problems).toEqual([]);
  });

  it('refuses a hostile file fetched through results= the same way, and drops it from the URL', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.route('**/assets/h200-paged-long-f16-*.json', (route) =>
      route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: '{"schema":"attention-playground/bench","version":1,"device":{"adapter":{}},"suite":{"name":"x"},"entries":[]}',
      }),
    );
    await page.goto(`${site.url}?results=h200-paged-long-f16`);
    await expect
      .poll(() => errors(page), { timeout: 15_000 })
      .toEqual(['h200-paged-long-f16.json: createdAt is missing']);
    expect(await tables(page).count()).toBe(0);
    expect(new URL(page.url()).searchParams.get('results')).toBeNull();
    // And the page still works: a committed file that is fine loads.
    await page.locator('ap-results-io select[data-testid=committed]').selectOption('h200-decode-anchors');
    await expect.poll(() => tables(page).count(), { timeout: 15_000 }).toBe(1);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
