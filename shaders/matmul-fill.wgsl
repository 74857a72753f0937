// Inputs of the matrix products (src/bench/matmul/), written on the GPU so a product of 4096^3 costs
// the CPU nothing: element i of a matrix is value(i) of its salt, a counter-based hash that
// src/bench/matmul/inputs.ts evaluates too (the CPU reference of sampled entries needs no copy).
// Values are multiples of 1/8 in [-1, 1): exact in f16, and every product of two and every partial
// sum of a dot product (K < 2^18) is exact in f32, so a right kernel matches the reference exactly.
// `fill_f16` writes two f16 a u32 (element 2w in the low half), `fill_f32` one f32 an element.

struct Params {
  // Elements (fill_f16: even).
  count: u32,
  salt: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> halves: array<u32>;
@group(0) @binding(2) var<storage, read_write> floats: array<f32>;

const WG: u32 = 256u;

// hash_mix (lowbias32) comes from shaders/lowbias32.wgsl, prepended by the host.

fn value(i: u32) -> f32 {
  return f32(i32(hash_mix(i + params.salt * 0x9e3779b9u) >> 28u) - 8) * 0.125;
}

@compute @workgroup_size(WG)
fn fill_f16(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let stride = groups.x * WG;
  for (var w = gid.x; w < params.count / 2u; w += stride) {
    halves[w] = pack2x16float(vec2<f32>(value(2u * w), value(2u * w + 1u)));
  }
}

@compute @workgroup_size(WG)
fn fill_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let stride = groups.x * WG;
  for (var i = gid.x; i < params.count; i += stride) {
    floats[i] = value(i);
  }
}
