// K/V storage: native f16 (shader-f16); arithmetic stays in f32.
enable f16;
@group(0) @binding(2) var<storage, read> kv_k: array<vec4<f16>>;
@group(0) @binding(3) var<storage, read> kv_v: array<vec4<f16>>;

fn loadK4(i4: u32) -> vec4<f32> { return vec4<f32>(kv_k[i4]); }
fn loadV4(i4: u32) -> vec4<f32> { return vec4<f32>(kv_v[i4]); }
