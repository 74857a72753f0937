import { describe, expect, it } from 'vitest';
import { kernelOptionsFromArgs } from '../../src/cli/kernel-options';

describe('CLI kernel options', () => {
  it('reads the paged decode kernel shape and compute units', () => {
    expect(
      kernelOptionsFromArgs({
        'decode-lanes': '8',
        'decode-wg': '64',
        'decode-unroll': '4',
        'decode-prefetch': 'on',
        'compute-units': '132',
      }),
    ).toEqual({ decodeLanes: 8, decodeWg: 64, decodeUnroll: 4, decodePrefetch: true, computeUnits: 132 });
    expect(kernelOptionsFromArgs({ 'compute-units': 'adapter', 'decode-prefetch': 'off' })).toEqual({
      computeUnits: 'adapter',
      decodePrefetch: false,
    });
    expect(kernelOptionsFromArgs({})).toEqual({});
  });

  it('refuses bad values naming the flag and the value', () => {
    expect(() => kernelOptionsFromArgs({ 'decode-lanes': '0' })).toThrow(
      '--decode-lanes must be a positive integer (got 0)',
    );
    expect(() => kernelOptionsFromArgs({ 'decode-wg': '1.5' })).toThrow(
      '--decode-wg must be a positive integer (got 1.5)',
    );
    expect(() => kernelOptionsFromArgs({ 'decode-prefetch': 'yes' })).toThrow(
      '--decode-prefetch must be on or off (got yes)',
    );
    expect(() => kernelOptionsFromArgs({ 'compute-units': 'many' })).toThrow(
      '--compute-units must be a positive integer or adapter (got many)',
    );
  });
});
