import type { KernelOptions } from '../src/kernels/kernel';
import { noSharingProblem, sharedPrefixProblem } from '../src/problem/builders';
import type { BenchConfig, BenchSuite, BenchVariant } from './suite';

/**
 * Issue 12's ladder: the paged decode kernel's variants (src/kernels/paged-decode-wgsl.ts, options
 * in src/kernels/kernel.ts) on the shapes FlashAttention-2 was timed on (H200: 4.26-4.43 TB/s),
 * all in one suite run, so one GPU call times every step against the same streaming ceiling.
 * f16 K/V generated on the GPU from a hash (src/problem/hash-kv.ts): no host data to draw or
 * upload, so each config costs its timing and a 64-row CPU reference, not minutes of generation.
 * naive and Hydragen cannot read hashed K/V, so only paged variants run here.
 *
 * Variant labels: L<lanes a token> W<invocations a workgroup> U<tokens a team a step>,
 * "pf" = software-pipelined (next step's K/V and the table entries of the step after loaded
 * before this step's math), "cu" = split-K planned from the GPU's compute units (132 on an H200,
 * from the adapter's name) instead of the fixed 2048-workgroup threshold, "p<N>" = split-K with
 * partitions of N tokens, "bs<N>" = blocks of N tokens (16 otherwise). `paged` is the default (on
 * a 32-lane GPU with D 128 and 4 rows a KV head: L8 W32 U4 pf, fixed split rule), the first entry
 * of each config and every other entry's whole-output check.
 *
 * The first H200 run of this suite (benches/results/h200-paged-ladder-f16.json, an earlier list:
 * the default then was L16 W32 U4) is tabled in src/kernels/paged-decode-wgsl.ts; this list keeps
 * its best rungs and the combinations it left out.
 */

const heads = { headsQ: 32, headsKV: 8, headDim: 128, kvDtype: 'f16' } as const;

const v = (label: string, options: KernelOptions): BenchVariant => ({ kernel: 'paged', options, label });
const cu = { computeUnits: 'adapter' } as const;

export const ladderVariants: readonly BenchVariant[] = [
  // The default since the first H200 ladder: L8 W32 U4 pf (32-lane GPU, D 128, 4 rows a KV head).
  { kernel: 'paged' },
  // The default before it.
  v('L16 W32 U4', { decodeLanes: 16, decodeUnroll: 4, decodePrefetch: false }),
  v('L16 W32 U4 pf', { decodeLanes: 16, decodeUnroll: 4, decodePrefetch: true }),
  v('L8 W32 U2 pf', { decodeUnroll: 2 }),
  v('L8 W32 U6', { decodeUnroll: 6, decodePrefetch: false }),
  v('L8 W64 U4 pf', { decodeWg: 64 }),
  v('L8 W128 U4 pf', { decodeWg: 128 }),
  v('L8 W32 U4 pf cu', cu),
  v('L8 W64 U4 pf cu', { ...cu, decodeWg: 64 }),
  v('L16 W64 U4 pf cu', { ...cu, decodeLanes: 16, decodeWg: 64 }),
  v('L8 W32 U4 pf p256', { splitK: true, partitionSize: 256 }),
  v('L8 W32 U4 pf p1024', { splitK: true, partitionSize: 1024 }),
  v('L8 W32 U4 pf bs32', { blockSize: 32 }),
  v('L8 W32 U4 pf bs8', { blockSize: 8 }),
];

const unshared = (batch: number, axisValue: number): BenchConfig => ({
  axisValue,
  label: `unshared B=${batch} L=16640`,
  input: noSharingProblem({ batch, length: 16640, ...heads }),
  kvSource: 'hash',
  variants: ladderVariants,
});

const shared = (batch: number, prefixLength: number, axisValue: number): BenchConfig => ({
  axisValue,
  label: `prefix B=${batch} P=${prefixLength}`,
  input: sharedPrefixProblem({ batch, prefixLength, suffixLength: 256, ...heads }),
  kvSource: 'hash',
  variants: ladderVariants,
});

export const pagedLadderSuite: BenchSuite = {
  name: 'paged-ladder',
  description:
    'Paged decode kernel variants (lanes, workgroup, tokens a step, prefetch, split-K from compute units), hashed f16 K/V, GQA 32:8, D 128: unshared B 16-512 x 16640, shared prefix B 512 x 16384 and B 1 / 8 x 4096 (+256)',
  axis: { name: 'config', log: false },
  configs: () => [
    shared(1, 4096, 1),
    shared(8, 4096, 2),
    unshared(16, 3),
    unshared(32, 4),
    unshared(128, 5),
    unshared(512, 6),
    shared(512, 16384, 7),
  ],
};
