import { describe, expect, it } from 'vitest';
import { pagedLadderSuite } from '../../benches/paged-ladder';
import type { GpuContext } from '../../src/gpu/context';
import { pagedKernel, pagedPlan, pagedSubgroupShape } from '../../src/kernels/paged';
import { resolveProblem } from '../../src/problem/validate';

/**
 * The ladder is timed in one GPU call: every variant must be one the H200 runs as labelled (the
 * decode kernel with its shape, not a fallback to the portable kernel) and every config must fit.
 */

/** The H200 as Dawn reported it (benches/results/h200-*.json): 32-lane subgroups, 2 GiB bindings. */
const h200 = {
  adapter: {
    vendor: 'nvidia',
    architecture: '',
    device: 'nvidia-h200',
    description: '',
    isFallbackAdapter: false,
    runtime: 'node (Dawn)',
  },
  features: { timestampQuery: true, subgroups: true, shaderF16: true, subgroupMatrix: true },
  limits: {
    maxStorageBufferBindingSize: 2147483644,
    maxBufferSize: 1099511627776,
    maxComputeWorkgroupStorageSize: 49152,
    maxComputeInvocationsPerWorkgroup: 1024,
    maxComputeWorkgroupsPerDimension: 65535,
    maxStorageBuffersPerShaderStage: 16,
  },
  subgroupMinSize: 32,
  subgroupMaxSize: 32,
} as unknown as GpuContext;

describe('paged-ladder suite', () => {
  const configs = pagedLadderSuite.configs();

  it('labels are unique and no config label is a substring of another (--configs selects one)', () => {
    const labels = configs.map((c) => c.label);
    for (const a of labels) expect(labels.filter((b) => b.includes(a))).toEqual([a]);
    for (const c of configs) expect(new Set(c.variants.map((v) => v.label ?? v.kernel)).size).toBe(c.variants.length);
  });

  it('every variant runs on an H200 as its label says (lanes, workgroup, tokens a step, prefetch)', () => {
    for (const c of configs) {
      const spec = resolveProblem(c.input);
      for (const v of c.variants) {
        const options = v.options ?? {};
        expect(pagedKernel.unsupported(spec, h200, options), `${c.label} ${v.label}`).toBeNull();
        const shape = pagedSubgroupShape(spec, h200, pagedPlan(spec, options).rowsPerTile, options);
        if (typeof shape === 'string') throw new Error(`${c.label} ${v.label}: ${shape}`);
        const m = /^L(\d+) W(\d+) U(\d+)( pf)?/.exec(v.label ?? '');
        const want = m
          ? { lanes: Number(m[1]), wg: Number(m[2]), unroll: Number(m[3]), prefetch: Boolean(m[4]) }
          : { lanes: 8, wg: 32, unroll: 4, prefetch: true };
        expect({ lanes: shape.lanes, wg: shape.wg, unroll: shape.unroll, prefetch: shape.prefetch }, v.label).toEqual(
          want,
        );
      }
    }
  });

  it("'cu' variants plan split-K for the H200's 132 compute units", () => {
    const spec = resolveProblem(configs.find((c) => c.label === 'unshared B=128 L=16640')?.input ?? ({} as never));
    const cu = pagedLadderSuite.configs()[0].variants.find((v) => v.label === 'L8 W32 U4 pf cu');
    const buffers = pagedKernel.buffers(spec, h200, cu?.options ?? {});
    // 5 partitions of 3328 tokens: 128 x 32 x 5 partial rows.
    expect(buffers.find((b) => b.label === 'partial lse')?.bytes).toBe(128 * 32 * 5 * 4);
    // B 512 x 16640: K and V pools in 9 shards of at most 2 GiB.
    const b512 = resolveProblem(configs.find((c) => c.label === 'unshared B=512 L=16640')?.input ?? ({} as never));
    expect(pagedKernel.buffers(b512, h200, {}).filter((b) => b.label.startsWith('k pool')).length).toBe(9);
  });
});
