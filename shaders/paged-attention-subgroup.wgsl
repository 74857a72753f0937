// Paged attention with subgroups: the memory-bound decode path, written for bandwidth.
//
// Same bindings, grid and outputs as paged-attention.wgsl (read its header for the pool layout,
// partitions and output indexing). What differs is how a workgroup walks its tokens:
//   - a team of LPK consecutive lanes (LPK <= subgroup size) owns one token at a time; lane j of
//     the team reads vec4s j, j + LPK, ... of the token's K and V rows, so a team's loads are
//     contiguous (coalesced) instead of one thread reading a whole row;
//   - the NT = WG / LPK teams take tokens t0 + team * UNROLL + u, u < UNROLL, each step; loads
//     for UNROLL tokens are issued before any arithmetic (memory-level parallelism);
//   - partial dot products are summed over the team with subgroupShuffleXor; every lane of the
//     team then has the scores of the team's tokens for every row;
//   - each team keeps its own online-softmax state (m, l and its share of the output, per row) in
//     registers: no barrier in the token loop;
//   - at the end the teams' states are merged by the LSE rule in a tree through workgroup memory.
// Tokens past the sequence's end are never loaded; masked keys get probability 0.
//
// Prepended by the host: `enable subgroups;`, one of kv-f32.wgsl / kv-f16-packed.wgsl /
// kv-f16-native.wgsl (K and V at bindings 2 and 3, loadK4 / loadV4 in units of four elements),
// paged-bindings.wgsl (parameters, sequence table, bindings 0, 1 and 4-7), and
// the shape as consts (not overrides, so every per-lane array has its exact size and every loop
// over it unrolls into registers; with overrides the arrays had to be sized for the largest shape
// and spilled): HEAD_DIM (D, a multiple of 4 * LPK), LPK (lanes per token, a power of two, at most
// the subgroup size), WG (threads: NT teams of LPK lanes), ROWS (query rows per workgroup) and
// BLOCK_SIZE.

const D4: u32 = HEAD_DIM / 4u;
const CPL: u32 = D4 / LPK;          // vec4s per lane of a K or V row
const NT: u32 = WG / LPK;           // teams
const UNROLL: u32 = 4u;             // tokens per team per step
const NEG_BIG: f32 = -3.0e38;

// Team states handed over in the merge tree: the upper half of the remaining teams writes, the
// lower half merges. [team slot][row][vec4 of D] and [team slot][row].
var<workgroup> acc_sh: array<vec4<f32>, (NT / 2u) * ROWS * D4>;
var<workgroup> m_sh: array<f32, (NT / 2u) * ROWS>;
var<workgroup> l_sh: array<f32, (NT / 2u) * ROWS>;

