// Exact merge of partial attention results through their log-sum-exp (natural log).
//
// Row r's output combines the partials part_index[row_start[r] .. row_start[r+1]):
//   m = max_j lse_j,  w_j = exp(lse_j - m),  o = sum_j w_j o_j / sum_j w_j,  lse = m + log(sum_j w_j)
// A partial that saw no key has lse = -inf and weight 0 (its o is never read). A row whose parts are
// all empty writes o = 0, lse = -inf. One workgroup per row; thread t owns the t-th vec4 of the row.

override HEAD_DIM: u32;
override WG: u32 = 64;
override D4: u32 = HEAD_DIM / 4u;  // derived; the host never sets it

struct Params {
  rows: u32,
  rows_per_dim: u32,   // rows are laid out over (x, y) workgroups: r = y * rows_per_dim + x
  neg_inf: f32,        // -infinity, from the host (a WGSL constant may not be infinite)
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> part_o: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> part_lse: array<f32>;
@group(0) @binding(3) var<storage, read> row_start: array<u32>;
@group(0) @binding(4) var<storage, read> part_index: array<u32>;
@group(0) @binding(5) var<storage, read_write> out_o: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> out_lse: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wg.y * params.rows_per_dim + wg.x;
  if (r >= params.rows) { return; }
  let first = row_start[r];
  let last = row_start[r + 1u];

  var m = params.neg_inf;
  for (var j = first; j < last; j++) { m = max(m, part_lse[part_index[j]]); }
  let any_keys = m > params.neg_inf;

  var acc = vec4<f32>(0.0);
  var denom = 0.0;
  if (any_keys) {
    for (var j = first; j < last; j++) {
      let p = part_index[j];
      let l = part_lse[p];
      if (l > params.neg_inf) {
        let w = exp(l - m);
        denom += w;
        if (lid < D4) { acc += w * part_o[p * D4 + lid]; }
      }
    }
  }
  if (lid < D4) { out_o[r * D4 + lid] = select(vec4<f32>(0.0), acc / denom, any_keys); }
  if (lid == 0u) { out_lse[r] = select(params.neg_inf, m + log(denom), any_keys); }
}
