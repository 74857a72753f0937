// K/V storage: f16 packed two to a u32 (for adapters without shader-f16), read 8 elements (16 bytes)
// a load: `KvWord` is one such load, lo8 / hi8 give its elements 0-3 / 4-7 in f32.
@group(0) @binding(2) var<storage, read> kv_k: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> kv_v: array<vec4<u32>>;
alias KvWord = vec4<u32>;

fn lo8(w: KvWord) -> vec4<f32> { return vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y)); }
fn hi8(w: KvWord) -> vec4<f32> { return vec4<f32>(unpack2x16float(w.z), unpack2x16float(w.w)); }
