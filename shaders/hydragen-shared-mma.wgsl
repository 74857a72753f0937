// Hydragen's shared-segment kernel on tensor cores (chromium_experimental_subgroup_matrix).
//
// Same work items as hydragen-shared.wgsl: (shared segment, key chunk, KV head, tile of query
// rows). A workgroup is one subgroup of 32 lanes and owns a tile of 16 query rows: WGSL's
// uniformity analysis requires the offsets of subgroup-matrix loads and stores to be workgroup-
// uniform, so subgroups of one workgroup could not address their own rows. Work items are ordered
// so that workgroups running together read the same K/V chunk (L1/L2 serve the repeats).
//
// Per step of 32 keys:
//   S[16x32] = Q[16xD] K^T[Dx32]     f16 x f16 -> f32; Q staged (pre-scaled, f16) in workgroup
//                                    memory, K read straight from the K/V pool
//   softmax  per row (2 lanes a row, 16 keys each): running max m, sum l, rescale alpha; P as f16
//   O        kept in workgroup memory, [16 x D] f32: lanes scale each row by alpha, then for each
//            16-column block O_blk = P[16x32] V[32x16] + O_blk on the tensor cores
// No arrays of subgroup matrices (they are indexed by loop variables, which this toolchain got
// wrong): the two 16-key halves of S and P are separate variables, and O lives in workgroup memory.
//
// Needs shader-f16, subgroups and subgroup matrices with an f16 16x16x16 -> f32 configuration and
// subgroup size 32 (the host checks). Appended by the host (module-scope order does not matter in
// WGSL, and `enable` must come first): hydragen-work.wgsl (parameters, work items, users, bindings
// 0, 1, 4-7, row_ref) and `const HEAD_DIM: u32 = D;` (a const: it sizes workgroup arrays that
// subgroup-matrix loads and stores address, which must have a const size).

enable f16;
enable subgroups;
enable chromium_experimental_subgroup_matrix;

const SG: u32 = 32u;                // subgroup size = workgroup size
const TILE_Q: u32 = 16u;            // query rows per workgroup
const TILE_K: u32 = 32u;            // keys per step
const DT: u32 = HEAD_DIM / 16u;     // 16-wide column blocks of D
const D4: u32 = HEAD_DIM / 4u;
const NEG_BIG: f32 = -3.0e38;

@group(0) @binding(2) var<storage, read> kv_k: array<f16>;
@group(0) @binding(3) var<storage, read> kv_v: array<f16>;

var<workgroup> q_sh: array<f16, TILE_Q * HEAD_DIM>;   // the tile's queries, scaled, row-major
var<workgroup> s_sh: array<f32, TILE_Q * TILE_K>;     // scores of the step
var<workgroup> p_sh: array<f16, TILE_Q * TILE_K>;     // probabilities of the step
var<workgroup> o_sh: array<f32, TILE_Q * HEAD_DIM>;   // output accumulators, row-major

