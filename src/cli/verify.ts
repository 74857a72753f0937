import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sampleReference } from '../bench/check';
import { checkKernels } from '../bench/check-kernels';
import { readProblemDir, writeProblemDir, writeResultDir } from '../io/problem-dir';
import { DEFAULT_BLOCK_SIZE } from '../kernels/paged';
import { selectKernels } from '../kernels/registry';
import { generateProblemData } from '../problem/generate';
import { getPreset, presetNames } from '../problem/presets';
import type { KvDtype, ProblemData } from '../problem/problem';
import { resolveProblem } from '../problem/validate';
import { toleranceFor } from '../reference/compare';
import { checkDawnFlags, joinNegativeValues, seedArg, valuedFlags } from './args';
import { cliGpu } from './gpu';
import { kernelOptionArgs, kernelOptionsFromArgs } from './kernel-options';
import { kvMemoryLine } from './kv-memory';
import { checkOutputDir, sameDirectory } from './output-paths';
import { formatTable, num } from './table';
import { UsageError } from './usage-error';

export const verifyUsage = `verify: run kernels on a problem and compare each with the f64 CPU reference

  verify (--problem <dir> | --preset <name> [--seed N] [--kv-dtype f32|f16])
         [--kernel <name>[,<name>...]|all] [--out <dir>] [--export-problem <dir>]
         [--block-size 8|16|32] [--split-k on|off|auto] [--partition-size N]
         [--subgroup-matrix on|off] [--stage-kv on|off] [--mma-shape <name>] [--subgroups on|off]
         [--decode-lanes N] [--decode-wg N] [--decode-unroll N] [--decode-prefetch on|off]
         [--compute-units N|adapter] [--dawn <flag>]...

  --problem <dir>         problem.json + q.npy + seg_<id>_k.npy / seg_<id>_v.npy (see README)
  --preset <name>         one of: ${presetNames().join(', ')}
  --export-problem <dir>  write the problem (generated or read) in the problem-directory format
  --out <dir>             write <dir>/<kernel>/o.npy and lse.npy, and <dir>/reference/
  --subgroup-matrix       Hydragen on tensor cores: default where offered; off = portable kernel
  --stage-kv              Hydragen on tensor cores: on = copy each step's K/V into workgroup memory
                          first, off = load matrices straight from the pool; default: staged where it fits
  --mma-shape <name>      Hydragen on tensor cores: one shape, e.g. "sg4 rb2 s32 staged pad8" (subgroups,
                          16-row blocks each, keys a step, staged or pool, row padding, prefetch)
  --subgroups             paged's decode kernel (subgroup shuffles): default where offered; off = portable kernel
  --decode-*              paged's decode kernel shape: lanes a token, invocations a workgroup, tokens a
                          step, prefetch of the next step (src/kernels/paged-decode-wgsl.ts); default: from the shape
  --compute-units         paged's auto split-K planned for this many compute units (SMs), or the
                          adapter's from a table; default: the fixed 2048-workgroup rule
  --dawn <flag>           a Dawn flag, e.g. enable-dawn-features=vulkan_enable_f16_on_nvidia (repeatable)

Exit code: 0 all pass, 1 a tolerance failed (or a kernel failed), 2 bad input (a flag, a path, a
problem file), 3 nothing was checked (every selected kernel skipped as unsupported).`;

/** verify's exit code when every selected kernel was skipped: a CI job must not pass on nothing. */
export const NOTHING_CHECKED = 3;

