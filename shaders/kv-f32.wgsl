// K/V storage: f32, read four elements at a time.
@group(0) @binding(2) var<storage, read> kv_k: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> kv_v: array<vec4<f32>>;

fn loadK4(i4: u32) -> vec4<f32> { return kv_k[i4]; }
fn loadV4(i4: u32) -> vec4<f32> { return kv_v[i4]; }
