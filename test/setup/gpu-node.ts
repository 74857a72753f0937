import { dawnFlagsFromEnv, nodeGpu } from '../../src/gpu/node-gpu';
import { installTestGpuEntry } from './gpu-entry';

installTestGpuEntry(await nodeGpu(dawnFlagsFromEnv()), 'node (Dawn)');