@compute @workgroup_size(SG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) lane: u32) {
  let item_index = wg.y * params.grid_x + wg.x;
  if (item_index >= params.num_items) { return; }
  let item = items[item_index];

  // Stage the queries, scaled, as f16 (rows past row_count are zero); clear O.
  for (var e = lid; e < TILE_Q * D4; e += SG) {
    let rr = e / D4;
    var v = vec4<f32>(0.0);
    if (rr < item.row_count) { v = q[row_ref(item, rr).q_row * D4 + e % D4] * params.scale; }
    let at = rr * HEAD_DIM + (e % D4) * 4u;
    q_sh[at] = f16(v.x);
    q_sh[at + 1u] = f16(v.y);
    q_sh[at + 2u] = f16(v.z);
    q_sh[at + 3u] = f16(v.w);
  }
  for (var e = lid; e < TILE_Q * HEAD_DIM; e += SG) { o_sh[e] = 0.0; }

  // Row ownership: lane -> (row r, keys side*16 .. side*16+15 of a step, columns of O side*D/2 ..).
  let r = lane / 2u;
  let side = lane % 2u;
  var vis = 0u;
  var slot = 0u;
  if (r < item.row_count) {
    let me = row_ref(item, r);
    vis = me.vis;
    slot = me.slot;
  }
  var m_run = NEG_BIG;
  var l_run = 0.0;
  workgroupBarrier();

  for (var t0 = 0u; t0 < item.key_limit; t0 += TILE_K) {
    let kbase = item.kv_base4 * 4u + t0 * HEAD_DIM;

    // S = Q K^T: keys 0..15 and 16..31 of the step.
    var s0 = subgroup_matrix_result<f32, 16, 16>();
    var s1 = subgroup_matrix_result<f32, 16, 16>();
    for (var dt = 0u; dt < DT; dt++) {
      let ql = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&q_sh, dt * 16u, HEAD_DIM);
      let k0 = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, col_major>(&kv_k, kbase + dt * 16u, HEAD_DIM);
      let k1 = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, col_major>(&kv_k, kbase + 16u * HEAD_DIM + dt * 16u, HEAD_DIM);
      s0 = subgroupMatrixMultiplyAccumulate(ql, k0, s0);
      s1 = subgroupMatrixMultiplyAccumulate(ql, k1, s1);
    }
    subgroupMatrixStore(&s_sh, 0u, s0, false, TILE_K);
    subgroupMatrixStore(&s_sh, 16u, s1, false, TILE_K);
    workgroupBarrier();

    // Online softmax, two lanes per row; then this lane's half of the row's O scaled by alpha.
    var s_loc: array<f32, 16>;
    var local_max = NEG_BIG;
    for (var j = 0u; j < 16u; j++) {
      let k = side * 16u + j;
      var x = NEG_BIG;
      if (t0 + k < vis) { x = s_sh[r * TILE_K + k]; }
      s_loc[j] = x;
      local_max = max(local_max, x);
    }
    let m_new = max(m_run, max(local_max, subgroupShuffleXor(local_max, 1u)));
    let alpha = exp(m_run - m_new);
    var local_sum = 0.0;
    for (var j = 0u; j < 16u; j++) {
      let k = side * 16u + j;
      let p = select(0.0, exp(s_loc[j] - m_new), t0 + k < vis);
      p_sh[r * TILE_K + k] = f16(p);
      local_sum += p;
    }
    l_run = l_run * alpha + local_sum + subgroupShuffleXor(local_sum, 1u);
    m_run = m_new;
    let half_d = HEAD_DIM / 2u;
    for (var d = side * half_d; d < (side + 1u) * half_d; d++) { o_sh[r * HEAD_DIM + d] *= alpha; }
    workgroupBarrier();

    // O += P V, one 16-column block at a time.
    let p0 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&p_sh, 0u, TILE_K);
    let p1 = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&p_sh, 16u, TILE_K);
    for (var dt = 0u; dt < DT; dt++) {
      var o = subgroupMatrixLoad<subgroup_matrix_result<f32, 16, 16>, row_major>(&o_sh, dt * 16u, HEAD_DIM);
      let v0 = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, row_major>(&kv_v, kbase + dt * 16u, HEAD_DIM);
      let v1 = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, row_major>(&kv_v, kbase + 16u * HEAD_DIM + dt * 16u, HEAD_DIM);
      o = subgroupMatrixMultiplyAccumulate(p0, v0, o);
      o = subgroupMatrixMultiplyAccumulate(p1, v1, o);
      subgroupMatrixStore(&o_sh, dt * 16u, o, false, HEAD_DIM);
    }
    workgroupBarrier();
  }

  // o = O / l and lse = m + log(l): this lane writes its half of row r.
  if (r < item.row_count) {
    let has = l_run > 0.0;
    for (var c4 = side * (D4 / 2u); c4 < (side + 1u) * (D4 / 2u); c4++) {
      let at = r * HEAD_DIM + c4 * 4u;
      let v = vec4<f32>(o_sh[at], o_sh[at + 1u], o_sh[at + 2u], o_sh[at + 3u]);
      part_o[slot * D4 + c4] = select(vec4<f32>(0.0), v / l_run, has);
    }
    if (side == 0u) { part_lse[slot] = select(params.neg_inf, m_run + log(l_run), has); }
  }
}
