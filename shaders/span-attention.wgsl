// Attention of each (sequence, query head, query) over a list of KV spans, GQA-aware: one workgroup
// per tile of up to ROWS query rows that read the same KV head.
//
// Used by the naive kernel (spans = a sequence's gathered copy, or its segments read in place)
// and by Hydragen for the unique suffixes (spans = only the segments nobody else shares).
//
// Grid: x = kv_head * row_tiles + tile, y = sequence. A KV head's rows are its GQA group's heads x
// the Lq queries, local row j = g * Lq + i (query head kv_head * group_size + g, query i), cut into
// row_tiles tiles of ROWS; each K/V row the workgroup loads serves every row of its tile, so a
// sequence's K/V is read once per KV head (once per tile when group_size x Lq > ROWS), as in
// paged-attention.wgsl. Online softmax over chunks of WG keys of a span:
//   1. thread t scores key t of the chunk against every row (K row read once);
//   2. thread r < ROWS takes the chunk max of row r over the keys it may see and the rescale factor;
//   3. thread t turns its scores into probabilities (exactly 0 for masked keys);
//   4. thread (lane, col) accumulates vec4 `col` of every row's output over every LANES-th key of
//      the chunk (V row read once, consecutive threads on consecutive vec4s) and the rows' sums;
//      after the last chunk the lanes are summed (LANES = WG / D4: 2 for D = 128, 1 for D = 256).
// Causal: query i of a sequence of length L sits at position L - Lq + i and sees keys at positions
// <= it. A row that sees no key (possible for a partial) writes o = 0 and lse = -inf, which the LSE
// merge treats as weight 0. Output index of a row: (b * headsQ + h) * Lq + i.
//
// Prepended by the host: one of kv-f32.wgsl / kv-f16-packed.wgsl / kv-f16-native.wgsl, which
// binds K and V at 2 and 3 and defines loadK4 / loadV4 (index in units of four elements); appended:
// row-tile.wgsl (the workgroup state and lane sum shared with paged-attention.wgsl).

override HEAD_DIM: u32;           // D, a multiple of 4, at most 4 * WG
override WG: u32 = 64;            // threads per workgroup = keys per chunk
override ROWS: u32 = 8;           // query rows per workgroup, at most MAX_ROWS
override D4: u32 = HEAD_DIM / 4u; // derived; the host never sets it
override LANES: u32 = WG / D4;    // derived: threads sharing one vec4 column of the output in step 4

struct Params {
  heads_q: u32,
  group_size: u32,      // headsQ / headsKV
  queries_per_seq: u32, // Lq
  causal: u32,
  scale: f32,
  num_seqs: u32,
  neg_inf: f32,         // -infinity, from the host (a WGSL constant may not be infinite)
  rows_per_group: u32,  // group_size * Lq: rows sharing one KV head
  row_tiles: u32,       // ceil(rows_per_group / ROWS)
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

struct SeqInfo {
  span_start: u32,  // first entry of this sequence in `spans`
  span_count: u32,
  seq_len: u32,     // total KV length of the sequence (positions the queries sit at)
  _pad: u32,
}

struct Span {
  base4: u32,         // offset of (kv head 0, token 0) in vec4 units
  length: u32,        // tokens
  head_stride4: u32,  // distance between KV heads in vec4 units
  token_start: u32,   // position of the span's first token in the sequence
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> seqs: array<SeqInfo>;
@group(0) @binding(5) var<storage, read> spans: array<Span>;
@group(0) @binding(6) var<storage, read_write> out_o: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> out_lse: array<f32>;


@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let lq = params.queries_per_seq;
  let b = wg.y;
  let kv_head = wg.x / params.row_tiles;
  let first_row = (wg.x % params.row_tiles) * ROWS;
  let rows = min(ROWS, params.rows_per_group - first_row);
  // Global row of tile row 0: local row kv_head * rows_per_group + first_row = h * Lq + i.
  let row0 = b * params.heads_q * lq + kv_head * params.rows_per_group + first_row;
  let seq = seqs[b];
  let qpos0 = seq.seq_len - lq;  // position of query 0; query i sits at qpos0 + i

  for (var e = lid; e < ROWS * D4; e += WG) {
    let r = e / D4;
    q_sh[e] = select(vec4<f32>(0.0), q[(row0 + r) * D4 + e % D4], r < rows);
  }
  for (var r = lid; r < ROWS; r += WG) { m_sh[r] = NEG_BIG; }
  // The latest query of the tile bounds the keys any of its rows may see.
  var i_max = 0u;
  for (var r = 0u; r < rows; r++) { i_max = max(i_max, (first_row + r) % lq); }
  workgroupBarrier();

  var acc: array<vec4<f32>, MAX_ROWS>;
  var l: array<f32, MAX_ROWS>;
  let col = lid % D4;
  let lane = lid / D4;

  for (var si = 0u; si < seq.span_count; si++) {
    let span = spans[seq.span_start + si];
    var visible = span.length;
    if (params.causal != 0u) {
      // keys at positions token_start + t <= qpos0 + i_max
      let qmax = qpos0 + i_max;
      visible = select(0u, min(span.length, qmax + 1u - span.token_start), qmax + 1u > span.token_start);
    }
    let head_base4 = span.base4 + kv_head * span.head_stride4;
    for (var c = 0u; c < visible; c += WG) {
      let n = min(WG, visible - c);
      let pos0 = span.token_start + c;  // position of the chunk's first key

      // 1. Scores of key c + lid against every row.
      if (lid < n) {
        let k4 = head_base4 + (c + lid) * D4;
        // Explicit zero: Dawn + SwiftShader kept the previous chunk's values in an uninitialized var
        // declared inside a loop (see paged-attention.wgsl).
        var qk = array<f32, MAX_ROWS>();
        for (var d = 0u; d < D4; d++) {
          let kv = loadK4(k4 + d);
          for (var r = 0u; r < ROWS; r++) { qk[r] += dot(q_sh[r * D4 + d], kv); }
        }
        for (var r = 0u; r < ROWS; r++) { p_sh[r * WG + lid] = qk[r] * params.scale; }
      }
      workgroupBarrier();

      // 2, 3. Chunk max and rescale per row, then probabilities (row-tile.wgsl).
      softmax_chunk(lid, n, pos0, qpos0, first_row, rows);

      // 4. Weighted sum of V rows: thread (lane, col) takes vec4 `col` of keys lane, lane + LANES, ...
      if (lane < LANES) {
        for (var r = 0u; r < ROWS; r++) {
          acc[r] *= alpha_sh[r];
          l[r] *= alpha_sh[r];
        }
        let v4 = head_base4 + c * D4 + col;
        for (var j = lane; j < n; j += LANES) {
          let vv = loadV4(v4 + j * D4);
          for (var r = 0u; r < ROWS; r++) {
            let p = p_sh[r * WG + j];
            acc[r] += p * vv;
            l[r] += p;
          }
        }
      }
      workgroupBarrier();
    }
  }

  sum_lanes(lane, col, &acc, &l);

  if (lid < D4) {
    for (var r = 0u; r < rows; r++) {
      let row = row0 + r;
      out_o[row * D4 + lid] = select(vec4<f32>(0.0), acc[r] / l[r], l[r] > 0.0);
      if (lid == 0u) { out_lse[row] = select(params.neg_inf, m_sh[r] + log(l[r]), l[r] > 0.0); }
    }
  }
}
