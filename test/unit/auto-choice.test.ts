import { describe, expect, it } from 'vitest';
import { chooseKernel, MIN_SHARED_TOKENS, MIN_SHARERS } from '../../src/kernels/auto-choice';

import { noSharingProblem, sharedPrefixProblem, unevenTreeProblem } from '../../src/problem/builders';
import { resolveProblem } from '../../src/problem/validate';

const heads = { headsQ: 32, headsKV: 8, headDim: 128 };

describe('automatic kernel choice', () => {
  it('no sharing: paged, saying nothing is shared', () => {
    const c = chooseKernel(resolveProblem(noSharingProblem({ batch: 32, length: 4096, ...heads })));
    expect(c.kernel).toBe('paged');
    expect(c.reason).toMatch(/no segment is shared/);
  });

  it('the issue 6 anchors (GQA 4:1 decode) on the fast kernels: Hydragen, whose matrix product now costs far less than the reads it saves', () => {
    // Measured on the H200 (decode-anchors, auto-choice): Hydragen 0.240 vs paged 0.495 ms at B 32
    // P 16384, 0.338 vs 0.519 ms at B 128 P 4096.
    for (const [batch, prefixLength] of [
      [32, 16384],
      [128, 4096],
    ]) {
      const input = sharedPrefixProblem({ batch, prefixLength, suffixLength: 256, ...heads, kvDtype: 'f16' });
      const c = chooseKernel(resolveProblem(input));
      expect(c.kernel).toBe('hydragen');
      expect(c.reason).toMatch(
        /shared by \d+ sequences; sharing saves \d+% of K\/V reads; its matrix product is estimated at 0\.\d+x paged's time .*\(55 TFLOP\/s on tensor cores x 0\.71 for its work shape \+ 10 µs for its extra pass vs 3\.6 TB\/s and 19 TFLOP\/s decode kernel, bound by its reads\): Hydragen/,
      );
    }
  });

  it('GQA 4:1 with few sequences: paged, because a few rows a KV head leave the shared pass mostly idle', () => {
    for (const batch of [4, 8]) {
      const input = sharedPrefixProblem({ batch, prefixLength: 4096, suffixLength: 256, ...heads, kvDtype: 'f16' });
      const c = chooseKernel(resolveProblem(input));
      expect(c.kernel).toBe('paged');
      expect(c.reason).toMatch(/estimated at \d+\.\dx paged's time .* x 0\.\d+ for its work shape/);
    }
  });

  it('the same anchors on the portable kernels (no subgroups, no subgroup matrices): Hydragen', () => {
    const input = sharedPrefixProblem({ batch: 128, prefixLength: 16384, suffixLength: 256, ...heads, kvDtype: 'f16' });
    const portable = { hydragenTensorCores: false, pagedSubgroups: false };
    const c = chooseKernel(resolveProblem(input), {}, portable);
    expect(c.kernel).toBe('hydragen');
    expect(c.reason).toMatch(
      /estimated at 0\.78x .*\(4 TFLOP\/s portable x 1\.00 for its work shape \+ 10 µs for its extra pass vs 0\.78 TB\/s and 3\.2 TFLOP\/s portable, bound by its reads\): Hydragen/,
    );
    // Portable Hydragen against the decode kernel: paged.
    const mixed = chooseKernel(resolveProblem(input), {}, { hydragenTensorCores: false, pagedSubgroups: true });
    expect(mixed.kernel).toBe('paged');
  });

  it('MQA (32 query heads on one KV head): Hydragen, against paged bound by its FLOPs', () => {
    // Measured on the H200 (auto-choice): Hydragen 0.309 ms, paged 0.702 ms.
    const mqa = { headsQ: 32, headsKV: 1, headDim: 128 };
    const c = chooseKernel(
      resolveProblem(sharedPrefixProblem({ batch: 128, prefixLength: 4096, suffixLength: 256, ...mqa })),
    );
    expect(c.kernel).toBe('hydragen');
    // Paged's FLOPs (19 TFLOP/s) take longer than its reads.
    expect(c.reason).toMatch(/estimated at 0\.51x paged's time .*, bound by its FLOPs\): Hydragen/);
  });

  it('MHA (one query head per KV head) with a long shared prefix: Hydragen, with the estimate stated', () => {
    const mha = { headsQ: 8, headsKV: 8, headDim: 128 };
    const c = chooseKernel(
      resolveProblem(sharedPrefixProblem({ batch: 64, prefixLength: 4096, suffixLength: 64, ...mha })),
    );
    expect(c.kernel).toBe('hydragen');
    expect(c.reason).toMatch(
      /sharing saves \d+% of K\/V reads; its matrix product is estimated at 0\.\d+x paged's time for it per sequence \(55 TFLOP\/s on tensor cores x 0\.\d+ for its work shape \+ 10 µs for its extra pass vs 3\.6 TB\/s and 19 TFLOP\/s decode kernel, bound by its reads\): Hydragen/,
    );
  });

  it('MHA with few sequences: paged, because 16 rows in 64-row tiles over 32 work items leave the shared pass mostly idle', () => {
    // Measured on the H200 (auto-choice): paged 0.063 ms, Hydragen 0.169 ms.
    const mha = { headsQ: 32, headsKV: 32, headDim: 128 };
    const c = chooseKernel(
      resolveProblem(sharedPrefixProblem({ batch: 16, prefixLength: 1024, suffixLength: 256, ...mha, kvDtype: 'f16' })),
    );
    expect(c.kernel).toBe('paged');
    expect(c.reason).toMatch(/estimated at 1\.2x paged's time .* x 0\.06 for its work shape/);
    // The same heads with 128 sequences fill the tiles and the GPU: Hydragen.
    const big = chooseKernel(
      resolveProblem(
        sharedPrefixProblem({ batch: 128, prefixLength: 4096, suffixLength: 256, ...mha, kvDtype: 'f16' }),
      ),
    );
    expect(big.kernel).toBe('hydragen');
  });

  it('too few sharers, too short a prefix, or too little saved: paged, naming the reason', () => {
    const few = chooseKernel(
      resolveProblem(sharedPrefixProblem({ batch: MIN_SHARERS - 1, prefixLength: 4096, suffixLength: 16, ...heads })),
    );
    expect(few).toMatchObject({ kernel: 'paged' });
    expect(few.reason).toMatch(/fewer than 4 sharers/);
    const short = chooseKernel(
      resolveProblem(
        sharedPrefixProblem({ batch: 64, prefixLength: MIN_SHARED_TOKENS - 1, suffixLength: 16, ...heads }),
      ),
    );
    expect(short.reason).toMatch(/shorter than 256 tokens: paged/);
    const little = chooseKernel(
      resolveProblem(sharedPrefixProblem({ batch: 8, prefixLength: 300, suffixLength: 4000, ...heads })),
    );
    expect(little.reason).toMatch(/under 50% saved: paged/);
  });

  it('a tree counts its most valuable shared segment', () => {
    const spec = resolveProblem(
      unevenTreeProblem({
        headsQ: 8,
        headsKV: 8,
        headDim: 64,
        rootLength: 2000,
        midLength: 300,
        leafLength: 20,
        suffixLength: 10,
      }),
    );
    const c = chooseKernel(spec);
    expect(c.reason).toMatch(/segment "L0n0" \(2000 tokens\) is shared by 6 sequences/);
    // 6 sequences x 1 head give 6 rows per KV head: far too little work for the shared pass.
    expect(c.kernel).toBe('paged');
  });

  it('passes the caller’s options through', () => {
    const options = { blockSize: 32, splitK: true } as const;
    expect(chooseKernel(resolveProblem(noSharingProblem({ batch: 2, length: 9, ...heads })), options).options).toBe(
      options,
    );
  });
});
