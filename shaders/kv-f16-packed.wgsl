// K/V storage: f16 packed two to a u32 (for adapters without shader-f16); four elements = two u32.
@group(0) @binding(2) var<storage, read> kv_k: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read> kv_v: array<vec2<u32>>;

fn unpack4(p: vec2<u32>) -> vec4<f32> { return vec4<f32>(unpack2x16float(p.x), unpack2x16float(p.y)); }
fn loadK4(i4: u32) -> vec4<f32> { return unpack4(kv_k[i4]); }
fn loadV4(i4: u32) -> vec4<f32> { return unpack4(kv_v[i4]); }
