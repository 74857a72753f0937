import { installTestGpuEntry } from './gpu-entry';

installTestGpuEntry(navigator.gpu, 'browser');