// vec4 offset of (token pos, this KV head, d = 0) in the pool.
fn token_base(seq: SeqInfo, pos: u32, head_off: u32) -> u32 {
  let blk = block_table[seq.block_start + pos / BLOCK_SIZE];
  return (blk * params.heads_kv * BLOCK_SIZE + pos % BLOCK_SIZE) * D4 + head_off;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = paged_work(wg, ROWS);
  if (w.part_start >= w.seq.seq_len) { return; }  // uniform: this sequence has fewer partitions
  let lq = params.queries_per_seq;
  let head_off = w.kv_head * BLOCK_SIZE * D4;

  let team = lid / LPK;
  let j = lid % LPK;

  // This lane's share of each row's query (pre-scaled), and the highest key position each row sees.
  var qr: array<array<vec4<f32>, CPL>, ROWS>;
  var last: array<u32, ROWS>;
  for (var r = 0u; r < ROWS; r++) {
    for (var c = 0u; c < CPL; c++) {
      qr[r][c] = select(vec4<f32>(0.0), q[(w.q_row0 + r) * D4 + j + c * LPK] * params.scale, r < w.rows);
    }
    last[r] = w.seq.seq_len - 1u;
    if (params.causal != 0u) { last[r] = w.seq.seq_len - lq + (w.first_row + r) % lq; }
  }

  var m = array<f32, ROWS>();
  var l = array<f32, ROWS>();
  var acc = array<array<vec4<f32>, CPL>, ROWS>();
  for (var r = 0u; r < ROWS; r++) { m[r] = NEG_BIG; }

  for (var t0 = w.part_start; t0 < w.end; t0 += NT * UNROLL) {
    // Load K and V of this team's UNROLL tokens (zeros past the end: never read from the pool).
    var kk = array<array<vec4<f32>, CPL>, UNROLL>();
    var vv = array<array<vec4<f32>, CPL>, UNROLL>();
    for (var u = 0u; u < UNROLL; u++) {
      let pos = t0 + team * UNROLL + u;
      if (pos < w.end) {
        let base = token_base(w.seq, pos, head_off) + j;
        for (var c = 0u; c < CPL; c++) {
          kk[u][c] = loadK4(base + c * LPK);
          vv[u][c] = loadV4(base + c * LPK);
        }
      }
    }
    // Scores: partial dots, then summed over the team's lanes (every lane ends with the total).
    var s = array<array<f32, ROWS>, UNROLL>();
    for (var u = 0u; u < UNROLL; u++) {
      for (var r = 0u; r < ROWS; r++) {
        var x = 0.0;
        for (var c = 0u; c < CPL; c++) { x += dot(qr[r][c], kk[u][c]); }
        for (var mask = 1u; mask < LPK; mask *= 2u) { x += subgroupShuffleXor(x, mask); }
        s[u][r] = x;
      }
    }
    // Online softmax per row over the team's tokens of this step.
    for (var r = 0u; r < ROWS; r++) {
      var mx = NEG_BIG;
      for (var u = 0u; u < UNROLL; u++) {
        let pos = t0 + team * UNROLL + u;
        if (pos < w.end && pos <= last[r]) { mx = max(mx, s[u][r]); }
      }
      let m_new = max(m[r], mx);
      let alpha = exp(m[r] - m_new);
      var a = array<vec4<f32>, CPL>();
      for (var c = 0u; c < CPL; c++) { a[c] = acc[r][c] * alpha; }
      var lsum = l[r] * alpha;
      for (var u = 0u; u < UNROLL; u++) {
        let pos = t0 + team * UNROLL + u;
        let p = select(0.0, exp(s[u][r] - m_new), pos < w.end && pos <= last[r]);
        lsum += p;
        for (var c = 0u; c < CPL; c++) { a[c] += p * vv[u][c]; }
      }
      for (var c = 0u; c < CPL; c++) { acc[r][c] = a[c]; }
      l[r] = lsum;
      m[r] = m_new;
    }
  }

  // Merge the teams' states: teams [half, 2 half) hand theirs to teams [0, half).
  for (var half = NT / 2u; half > 0u; half /= 2u) {
    if (team >= half && team < 2u * half) {
      let slot = team - half;
      for (var r = 0u; r < ROWS; r++) {
        for (var c = 0u; c < CPL; c++) { acc_sh[(slot * ROWS + r) * D4 + j + c * LPK] = acc[r][c]; }
        if (j == 0u) {
          m_sh[slot * ROWS + r] = m[r];
          l_sh[slot * ROWS + r] = l[r];
        }
      }
    }
    workgroupBarrier();
    if (team < half) {
      for (var r = 0u; r < ROWS; r++) {
        let mo = m_sh[team * ROWS + r];
        let lo = l_sh[team * ROWS + r];
        let m_new = max(m[r], mo);
        let a_self = exp(m[r] - m_new);
        let a_other = exp(mo - m_new);
        for (var c = 0u; c < CPL; c++) {
          acc[r][c] = acc[r][c] * a_self + acc_sh[(team * ROWS + r) * D4 + j + c * LPK] * a_other;
        }
        l[r] = l[r] * a_self + lo * a_other;
        m[r] = m_new;
      }
    }
    workgroupBarrier();
  }

  if (team == 0u) {
    for (var r = 0u; r < w.rows; r++) {
      let oi = w.seq.out_base + (w.local0 + r) * w.seq.out_stride + w.part;
      let has = l[r] > 0.0;
      for (var c = 0u; c < CPL; c++) {
        out_o[oi * D4 + j + c * LPK] = select(vec4<f32>(0.0), acc[r][c] / l[r], has);
      }
      if (j == 0u) { out_lse[oi] = select(params.neg_inf, m[r] + log(l[r]), has); }
    }
  }
}
