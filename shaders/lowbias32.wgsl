// Chris Wellons' lowbias32: a u32 to u32 bijection with good avalanche. The CPU twin is hashMix in
// src/problem/hash-kv.ts. Prepended to the shaders that fill buffers from a hash: shaders/hash-kv.wgsl
// (K/V, src/kernels/hash-kv-fill.ts) and shaders/matmul-fill.wgsl (src/bench/matmul/prepare.ts).
fn hash_mix(x: u32) -> u32 {
  var h = x;
  h ^= h >> 16u;
  h *= 0x7feb352du;
  h ^= h >> 15u;
  h *= 0x846ca68bu;
  h ^= h >> 16u;
  return h;
}
