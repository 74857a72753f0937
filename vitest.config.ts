import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

// Vitest 5's reporter calls Map.groupBy (Node 21+) when it prints failures; Node 20 lacks it.
const mapWithGroupBy = Map as unknown as { groupBy?: unknown };
mapWithGroupBy.groupBy ??= <K, V>(items: Iterable<V>, key: (v: V, i: number) => K): Map<K, V[]> => {
  const groups = new Map<K, V[]>();
  let i = 0;
  for (const item of items) {
    const k = key(item, i++);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
};

/** Chromium flags that give headless Chromium a WebGPU adapter (SwiftShader when there is no GPU). */
export const chromiumWebGpuArgs = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Vitest runs projects in groups, one group after another; within a group, Node files (one at a
 * time here) beside the browser project's. The GPU projects and e2e share a group so that the
 * browser suite runs beside the Node suite, as it did before gpu-node stopped isolating its files
 * (which alone would have put gpu-node in a group of its own). Unit tests, which may run several
 * files at once, keep the default group.
 */
const GPU_GROUP = 1;
const swiftshaderIcd = '/usr/lib/chromium/vk_swiftshader_icd.json';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'gpu-node',
          include: ['test/gpu/**/*.test.ts', 'test/cli/**/*.test.ts'],
          environment: 'node',
          // dawn.node is not safe in worker threads (dawn-gpu/node-webgpu #13): one forked process, files in sequence.
          pool: 'forks',
          fileParallelism: false,
          // ... and not isolated from each other, so that they share one device and its compiled pipelines
          // (test/setup/gpu-entry.ts): compiling shaders is most of SwiftShader's time.
          isolate: false,
          sequence: { groupOrder: GPU_GROUP },
          setupFiles: ['test/setup/gpu-node.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          env: { VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? swiftshaderIcd },
        },
      },
      {
        test: {
          name: 'gpu-browser',
          // A representative subset: the whole GPU suite runs in Node through Dawn (gpu-node), and the e2e
          // tests run every kernel through the page in this same Chromium. Here: the adapter exists (a
          // browser suite once passed for months without navigator.gpu), Chromium's timestamp queries,
          // the LSE merge with its 2-D grid, and naive on every common case (Chromium's own shader
          // compiler on the span kernel's variants). Running all of it again doubled CI's time on 2 cores.
          include: [
            'test/gpu/adapter.test.ts',
            'test/gpu/timer.test.ts',
            'test/gpu/lse-merge.test.ts',
            'test/gpu/naive.test.ts',
          ],
          setupFiles: ['test/setup/gpu-browser.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          sequence: { groupOrder: GPU_GROUP },
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: { executablePath: chromium, args: chromiumWebGpuArgs } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
      {
        // The page end to end: builds the site, serves it, drives headless Chromium with Playwright (test/e2e/harness.ts).
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          sequence: { groupOrder: GPU_GROUP },
          testTimeout: 180_000,
          hookTimeout: 120_000,
          // The page needs more than expect.poll's default second to load and react on a busy 2-core machine
          // (a run here failed on a field marked a moment later); waiting longer asserts the same thing.
          expect: { poll: { timeout: 15_000 } },
        },
      },
    ],
  },
});
