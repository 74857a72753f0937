import kvF16Native from '../../shaders/kv-f16-native.wgsl?raw';
import kvF16Packed from '../../shaders/kv-f16-packed.wgsl?raw';
import kvF32 from '../../shaders/kv-f32.wgsl?raw';
import kv8F16Native from '../../shaders/kv8-f16-native.wgsl?raw';
import kv8F16Packed from '../../shaders/kv8-f16-packed.wgsl?raw';
import kv8F32 from '../../shaders/kv8-f32.wgsl?raw';
import type { GpuContext } from '../gpu/context';
import { toF16Bits } from '../problem/f16';
import type { KvDtype } from '../problem/problem';

/**
 * How K and V sit in GPU memory. f16 KV is stored as native f16 where the device offers
 * shader-f16, otherwise packed two to a u32 and unpacked with unpack2x16float; either way the
 * arithmetic is f32. Each format's WGSL binds K and V at bindings 2 and 3 and defines
 * loadK4 / loadV4 (four elements at a time), so a kernel is written once for all formats.
 */
export type KvFormat = 'f32' | 'f16-packed' | 'f16-native';

export function kvFormatFor(dtype: KvDtype, gpu: GpuContext): KvFormat {
  if (dtype === 'f32') return 'f32';
  return gpu.features.shaderF16 ? 'f16-native' : 'f16-packed';
}

export const kvFormatBytes = (f: KvFormat): number => (f === 'f32' ? 4 : 2);

/** WGSL that declares K/V bindings 2 and 3 and their loaders; it must come first (it may hold `enable f16;`). */
export function kvShaderSource(f: KvFormat): string {
  switch (f) {
    case 'f32':
      return kvF32;
    case 'f16-packed':
      return kvF16Packed;
    case 'f16-native':
      return kvF16Native;
  }
}

/**
 * WGSL that declares K/V bindings 2 and 3 for loads of 8 elements at a time (`KvWord`, lo8 / hi8;
 * 16 bytes for f16), for the paged decode kernel; like kvShaderSource it must come first.
 */
export function kv8ShaderSource(f: KvFormat): string {
  switch (f) {
    case 'f32':
      return kv8F32;
    case 'f16-packed':
      return kv8F16Packed;
    case 'f16-native':
      return kv8F16Native;
  }
}

/** K or V values (already f16-exact for f16 problems) in the format's bytes. */
export function encodeKv(values: Float32Array, f: KvFormat): Float32Array | Uint16Array {
  return f === 'f32' ? values : toF16Bits(values);
}
