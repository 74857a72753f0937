import { parseArgs } from 'node:util';
import type { BenchSuite } from '../../benches/suite';
import { getSuite, suites } from '../../benches/suites';
import { defaultSettings } from '../bench/runner';
import { attentionFlops, perSegmentKvBytes, perSequenceKvBytes, queryOutputBytes, uniqueBytes } from '../kernels/cost';
import { type KvDtype, kvBytesPerElement, type ProblemInput, specToInput } from '../problem/problem';
import { resolveProblem } from '../problem/validate';
import { toleranceFor } from '../reference/compare';
import { formatTable } from './table';
import { UsageError } from './usage-error';

/**
 * `suites`: the benchmark suites of benches/suites.ts, as a list or as JSON for other runners
 * (benches/cuda_reference.py reads it, so the CUDA reference times exactly the shapes our kernels
 * do, and quotes the same bytes and FLOPs). Needs no GPU.
 */

export const SUITES_SCHEMA = 'attention-playground/suites';

export const suitesUsage = `suites: list the benchmark suites, or write them as JSON for other runners (no GPU needed)

  suites [--json] [--suite <name>] [--kv-dtype f32|f16]

  --json   the bench runner's default settings, and every config's problem (problem.json form, defaults written out), its variants, its
           FLOPs, logical bytes (K/V per sequence, and per segment) and unique bytes, and the
           tolerance its checks use: what benches/cuda_reference.py reads`;

/** One config as other runners read it. Byte counts are the same formulas our kernels quote (src/kernels/cost.ts). */
export interface ExportedConfig {
  readonly axisValue: number;
  readonly label: string;
  readonly problem: ProblemInput;
  readonly variants: readonly { kernel: string; label: string; options: object }[];
  readonly cost: {
    /** QK^T and PV, 2 per multiply-add, over the keys each query sees. */
    readonly flops: number;
    /** Q read, O and LSE written, K/V read once per sequence (a shared segment once per sequence): naive's and paged's count. */
    readonly bytesPerSequenceKv: number;
    /** Q read, O and LSE written, each segment's K/V read once: what perfect sharing (Hydragen) reads. */
    readonly bytesPerSegmentKv: number;
    /** Each byte of the problem once: the "% ceiling" numerator. */
    readonly uniqueBytes: number;
  };
  readonly tolerance: { readonly atol: number; readonly rtol: number };
}

export interface ExportedSuite {
  readonly name: string;
  readonly description: string;
  readonly axis: { readonly name: string; readonly log: boolean };
  readonly configs: readonly ExportedConfig[];
}

export function exportSuite(suite: BenchSuite, kvDtype?: KvDtype): ExportedSuite {
  return {
    name: suite.name,
    description: suite.description,
    axis: { ...suite.axis },
    configs: suite.configs().map((c) => {
      const spec = resolveProblem(kvDtype ? { ...c.input, kvDtype } : c.input);
      const bpe = kvBytesPerElement(spec.kvDtype);
      return {
        axisValue: c.axisValue,
        label: c.label,
        problem: specToInput(spec),
        variants: c.variants.map((v) => ({ kernel: v.kernel, label: v.label ?? v.kernel, options: v.options ?? {} })),
        cost: {
          flops: attentionFlops(spec),
          bytesPerSequenceKv: queryOutputBytes(spec) + perSequenceKvBytes(spec, bpe),
          bytesPerSegmentKv: queryOutputBytes(spec) + perSegmentKvBytes(spec, bpe),
          uniqueBytes: uniqueBytes(spec),
        },
        tolerance: { ...toleranceFor(spec.kvDtype) },
      };
    }),
  };
}

export function suitesCommand(argv: string[], log: (s: string) => void): number {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean' }, suite: { type: 'string' }, 'kv-dtype': { type: 'string' } },
    strict: true,
  });
  const dtype = values['kv-dtype'];
  if (dtype !== undefined && dtype !== 'f32' && dtype !== 'f16')
    throw new UsageError(`--kv-dtype must be f32 or f16 (got ${dtype})`);
  let chosen: readonly BenchSuite[] = suites;
  if (values.suite !== undefined) {
    try {
      chosen = [getSuite(values.suite)];
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const exported = chosen.map((s) => exportSuite(s, dtype as KvDtype | undefined));
  if (values.json) {
    log(JSON.stringify({ schema: SUITES_SCHEMA, version: 1, defaultSettings, suites: exported }));
    return 0;
  }
  for (const s of exported) {
    log(`${s.name}: ${s.description}`);
    log(
      formatTable(
        [s.axis.name, 'config', 'variants'],
        s.configs.map((c) => [String(c.axisValue), c.label, c.variants.map((v) => v.label).join(', ')]),
      ),
    );
    log('');
  }
  return 0;
}
