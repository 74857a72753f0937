// Hydragen's shared-segment kernel on tensor cores (chromium_experimental_subgroup_matrix).
//
// Same work items as hydragen-shared.wgsl: (shared segment, key chunk, KV head, tile of query
// rows). A workgroup is one subgroup of 32 lanes and owns a tile of 16 query rows: WGSL's
// uniformity analysis requires the offsets of subgroup-matrix loads and stores to be workgroup-
// uniform, so subgroups of one workgroup could not address their own rows. Work items are ordered
// so that workgroups running together read the same K/V chunk (L1/L2 serve the repeats).
// Per step of 32 keys:
//   S[16x32]  = Q[16xD] K^T[Dx32]   f16 x f16 -> f32, Q staged (pre-scaled, f16) in workgroup
//                                   memory, K read straight from the K/V pool (L1 serves the
//                                   other subgroups of the workgroup)
//   softmax   per row in registers (2 lanes a row, 16 keys each); P written as f16
//   O[16xD]  += P[16x32] V[32xD]    f32 accumulators that stay in subgroup matrices
// Lazy rescaling: a row's running max only moves when a score exceeds it by more than TAU (so
// P <= e^TAU, safe in f16); then every O tile is stored, its rows scaled, and loaded back. That
// happens in the first steps and rarely after. Exact: o = O / l, lse = m + log(l) for whatever m
// the row ended with.
//
// Needs shader-f16, subgroups and subgroup matrices with an f16 16x16x16 -> f32 configuration and
// subgroup size 32 (the host checks). Appended by the host (module-scope order does not matter in
// WGSL, and `enable` must come first): hydragen-work.wgsl (parameters, work items, users, bindings
// 0, 1, 4-7, row_ref) and `const HEAD_DIM: u32 = D;` (a const, not an override: subgroup-matrix
// loads and stores need workgroup arrays of const size).

enable f16;
enable subgroups;
enable chromium_experimental_subgroup_matrix;

const SG: u32 = 32u;                // subgroup size this kernel is written for
const TILE_K: u32 = 32u;            // keys per step
const KT: u32 = TILE_K / 16u;       // 16-key tiles per step
const DT: u32 = HEAD_DIM / 16u;     // 16-wide column tiles of D
const TAU: f32 = 8.0;               // lazy-rescale threshold (natural log units)
const NEG_BIG: f32 = -3.0e38;
const TILE_Q: u32 = 16u;
const WG: u32 = SG;

@group(0) @binding(2) var<storage, read> kv_k: array<f16>;
@group(0) @binding(3) var<storage, read> kv_v: array<f16>;

