// Hash-generated K/V (src/problem/hash-kv.ts has the same functions for the CPU and says why):
// writes the rows of hashed segments straight into a paged K/V pool, one workgroup per run of rows.
// Host side: src/kernels/hash-kv-fill.ts.

struct FillRun {
  block: u32,  // pool block
  row: u32,    // first row of the block
  count: u32,  // rows
  seed: u32,   // the hashed segment's seed
  token: u32,  // the segment's token at `row`
}

struct FillParams {
  runs: u32,
  grid_x: u32,      // workgroups in x: run = wg.x + wg.y * grid_x
  heads_kv: u32,
  block_size: u32,
  head_dim: u32,
  f16: u32,         // 1: two f16 a u32 word (f16-native and f16-packed alike); 0: f32
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> fp: FillParams;
@group(0) @binding(1) var<storage, read> fill_runs: array<FillRun>;
@group(0) @binding(2) var<storage, read_write> pool_k: array<u32>;
@group(0) @binding(3) var<storage, read_write> pool_v: array<u32>;

// hash_mix (lowbias32) comes from shaders/lowbias32.wgsl, prepended by the host.

fn hash_row_key(seed: u32, which: u32, head: u32, token: u32) -> u32 {
  return hash_mix(hash_mix(hash_mix(seed) ^ (2u * head + which)) ^ token);
}

// 2048 values evenly spaced in [-1, 1), each an exact f16.
fn hash_value(key: u32, d: u32) -> f32 {
  return f32(i32(hash_mix(key + d * 0x9e3779b9u) >> 21u) - 1024) / 1024.0;
}

fn hash_word(key: u32, w: u32) -> u32 {
  if (fp.f16 != 0u) {
    return pack2x16float(vec2<f32>(hash_value(key, 2u * w), hash_value(key, 2u * w + 1u)));
  }
  return bitcast<u32>(hash_value(key, w));
}

@compute @workgroup_size(64)
fn fill(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wg.x + wg.y * fp.grid_x;
  if (r >= fp.runs) { return; }
  let run = fill_runs[r];
  let words = select(fp.head_dim, fp.head_dim / 2u, fp.f16 != 0u);
  let total = fp.heads_kv * run.count * words;
  for (var i = lid; i < total; i += 64u) {
    let w = i % words;
    let t = (i / words) % run.count;
    let h = i / (words * run.count);
    let dst = ((run.block * fp.heads_kv + h) * fp.block_size + run.row + t) * words + w;
    pool_k[dst] = hash_word(hash_row_key(run.seed, 0u, h, run.token + t), w);
    pool_v[dst] = hash_word(hash_row_key(run.seed, 1u, h, run.token + t), w);
  }
}
