// Hydragen's shared-segment kernel: attention of many query rows against one shared segment.
//
// A work item is (shared segment, key chunk of it, KV head, tile of up to TILE_Q query rows). The
// rows of a (segment, KV head) are every (sequence using the segment, query head of the KV head's
// group, query) — row = (user * group_size + head in group) * Lq + i — so one workgroup serves
// queries of many sequences and heads. It loops over the chunk in tiles of TILE_K keys staged in
// workgroup memory (coalesced vec4 loads of a contiguous [TILE_K, D] block), and every staged K/V
// tile is used by all TILE_Q rows: a matrix-matrix product (S = Q K^T, then O += P V).
//
// Threads: WG = TILE_Q * NC; thread (r, c) = (lid / NC, lid % NC) owns row r. It scores keys
// c, c + NC, ... of each tile, and accumulates the output vec4s c, c + NC, ... of its row in
// registers. Online softmax per row, the row's max and sum reduced over its NC threads through
// workgroup memory (m and l are kept, redundantly, by all NC threads of the row).
//
// Causal masking: the row's query sits at qpos = seq_len - Lq + i; it sees the chunk's keys at
// positions <= qpos. A row that sees none writes o = 0, lse = -inf (weight 0 in the merge).
//
// Prepended by the host: one of kv-f32.wgsl / kv-f16-packed.wgsl / kv-f16-native.wgsl, which
// binds K and V at 2 and 3 and defines loadK4 / loadV4 (index in units of four elements), and
// hydragen-work.wgsl (parameters, work items, users, bindings 0, 1, 4-7, row_ref).

override HEAD_DIM: u32;        // D, a multiple of 4
override TILE_Q: u32 = 32;     // query rows per workgroup
override TILE_K: u32 = 16;     // keys per staged K/V tile
override WG: u32 = 128;        // threads per workgroup, a multiple of TILE_Q
const NEG_BIG: f32 = -3.0e38;  // finite "minus infinity" for running maxima (no NaN from inf - inf)
const MAX_RD: u32 = 16u;       // register budget: output vec4s per thread (host checks RD <= MAX_RD)
const MAX_SK: u32 = 16u;       // register budget: scores per thread per tile (host checks SK <= MAX_SK)

// Derived; the host never sets these.
override D4: u32 = HEAD_DIM / 4u;
override NC: u32 = WG / TILE_Q;                // threads per row
override RD: u32 = (D4 + NC - 1u) / NC;        // output vec4s per thread
override SK: u32 = (TILE_K + NC - 1u) / NC;    // scores per thread per key tile
override KS: u32 = D4 + 1u;                    // padded row stride of staged K/V (vec4s), no bank conflicts
override PS: u32 = TILE_K + 1u;                // padded row stride of p_sh
override Q_SH: u32 = TILE_Q * D4;
override KV_SH: u32 = TILE_K * KS;
override P_SH: u32 = TILE_Q * PS;

var<workgroup> q_sh: array<vec4<f32>, Q_SH>;    // the tile's query rows, pre-scaled
var<workgroup> kv_sh: array<vec4<f32>, KV_SH>;  // the staged K tile, then the V tile
var<workgroup> p_sh: array<f32, P_SH>;          // probabilities of the tile, per row
var<workgroup> max_sh: array<f32, WG>;
var<workgroup> sum_sh: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let item_index = wg.y * params.grid_x + wg.x;
  if (item_index >= params.num_items) { return; }
  let item = items[item_index];

  // Stage the tile's query rows, scaled (rows past row_count are zero).
  for (var e = lid; e < Q_SH; e += WG) {
    let rr = e / D4;
    var v = vec4<f32>(0.0);
    if (rr < item.row_count) {
      v = q[row_ref(item, rr).q_row * D4 + e % D4] * params.scale;
    }
    q_sh[e] = v;
  }

  let r = lid / NC;
  let c = lid % NC;
  let row_ok = r < item.row_count;
  var me = RowRef(0u, 0u, 0u);
  if (row_ok) { me = row_ref(item, r); }

  var m_run = NEG_BIG;
  var l_run = 0.0;
  var acc: array<vec4<f32>, MAX_RD>;
  for (var j = 0u; j < RD; j++) { acc[j] = vec4<f32>(0.0); }
  var s: array<f32, MAX_SK>;
  workgroupBarrier();

  for (var t0 = 0u; t0 < item.key_limit; t0 += TILE_K) {
    let n = min(TILE_K, item.key_limit - t0);
    let tile4 = item.kv_base4 + t0 * D4;

    // K tile: contiguous n * D4 vec4s; rows past n are zero.
    for (var e = lid; e < TILE_K * D4; e += WG) {
      var v = vec4<f32>(0.0);
      if (e < n * D4) { v = loadK4(tile4 + e); }
      kv_sh[(e / D4) * KS + e % D4] = v;
    }
    workgroupBarrier();

    // Scores of this thread's keys, and their max.
    var local_max = NEG_BIG;
    for (var j = 0u; j < SK; j++) {
      let k = c + j * NC;
      var x = NEG_BIG;
      if (k < n && t0 + k < me.vis) {
        var acc_s = 0.0;
        for (var d = 0u; d < D4; d++) { acc_s += dot(q_sh[r * D4 + d], kv_sh[k * KS + d]); }
        x = acc_s;
      }
      s[j] = x;
      local_max = max(local_max, x);
    }
    max_sh[lid] = local_max;
    workgroupBarrier();

    var m_tile = NEG_BIG;
    for (var j = 0u; j < NC; j++) { m_tile = max(m_tile, max_sh[r * NC + j]); }
    let m_new = max(m_run, m_tile);
    let alpha = exp(m_run - m_new);
    var local_sum = 0.0;
    for (var j = 0u; j < SK; j++) {
      let k = c + j * NC;
      if (k < TILE_K) {
        let p = select(0.0, exp(s[j] - m_new), k < n && t0 + k < me.vis);
        p_sh[r * PS + k] = p;
        local_sum += p;
      }
    }
    sum_sh[lid] = local_sum;

    // V tile over the K tile (every read of K happened before the last barrier).
    for (var e = lid; e < TILE_K * D4; e += WG) {
      var v = vec4<f32>(0.0);
      if (e < n * D4) { v = loadV4(tile4 + e); }
      kv_sh[(e / D4) * KS + e % D4] = v;
    }
    workgroupBarrier();

    var l_tile = 0.0;
    for (var j = 0u; j < NC; j++) { l_tile += sum_sh[r * NC + j]; }
    l_run = l_run * alpha + l_tile;
    m_run = m_new;
    for (var j = 0u; j < RD; j++) { acc[j] *= alpha; }
    for (var k = 0u; k < n; k++) {
      let p = p_sh[r * PS + k];
      for (var j = 0u; j < RD; j++) {
        let d = c + j * NC;
        if (d < D4) { acc[j] += p * kv_sh[k * KS + d]; }
      }
    }
    workgroupBarrier();
  }

  if (row_ok) {
    let has = l_run > 0.0;
    for (var j = 0u; j < RD; j++) {
      let d = c + j * NC;
      if (d < D4) { part_o[me.slot * D4 + d] = select(vec4<f32>(0.0), acc[j] / l_run, has); }
    }
    if (c == 0u) { part_lse[me.slot] = select(params.neg_inf, m_run + log(l_run), has); }
  }
}