var<workgroup> q_sh: array<f16, TILE_Q * HEAD_DIM>;   // the tile's queries, scaled, row-major
var<workgroup> s_sh: array<f32, TILE_Q * TILE_K>;     // scores of the step
var<workgroup> p_sh: array<f16, TILE_Q * TILE_K>;     // probabilities of the step
var<workgroup> o_sh: array<f32, 256u>;                // one 16x16 f32 tile
var<workgroup> row_sh: array<f32, TILE_Q>;            // per row: alpha of the step, then l
var<workgroup> row_m_sh: array<f32, TILE_Q>;          // per row: final m
var<workgroup> slot_sh: array<u32, TILE_Q>;           // per row: partial slot
var<workgroup> flag_sh: u32;                          // some row must rescale this step

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) lane: u32) {
  let item_index = wg.y * params.grid_x + wg.x;
  if (item_index >= params.num_items) { return; }
  let item = items[item_index];

  // Stage the queries, scaled, as f16 (rows past row_count are zero).
  let d4 = HEAD_DIM / 4u;
  for (var e = lid; e < TILE_Q * d4; e += WG) {
    let rr = e / d4;
    var v = vec4<f32>(0.0);
    if (rr < item.row_count) { v = q[row_ref(item, rr).q_row * d4 + e % d4] * params.scale; }
    let at = rr * HEAD_DIM + (e % d4) * 4u;
    q_sh[at] = f16(v.x);
    q_sh[at + 1u] = f16(v.y);
    q_sh[at + 2u] = f16(v.z);
    q_sh[at + 3u] = f16(v.w);
  }

  // Softmax ownership: lane -> (row r, keys side*16 .. side*16+15 of a step).
  let r = lane / 2u;
  let side = lane % 2u;
  let tile_row = r;
  var vis = 0u;
  if (tile_row < item.row_count) {
    let me = row_ref(item, tile_row);
    vis = me.vis;
    if (side == 0u) { slot_sh[tile_row] = me.slot; }
  }
  var m_run = NEG_BIG;
  var l_run = 0.0;
  var o_acc: array<subgroup_matrix_result<f32, 16, 16>, DT>;
  for (var dt = 0u; dt < DT; dt++) { o_acc[dt] = subgroup_matrix_result<f32, 16, 16>(); }
  if (lid == 0u) { flag_sh = 0u; }
  workgroupBarrier();

  for (var t0 = 0u; t0 < item.key_limit; t0 += TILE_K) {
    let kbase = item.kv_base4 * 4u + t0 * HEAD_DIM;

    // S = Q K^T for the tile's 16 rows and the step's 32 keys.
    var s_acc: array<subgroup_matrix_result<f32, 16, 16>, KT>;
    for (var kt = 0u; kt < KT; kt++) { s_acc[kt] = subgroup_matrix_result<f32, 16, 16>(); }
    for (var dt = 0u; dt < DT; dt++) {
      let ql = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&q_sh, dt * 16u, HEAD_DIM);
      for (var kt = 0u; kt < KT; kt++) {
        let kr = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, col_major>(&kv_k, kbase + kt * 16u * HEAD_DIM + dt * 16u, HEAD_DIM);
        s_acc[kt] = subgroupMatrixMultiplyAccumulate(ql, kr, s_acc[kt]);
      }
    }
    for (var kt = 0u; kt < KT; kt++) {
      subgroupMatrixStore(&s_sh, kt * 16u, s_acc[kt], false, TILE_K);
    }
    workgroupBarrier();

    // Online softmax, two lanes per row.
    var s_loc: array<f32, 16>;
    var local_max = NEG_BIG;
    for (var j = 0u; j < 16u; j++) {
      let k = side * 16u + j;
      var x = NEG_BIG;
      if (t0 + k < vis) { x = s_sh[tile_row * TILE_K + k]; }
      s_loc[j] = x;
      local_max = max(local_max, x);
    }
    let m_tile = max(local_max, subgroupShuffleXor(local_max, 1u));
    let rescale = m_tile > m_run + TAU;
    let m_new = select(m_run, m_tile, rescale);
    let alpha = exp(m_run - m_new);
    var local_sum = 0.0;
    for (var j = 0u; j < 16u; j++) {
      let k = side * 16u + j;
      let p = select(0.0, exp(s_loc[j] - m_new), t0 + k < vis);
      p_sh[tile_row * TILE_K + k] = f16(p);
      local_sum += p;
    }
    l_run = l_run * alpha + local_sum + subgroupShuffleXor(local_sum, 1u);
    m_run = m_new;
    if (side == 0u) { row_sh[tile_row] = alpha; }
    if (rescale && t0 > 0u) { flag_sh = 1u; }
    let must_rescale = workgroupUniformLoad(&flag_sh);

    if (must_rescale != 0u) {
      for (var dt = 0u; dt < DT; dt++) {
        subgroupMatrixStore(&o_sh, 0u, o_acc[dt], false, 16u);
        workgroupBarrier();
        for (var e = lane; e < 256u; e += SG) { o_sh[e] *= row_sh[e / 16u]; }
        workgroupBarrier();
        o_acc[dt] = subgroupMatrixLoad<subgroup_matrix_result<f32, 16, 16>, row_major>(&o_sh, 0u, 16u);
        workgroupBarrier();
      }
      if (lid == 0u) { flag_sh = 0u; }
    }

    // O += P V.
    var pl: array<subgroup_matrix_left<f16, 16, 16>, KT>;
    for (var kt = 0u; kt < KT; kt++) {
      pl[kt] = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&p_sh, kt * 16u, TILE_K);
    }
    for (var dt = 0u; dt < DT; dt++) {
      for (var kt = 0u; kt < KT; kt++) {
        let vr = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, row_major>(&kv_v, kbase + kt * 16u * HEAD_DIM + dt * 16u, HEAD_DIM);
        o_acc[dt] = subgroupMatrixMultiplyAccumulate(pl[kt], vr, o_acc[dt]);
      }
    }
    workgroupBarrier();
  }

  // Write o = O / l and lse = m + log(l) for the rows of the tile.
  if (side == 0u && tile_row < item.row_count) {
    row_sh[tile_row] = l_run;
    row_m_sh[tile_row] = m_run;
  }
  workgroupBarrier();
  for (var dt = 0u; dt < DT; dt++) {
    subgroupMatrixStore(&o_sh, 0u, o_acc[dt], false, 16u);
    workgroupBarrier();
    // 16 rows x 4 vec4s per 16x16 tile: lane -> (row lane / 2, vec4s 2 * (lane % 2), +1).
    let rr = lane / 2u;
    if (rr < item.row_count) {
      let l = row_sh[rr];
      let slot = slot_sh[rr];
      for (var c = 0u; c < 2u; c++) {
        let c4 = (lane % 2u) * 2u + c;
        let base = (lane / 2u) * 16u + c4 * 4u;
        let v = vec4<f32>(o_sh[base], o_sh[base + 1u], o_sh[base + 2u], o_sh[base + 3u]);
        part_o[slot * d4 + dt * 4u + c4] = select(vec4<f32>(0.0), v / l, l > 0.0);
      }
    }
    workgroupBarrier();
  }
  if (side == 0u && tile_row < item.row_count) {
    part_lse[slot_sh[tile_row]] = select(params.neg_inf, row_m_sh[tile_row] + log(l_run), l_run > 0.0);
  }
}
