// Exact merge of partial attention results through their log-sum-exp (natural log).
//
// Row r's output combines the partials part_index[row_start[r] .. row_start[r+1]):
//   m = max_j lse_j,  w_j = exp(lse_j - m),  o = sum_j w_j o_j / sum_j w_j,  lse = m + log(sum_j w_j)
// A partial that saw no key has lse = -inf and weight 0 (its o is never read). A row whose parts are
// all empty writes o = 0, lse = -inf.
//
// One workgroup per row. The row's partials are read in parallel, not one after another (a row
// of a long split-K sequence has dozens, and their dependent loads - index, lse, o - were the
// merge's whole cost): the threads first find m together (each reads every WG-th lse, then a tree
// in workgroup memory), then SLICES = WG / D4 slices of D4 threads each take every SLICES-th
// partial, thread c of a slice owning vec4 c of the row; the slices' sums meet in workgroup memory.

override HEAD_DIM: u32;
override WG: u32 = 128;            // a power of two, at least D4
override D4: u32 = HEAD_DIM / 4u;  // derived; the host never sets it
override SLICES: u32 = WG / D4;    // derived

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

var<workgroup> max_sh: array<f32, WG>;
var<workgroup> acc_sh: array<vec4<f32>, WG>;
var<workgroup> den_sh: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wg.y * params.rows_per_dim + wg.x;
  if (r >= params.rows) { return; }  // uniform: one row per workgroup
  let first = row_start[r];
  let last = row_start[r + 1u];

  // m = the largest lse of the row's partials.
  var m = params.neg_inf;
  for (var j = first + lid; j < last; j += WG) { m = max(m, part_lse[part_index[j]]); }
  max_sh[lid] = m;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (lid < half) { max_sh[lid] = max(max_sh[lid], max_sh[lid + half]); }
    workgroupBarrier();
  }
  m = max_sh[0];
  let any_keys = m > params.neg_inf;

  // This slice's partials, weighted by exp(lse - m).
  let slice = lid / D4;
  let c = lid % D4;
  var acc = vec4<f32>(0.0);
  var denom = 0.0;
  if (any_keys && slice < SLICES) {
    for (var j = first + slice; j < last; j += SLICES) {
      let p = part_index[j];
      let l = part_lse[p];
      if (l > params.neg_inf) {
        let w = exp(l - m);
        denom += w;
        acc += w * part_o[p * D4 + c];
      }
    }
  }
  acc_sh[lid] = acc;
  den_sh[lid] = denom;
  workgroupBarrier();

  if (lid < D4) {
    var a = vec4<f32>(0.0);
    var d = 0.0;
    for (var s = 0u; s < SLICES; s++) {
      a += acc_sh[s * D4 + lid];
      d += den_sh[s * D4 + lid];
    }
    out_o[r * D4 + lid] = select(vec4<f32>(0.0), a / d, any_keys);
    if (lid == 0u) { out_lse[r] = select(params.neg_inf, m + log(d), any_keys); }
  }
}