export async function verifyCommand(argv: string[], log: (s: string) => void): Promise<number> {
  const optionTable = {
    problem: { type: 'string' },
    preset: { type: 'string' },
    seed: { type: 'string' },
    'kv-dtype': { type: 'string' },
    kernel: { type: 'string', default: 'all' },
    out: { type: 'string' },
    'export-problem': { type: 'string' },
    ...kernelOptionArgs,
    dawn: { type: 'string', multiple: true, default: [] as string[] },
  } as const;
  const { values } = parseArgs({
    args: joinNegativeValues(argv, valuedFlags(optionTable)),
    options: optionTable,
    strict: true,
  });
  if ((values.problem === undefined) === (values.preset === undefined)) {
    throw new UsageError('give exactly one of --problem <dir> or --preset <name>');
  }
  const seed = seedArg(values.seed, 1);
  const dtype = values['kv-dtype'];
  if (dtype !== undefined && dtype !== 'f32' && dtype !== 'f16') {
    throw new UsageError(`--kv-dtype must be f32 or f16 (got ${dtype})`);
  }
  const kernels = (() => {
    try {
      return selectKernels(values.kernel);
    } catch (e) {
      throw new UsageError(`--kernel: ${(e as Error).message}`);
    }
  })();
  const twice = kernels.find((k, i) => kernels.indexOf(k) !== i);
  if (twice) throw new UsageError(`--kernel lists ${twice.name} twice`);
  checkDawnFlags(values.dawn, '--dawn');
  // Every output path before any work: a run is never lost to a path it cannot write.
  if (values.out !== undefined)
    checkOutputDir(
      '--out',
      values.out,
      ['reference', ...kernels.map((k) => k.name)].flatMap((d) => [join(d, 'o.npy'), join(d, 'lse.npy')]),
    );
  if (values['export-problem'] !== undefined) {
    checkOutputDir('--export-problem', values['export-problem'], ['problem.json', 'q.npy']);
    if (values.problem !== undefined && sameDirectory(values.problem, values['export-problem']))
      throw new UsageError(
        `--export-problem ${values['export-problem']} is the --problem directory; writing it would replace the problem's own files`,
      );
  }
  const options = kernelOptionsFromArgs(values);

  let data: ProblemData;
  let source: string;
  if (values.problem !== undefined) {
    if (dtype) throw new UsageError('--kv-dtype applies to presets; a problem directory sets kvDtype in problem.json');
    data = await readProblemDir(values.problem);
    source = `problem ${values.problem}`;
  } else {
    let input: ReturnType<typeof getPreset>;
    try {
      input = getPreset(values.preset as string);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (dtype) input = { ...input, kvDtype: dtype as KvDtype };
    data = generateProblemData(resolveProblem(input), seed);
    source = `preset ${values.preset} (seed ${seed})`;
  }
  const spec = data.spec;
  if (values['export-problem']) {
    await writeProblemDir(values['export-problem'], data);
    log(`problem written to ${values['export-problem']}`);
  }

  const gpu = await cliGpu(values.dawn, log);
  try {
    const lens = spec.sequences.length;
    log(
      `${source}: B=${lens} headsQ=${spec.headsQ} headsKV=${spec.headsKV} D=${spec.headDim} Lq=${spec.queriesPerSeq} ` +
        `causal=${spec.causal} kv=${spec.kvDtype} segments=${spec.segments.length}`,
    );
    const reference = sampleReference(data, Number.POSITIVE_INFINITY);
    if (values.out) await writeResultDir(join(values.out, 'reference'), reference, spec);

    const rows: string[][] = [];
    let failed = false;
    let checked = 0;
    // A lost device ends the checks (checkKernels throws): print the rows so far, then the error.
    let ended: unknown;
    await checkKernels(
      gpu,
      data,
      kernels.map((kernel) => ({ kernel, options })),
      {
        reference,
        onResult: async (check, out) => {
          if (check.status === 'skipped') {
            rows.push([check.kernel, '', '', '', '', `SKIP: ${check.reason}`]);
          } else if (check.status === 'failed' || !check.vsReference) {
            failed = true;
            rows.push([check.kernel, '', '', '', '', `ERROR: ${check.reason}`]);
          } else {
            const c = check.vsReference;
            checked++;
            if (!c.pass) failed = true;
            const w = c.combined.worst;
            rows.push([
              check.kernel,
              check.variant ?? '',
              num(c.combined.maxAbsErr),
              num(c.combined.maxRelErr),
              w ? `${w.label} (${num(w.ratio)} x tol)` : '',
              c.pass ? 'PASS' : `FAIL (${c.combined.failures}/${c.combined.count} elements)`,
            ]);
            if (values.out && out) await writeResultDir(join(values.out, check.kernel), out, spec);
          }
        },
      },
    ).catch((e: unknown) => {
      ended = e;
    });
    const tol = toleranceFor(spec.kvDtype);
    log(
      `tolerance: |got - ref| <= ${tol.atol} + ${tol.rtol}·|ref| + ${tol.mtol?.toExponential(2)}·Σp|v| (kv ${spec.kvDtype})`,
    );
    log(formatTable(['kernel', 'variant', 'max abs err', 'max rel err', 'worst element', 'result'], rows));
    // What a 120-column table cuts: each variant in full (auto's choice and reason), then skip and error reasons.
    for (const r of rows) if (r[1]) log(`  ${r[0]}: ran ${r[1]}`);
    for (const r of rows) if (r[5].startsWith('SKIP') || r[5].startsWith('ERROR')) log(`  ${r[0]}: ${r[5]}`);
    log(kvMemoryLine(spec, options.blockSize ?? DEFAULT_BLOCK_SIZE));
    if (ended !== undefined) throw ended;
    if (values.out) log(`outputs written under ${values.out}`);
    if (failed) return 1;
    if (checked === 0) {
      log(`nothing was checked: every selected kernel was skipped (exit code ${NOTHING_CHECKED})`);
      return NOTHING_CHECKED;
    }
    return 0;
  } finally {
    gpu.destroy();
  }
}
