import type { BenchSuite } from '../../benches/suite';
import type { BenchEntry, BenchResultFile, BenchSettings, MatmulCeilingRecord } from '../bench/result';
import { RESULT_SCHEMA, RESULT_VERSION } from '../bench/result';
import { type BenchHooks, describeDevice, runConfig } from '../bench/runner';
import type { GpuContext } from '../gpu/context';
import { createTimer } from '../gpu/timer';

/**
 * The page's way of running a suite: the shared runner's runConfig one config at a time, giving the
 * event loop a turn between configs (the runner already awaits the GPU on every run), and the same
 * result file as `npm run bench` writes, with source "page" and the ceilings measured on the spot.
 */

/** The ceilings measured before the suite (each absent when it was not measured). */
export interface MeasuredCeilings {
  readonly bandwidthGBps?: number;
  readonly matmul?: MatmulCeilingRecord;
}

/** Let the page paint and handle input (Cancel) before going on. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

export async function runSuiteOnPage(
  gpu: GpuContext,
  suite: BenchSuite,
  settings: BenchSettings,
  hooks: BenchHooks,
  ceilings: MeasuredCeilings,
  /** Called with the file so far after every finished entry (a cancelled run keeps what it has). */
  onPartial: (partial: BenchResultFile) => void = () => {},
): Promise<BenchResultFile> {
  const configs = suite.configs();
  const timer = createTimer(gpu);
  const entries: BenchEntry[] = [];
  const file = (): BenchResultFile => ({
    schema: RESULT_SCHEMA,
    version: RESULT_VERSION,
    createdAt: new Date().toISOString(),
    source: 'page',
    device: describeDevice(gpu),
    clock: timer.clock,
    settings,
    ...(ceilings.bandwidthGBps !== undefined ? { bandwidthCeilingGBps: ceilings.bandwidthGBps } : {}),
    ...(ceilings.matmul ? { matmulCeilingTflops: ceilings.matmul.tflops, matmulCeiling: ceilings.matmul } : {}),
    suite: { name: suite.name, description: suite.description, axis: { ...suite.axis } },
    entries: [...entries],
  });
  const withPartial: BenchHooks = {
    ...hooks,
    source: 'page',
    onEntry: (e) => {
      hooks.onEntry?.(e);
      entries.push(e);
      onPartial(file());
    },
  };
  try {
    for (let c = 0; c < configs.length; c++) {
      await yieldToEventLoop();
      await runConfig(gpu, timer, configs[c], settings, withPartial, c, configs.length);
    }
  } finally {
    timer.destroy();
  }
  return file();
}

/** "config 7/20 · naive · run 13/50" */
export function formatProgress(p: {
  configIndex: number;
  configCount: number;
  label: string;
  phase: string;
  run: number;
  runs: number;
}): string {
  const parts = [`config ${p.configIndex + 1}/${p.configCount}`];
  if (p.label) parts.push(p.label);
  if (p.phase === 'timing') parts.push(`run ${p.run}/${Math.max(p.run, p.runs)}`);
  else if (p.phase === 'warmup') parts.push(`warm-up ${p.run}`);
  else if (p.phase !== 'done') parts.push(p.phase);
  return parts.join(' · ');
}
