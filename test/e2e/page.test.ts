import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResultText } from '../../src/bench/result';
import { kernels } from '../../src/kernels/registry';
import { launchBrowser, openPage, ROOT, type Site, screenshotPath, startSite } from './harness';

/**
 * The page end to end, on the built site in headless Chromium (SwiftShader WebGPU without a GPU).
 * Sizes are tiny: SwiftShader is slow, and this is about the page working, not about timings.
 */

let site: Site;
let browser: Browser;

beforeAll(async () => {
  site = await startSite();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

const SWEEP_VALUES = [1, 2, 4];
const SMALL_SWEEP =
  '?hq=2&hkv=1&d=16&b=2&prefix=16&suffix=5&mode=sweep&axis=batch&values=1,2,4&warmup=0&runs=3&budget=0&ceil=8&mmceil=128';

/** A CUDA reference result file made by hand for this test (its device and source say so); never a measurement. */
const CUDA_FIXTURE = join(ROOT, 'test', 'fixtures', 'results', 'cuda-reference-fixture.json');

const runState = (page: Page) => page.locator('ap-app').getAttribute('run-state');

async function waitForRunEnd(page: Page, timeout = 120_000): Promise<string | null> {
  await page.waitForFunction(
    () => ['done', 'error', 'cancelled'].includes(document.querySelector('ap-app')?.getAttribute('run-state') ?? ''),
    null,
    { timeout },
  );
  return runState(page);
}

describe('the playground page', () => {
  it('autoruns a small sweep: every kernel passes, charts drawn, export re-imports', async () => {
    const { page, problems } = await openPage(browser, `${site.url}${SMALL_SWEEP}&autorun=1`);
    // While it runs, the results pane shows a progress bar instead of the placeholder.
    await expect
      .poll(() => page.locator('ap-progress-card [data-testid=run-progress]').count(), { timeout: 60_000 })
      .toBe(1);
    expect(await page.locator('.card.empty').count()).toBe(0);
    expect(await waitForRunEnd(page)).toBe('done');
    expect(await page.locator('ap-progress-card').count()).toBe(0);
    // The paged KV memory of the problem, at each block size.
    expect(await page.locator('ap-kv-memory-table tr[data-block]').count()).toBe(3);

    // Equivalence: every registered kernel ran and passed every check (reference, and vs the first kernel).
    const rows = page.locator('ap-equivalence-table tr[data-kernel]');
    const ran = new Set(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-kernel'))));
    expect([...ran].sort()).toEqual(kernels.map((k) => k.name).sort());
    const verdicts = await page.locator('ap-equivalence-table [data-testid=verdict]').allTextContents();
    expect(verdicts.length).toBe(2 * kernels.length - 1);
    expect(verdicts.every((v) => v === 'PASS')).toBe(true);

    // One chart per metric, one series per kernel, one point per kernel and swept value.
    const charts = page.locator('ap-metric-chart');
    expect(await charts.count()).toBe(3);
    for (const metric of ['time', 'speedup', 'gbps']) {
      const chart = page.locator(`ap-metric-chart[data-metric=${metric}]`);
      expect(await chart.getAttribute('data-series')).toBe(String(kernels.length));
      expect(await chart.getAttribute('data-points')).toBe(String(kernels.length * SWEEP_VALUES.length));
      expect(Number(await chart.getAttribute('data-drawn'))).toBeGreaterThan(0);
      expect(await chart.locator('canvas').count()).toBe(1);
    }
    expect(await page.locator('ap-bench-table table[data-testid=bench] tr').count()).toBe(
      1 + kernels.length * SWEEP_VALUES.length,
    );
    expect(await page.locator('ap-gpu-panel [data-testid=ceiling]').textContent()).toMatch(/GB\/s/);
    // The compute ceiling: f32 FMA here (SwiftShader has no subgroup matrices), in the panel and the table.
    expect(await page.locator('ap-gpu-panel [data-testid=matmul-ceiling]').textContent()).toMatch(/TFLOP\/s.*f32 FMA/s);
    expect(await page.locator('ap-bench-table [data-testid=compute-ceiling]').textContent()).toMatch(/Compute ceiling/);
    expect(await page.locator('ap-run-panel [data-testid=progress]').textContent()).toMatch(/^done/);

    await page.screenshot({ path: screenshotPath('sweep.png'), fullPage: true });
    const docsShot = join(ROOT, 'docs', 'screenshot.png');
    if (process.env.UPDATE_DOCS_SCREENSHOT || !existsSync(docsShot)) {
      mkdirSync(join(ROOT, 'docs'), { recursive: true });
      await page.screenshot({ path: screenshotPath('readme.png'), fullPage: false });
      copyFileSync(screenshotPath('readme.png'), docsShot);
    }

    // Export JSON: a valid result file with every entry; CSV: a row per entry.
    const [json] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('[data-testid=export-json]').click(),
    ]);
    const jsonPath = screenshotPath('exported.json');
    await json.saveAs(jsonPath);
    const exported = parseResultText(readFileSync(jsonPath, 'utf8'), 'exported.json');
    expect(exported.source).toBe('page');
    expect(exported.suite.axis.name).toBe('batch');
    expect(exported.entries.length).toBe(kernels.length * SWEEP_VALUES.length);
    expect(exported.entries.every((e) => e.status === 'ok' && e.checks?.every((c) => c.pass))).toBe(true);
    expect(exported.bandwidthCeilingGBps).toBeGreaterThan(0);
    const [csv] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=export-csv]').click()]);
    const csvPath = screenshotPath('exported.csv');
    await csv.saveAs(csvPath);
    expect(readFileSync(csvPath, 'utf8').trim().split('\n').length).toBe(1 + exported.entries.length);

    // Re-import it: shown beside the run, labelled by device, its series added to the charts.
    await page.locator('ap-results-io input[type=file]').setInputFiles(jsonPath);
    await expect.poll(() => page.locator('ap-bench-table').count()).toBe(2);
    expect(await page.locator('ap-metric-chart[data-metric=time]').getAttribute('data-series')).toBe(
      String(2 * kernels.length),
    );
    // A malformed file is refused with a message naming it.
    await page
      .locator('ap-results-io input[type=file]')
      .setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"schema": ') });
    await expect
      .poll(() => page.locator('[data-testid=import-error]').textContent())
      .toMatch(/^broken\.json: not valid JSON/);
    await page.screenshot({ path: screenshotPath('sweep-with-import.png'), fullPage: true });

    // A CUDA reference file (a test fixture, labelled as one) beside the WebGPU run: its own legend group and lines.
    await page.locator('ap-results-io input[type=file]').setInputFiles(CUDA_FIXTURE);
    const time = page.locator('ap-metric-chart[data-metric=time]');
    await expect.poll(() => time.getAttribute('data-series'), { timeout: 15_000 }).toBe(String(2 * kernels.length + 2));
    const groups = await time.locator('.group').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-group')));
    expect(groups).toEqual([
      expect.stringMatching(/^this run · SwiftShader · WebGPU \(page\)$/),
      'SwiftShader · WebGPU (page)',
      'fixture · cuda-reference (test fixture, not a measurement)',
    ]);
    // Legends match lines: the colour and dash of every legend swatch is the one uPlot drew its line with.
    for (const metric of ['time', 'gbps']) {
      const chart = page.locator(`ap-metric-chart[data-metric=${metric}]`);
      const legend = await chart
        .locator('[data-legend]')
        .evaluateAll((ls) => ls.map((l) => l.getAttribute('data-style')));
      expect((await chart.getAttribute('data-strokes'))?.split(' ')).toEqual(legend);
      expect(new Set(legend.map((l) => l?.split('/')[1])).size).toBe(3);
    }
    // The roofline: a point per timed entry and every file's ceilings.
    const roof = page.locator('ap-roofline-chart');
    expect(await roof.getAttribute('data-points')).toBe(String(2 * kernels.length * SWEEP_VALUES.length + 6));
    // This run, its re-import and the CUDA file each measured both ceilings: three roofs of two parts.
    expect((await roof.getAttribute('data-ceilings'))?.split(' ').sort()).toEqual([
      'bandwidth',
      'bandwidth',
      'bandwidth',
      'matmul',
      'matmul',
      'matmul',
    ]);
    await roof.locator('circle[data-variant="Hydragen (PyTorch)"]').first().dispatchEvent('mouseenter');
    await expect
      .poll(() => roof.locator('[data-testid=roofline-hover]').textContent())
      .toMatch(/^Hydragen \(PyTorch\) · fixture · cuda-reference .* TFLOP\/s, .* FLOP\/B moved/);
    // Hiding a device and a kernel takes their lines out of every chart.
    await page
      .locator('[data-testid=chart-filter] input[data-pick=file][value="SwiftShader · WebGPU (page)"]')
      .uncheck();
    await page.locator('[data-testid=chart-filter] input[data-pick=variant][value="FA2 (PyTorch)"]').uncheck();
    await expect.poll(() => time.getAttribute('data-series')).toBe(String(kernels.length + 1));
    await page.screenshot({ path: screenshotPath('cuda-beside-webgpu.png'), fullPage: true });
    const docsCharts = join(ROOT, 'docs', 'charts.png');
    if (process.env.UPDATE_DOCS_SCREENSHOT || !existsSync(docsCharts)) {
      await page.locator('[data-testid=chart-filter] input[data-pick=variant][value="FA2 (PyTorch)"]').check();
      await page.locator('[data-testid=charts-card]').screenshot({ path: screenshotPath('charts.png') });
      copyFileSync(screenshotPath('charts.png'), docsCharts);
    }
    expect(problems).toEqual([]);
  });

  it('marks a bad URL parameter at its field and runs nothing', async () => {
    const { page, problems } = await openPage(browser, `${site.url}?d=30&b=abc&autorun=1`);
    const headDim = page.locator('ap-problem-builder [data-field=headDim]');
    await expect.poll(() => headDim.textContent()).toBe('head dim (30) must be a multiple of 4 between 16 and 256');
    expect(await page.locator('ap-problem-builder [data-field=batch]').textContent()).toBe(
      'batch ("abc") must be a whole number',
    );
    expect(await page.locator('ap-problem-builder input[name=headDim]').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('ap-run-panel [data-testid=run]').isDisabled()).toBe(true);
    await expect.poll(() => runState(page)).toBe('error');
    expect(await page.locator('ap-equivalence-table table').count()).toBe(0);
    await page.screenshot({ path: screenshotPath('field-error.png') });
    expect(problems).toEqual([]);
  });

  it('refuses a problem over the device limits, naming the limit, before anything runs', async () => {
    const { page, problems } = await openPage(
      browser,
      `${site.url}?b=512&prefix=262144&suffix=1000&d=128&hq=32&hkv=8&share=tree&levels=2&fan=4&autorun=1`,
    );
    const refusals = page.locator('ap-memory-table [data-testid=memory-refusal]');
    // The estimate of every kernel's buffers for this huge problem can take seconds on a busy machine.
    await expect.poll(() => refusals.count(), { timeout: 30_000 }).toBe(kernels.length);
    for (const text of await refusals.allTextContents())
      expect(text).toMatch(/maxStorageBufferBindingSize|maxBufferSize/);
    await expect.poll(() => runState(page)).toBe('error');
    expect(await page.locator('ap-run-panel [data-testid=blocked]').textContent()).toMatch(
      /no selected kernel can run/,
    );
    await page.screenshot({ path: screenshotPath('over-limits.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('cancels a long benchmark, and gets a new device after losing one', async () => {
    const { page, problems } = await openPage(
      browser,
      `${site.url}?hq=2&hkv=1&d=16&b=2&prefix=16&suffix=5&mode=bench&warmup=0&runs=5000&budget=600000&ceil=8&mmceil=128&autorun=1`,
    );
    const progress = page.locator('ap-run-panel [data-testid=progress]');
    await expect.poll(() => progress.textContent(), { timeout: 60_000 }).toMatch(/run \d+\/5000/);
    // The progress card: configs done of all, the kernel and run going on, time gone and left.
    const card = page.locator('ap-progress-card [data-testid=run-progress]');
    expect(await card.locator('[data-testid=progress-configs]').textContent()).toBe('0 of 1 configs done');
    expect(await card.textContent()).toMatch(/run \d+\/5000/);
    expect(await card.textContent()).toMatch(/\d+ s gone/);
    await card.screenshot({ path: screenshotPath('progress.png') });
    await page.locator('ap-run-panel [data-testid=cancel]').click();
    expect(await waitForRunEnd(page, 20_000)).toBe('cancelled');
    expect(await progress.textContent()).toMatch(/^cancelled/);

    // Lose the device: the page says so and offers a new one, without a reload.
    await page.evaluate(() =>
      (document.querySelector('ap-app') as unknown as { gpu: GPUDevice & { device: GPUDevice } }).gpu.device.destroy(),
    );
    const banner = page.locator('ap-app [data-testid=gpu-errors]');
    await expect.poll(() => banner.textContent()).toMatch(/device was lost/);
    expect(await page.locator('ap-run-panel [data-testid=run]').isDisabled()).toBe(true);
    await page.locator('[data-testid=new-device]').click();
    await expect.poll(() => banner.count()).toBe(0);
    expect(await page.locator('ap-run-panel [data-testid=run]').isDisabled()).toBe(false);
    await page.locator('ap-run-panel button[data-mode=check]').click();
    await page.locator('ap-run-panel [data-testid=run]').click();
    expect(await waitForRunEnd(page)).toBe('done');
    expect(
      (await page.locator('ap-equivalence-table [data-testid=verdict]').allTextContents()).every((v) => v === 'PASS'),
    ).toBe(true);
    expect(problems).toEqual([]);
  });

  it('shows how to get WebGPU when there is none, and still shows imported results', async () => {
    const context = await browser.newContext();
    await context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined });
    });
    const page = await context.newPage();
    await page.goto(site.url);
    const panel = page.locator('ap-no-webgpu');
    await expect.poll(() => panel.locator('h2').textContent()).toBe('This browser gives the page no WebGPU');
    expect(await panel.locator('ul').textContent()).toMatch(/enable-unsafe-webgpu/);
    // Result files can still be looked at: import the one the first test exported.
    const exported = screenshotPath('exported.json');
    expect(existsSync(exported)).toBe(true);
    await page.locator('ap-results-io input[type=file]').setInputFiles(exported);
    await expect.poll(() => page.locator('ap-bench-table table[data-testid=bench]').count()).toBe(1);
    expect(await page.locator('ap-metric-chart').count()).toBe(3);
    await page.screenshot({ path: screenshotPath('no-webgpu.png'), fullPage: true });
    await context.close();
  });
});
