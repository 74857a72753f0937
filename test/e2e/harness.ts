import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright';
import { build, type PreviewServer, preview } from 'vite';
import { chromiumWebGpuArgs } from '../../vitest.config';

/**
 * End-to-end harness: builds the static site (`vite build`, base './') into a temporary folder,
 * serves it with `vite preview` on a free localhost port, and drives headless Chromium with WebGPU
 * (SwiftShader without a GPU). Testing the build, not the dev server, is what shows that
 * `npm run build` gives a site any static file server can host.
 */

export const ROOT = resolve(import.meta.dirname, '../..');
export const RESULTS_DIR = join(ROOT, 'test-results', 'e2e');

export interface Site {
  readonly url: string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createNetServer();
    s.once('error', rej);
    s.listen(0, 'localhost', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

/**
 * Build and serve the site. `folder` (e.g. "/sub/") serves the same build (made with base './')
 * under that path instead of at the root, as a static host serving it from a subfolder would.
 */
export async function startSite(folder = '/'): Promise<Site> {
  const outDir = mkdtempSync(join(tmpdir(), 'ap-e2e-'));
  await build({
    root: ROOT,
    configFile: join(ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  const port = await freePort();
  const server: PreviewServer = await preview({
    root: ROOT,
    configFile: join(ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    base: folder,
    build: { outDir },
    preview: { host: 'localhost', port, strictPort: true, open: false },
  });
  return {
    url: `http://localhost:${port}${folder}`,
    async close() {
      await new Promise<void>((res) => server.httpServer.close(() => res()));
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: chromiumWebGpuArgs,
  });
}

/** A page that records console errors and uncaught exceptions (tests assert there are none). */
export async function openPage(browser: Browser, url: string): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  await page.goto(url);
  return { page, problems };
}

export function screenshotPath(name: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  return join(RESULTS_DIR, name);
}
