import { acquireGpu } from '../gpu/context';
import { runKernel } from '../gpu/run-kernel';
import { kernels } from '../kernels/registry';
import { generateProblemData } from '../problem/generate';
import { getPreset } from '../problem/presets';
import { resolveProblem } from '../problem/validate';
import { referenceAttention } from '../reference/attention';
import { compareResults, formatComparisonRow } from '../reference/compare';

/** Minimal page: runs every kernel on a preset and shows the equivalence with the f64 reference. */
async function main(): Promise<void> {
  const status = document.getElementById('status') as HTMLElement;
  const out = document.getElementById('out') as HTMLElement;
  try {
    const preset = new URLSearchParams(location.search).get('preset') ?? 'tiny';
    const gpu = await acquireGpu(navigator.gpu);
    status.textContent = `Adapter: ${gpu.adapter.vendor} ${gpu.adapter.architecture} ${gpu.adapter.description}; preset ${preset}`;
    const data = generateProblemData(resolveProblem(getPreset(preset)), 1);
    const ref = referenceAttention(data);
    const lines: string[] = [];
    for (const k of kernels) {
      const got = await runKernel(gpu, k, data);
      lines.push(`${k.name.padEnd(10)} ${formatComparisonRow(compareResults(data.spec, ref, got))}`);
    }
    out.textContent = lines.join('\n');
  } catch (e) {
    status.textContent = `Error: ${(e as Error).message}`;
  }
}

void main();
