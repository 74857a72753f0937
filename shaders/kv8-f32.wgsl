// K/V storage: f32, read 8 elements (32 bytes) a load: `KvWord` is one such load, lo8 / hi8 give
// its elements 0-3 / 4-7.
@group(0) @binding(2) var<storage, read> kv_k: array<mat2x4<f32>>;
@group(0) @binding(3) var<storage, read> kv_v: array<mat2x4<f32>>;
alias KvWord = mat2x4<f32>;

fn lo8(w: KvWord) -> vec4<f32> { return w[0]; }
fn hi8(w: KvWord) -> vec4<f32> { return w[1]; }
