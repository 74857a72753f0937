import { dawnFlagsFromEnv, nodeGpu } from '../../src/gpu/node-gpu';
import { hasTestGpuEntry, installTestGpuEntry } from './gpu-entry';

// Runs before each test file; the files share one process (vitest.config.ts), one Dawn instance and one device.
if (!hasTestGpuEntry()) installTestGpuEntry(await nodeGpu(dawnFlagsFromEnv()), 'node (Dawn)', true);
