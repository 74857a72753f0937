// Paged attention (vLLM style): K/V read through per-sequence block tables.
//
// Pool layout (k and v alike): [numBlocks, headsKV, BLOCK_SIZE, D]; token t of sequence b is row
// t % BLOCK_SIZE of block block_table[seq.block_start + t / BLOCK_SIZE].
//
// Grid: x = partition, y = kv_head * row_tiles + tile, z = sequence. A workgroup computes up to ROWS
// query rows that read the same KV head (the GQA group's heads x the Lq queries, row j = g * Lq + i),
// so each K/V row it loads serves all of them. Tokens go in chunks of WG:
//   1. thread t scores token t of the chunk against every row (K row read once, from the block);
//   2. thread r < ROWS takes the chunk max of row r and the rescale factor (online softmax);
//   3. thread t turns its scores into probabilities;
//   4. thread (lane, col) accumulates vec4 `col` of every row's output over every LANES-th token of
//      the chunk (V row read once, consecutive threads on consecutive vec4s) and the rows' sums;
//      after the last chunk the lanes are summed (LANES = WG / D4: 2 for D = 128, 1 for D = 256).
// Tokens past the sequence's end (the unused rows of its last block) are never loaded, so garbage
// or NaN there cannot leak; causal masking gives a masked key probability 0, not exp(-big).
//
// Without split-K, one partition covers the whole sequence and the workgroup writes o and lse of
// its rows. With split-K, partition p covers tokens [p * partition_size, (p + 1) * partition_size)
// and the workgroup writes a partial (o, lse) that lse-merge.wgsl reduces; a partial that sees no
// key writes o = 0, lse = -inf (weight 0 in the merge). Either way the output index of local row
// `lr` (= h * Lq + i within the sequence) is out_base + lr * out_stride + partition.
//
// Prepended by the host: one of kv-f32.wgsl / kv-f16-packed.wgsl / kv-f16-native.wgsl (binds K and
// V at 2 and 3, defines loadK4 / loadV4 in units of four elements) and paged-bindings.wgsl
// (parameters, sequence table, bindings 0, 1 and 4-7); appended: row-tile.wgsl (the workgroup
// state and lane sum shared with span-attention.wgsl).

override HEAD_DIM: u32;         // D, a multiple of 4, at most 4 * WG
override WG: u32 = 64;          // threads per workgroup = tokens per chunk
override ROWS: u32 = 8;         // query rows per workgroup, at most MAX_ROWS
override BLOCK_SIZE: u32 = 16;  // tokens per KV block
override D4: u32 = HEAD_DIM / 4u;  // derived; the host never sets it
override LANES: u32 = WG / D4;     // derived: threads sharing one vec4 column of the output in step 4

var<workgroup> tok_sh: array<u32, WG>;        // vec4 offset of (token, kv head, d = 0) in the pool

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = paged_work(wg, ROWS);
  if (w.part_start >= w.seq.seq_len) { return; }  // uniform: this sequence has fewer partitions
  let lq = params.queries_per_seq;

  for (var e = lid; e < ROWS * D4; e += WG) {
    let r = e / D4;
    q_sh[e] = select(vec4<f32>(0.0), q[(w.q_row0 + r) * D4 + e % D4], r < w.rows);
  }
  for (var r = lid; r < ROWS; r += WG) { m_sh[r] = NEG_BIG; }
  workgroupBarrier();

  var acc: array<vec4<f32>, MAX_ROWS>;
  var l: array<f32, MAX_ROWS>;
  let head_off = w.kv_head * BLOCK_SIZE * D4;
  let col = lid % D4;
  let lane = lid / D4;

  for (var c = w.part_start; c < w.end; c += WG) {
    let n = min(WG, w.end - c);

    // 1. Scores of token c + lid against every row.
    let pos = c + lid;
    if (lid < n) {
      let blk = block_table[w.seq.block_start + pos / BLOCK_SIZE];
      let base = (blk * params.heads_kv * BLOCK_SIZE + pos % BLOCK_SIZE) * D4 + head_off;
      tok_sh[lid] = base;
      // Explicit zero: Dawn + SwiftShader kept the previous chunk's values in an uninitialized var declared
      // inside the loop (WGSL says it is zeroed each time), which broke every sequence longer than a chunk.
      var qk = array<f32, MAX_ROWS>();
      for (var d = 0u; d < D4; d++) {
        let k4 = loadK4(base + d);
        for (var r = 0u; r < ROWS; r++) { qk[r] += dot(q_sh[r * D4 + d], k4); }
      }
      for (var r = 0u; r < ROWS; r++) { p_sh[r * WG + lid] = qk[r] * params.scale; }
    }
    workgroupBarrier();

    // 2, 3. Chunk max and rescale per row, then probabilities (row-tile.wgsl).
    softmax_chunk(lid, n, c, w.seq.seq_len - lq, w.first_row, w.rows);

    // 4. Weighted sum of V rows: thread (lane, col) takes vec4 `col` of tokens lane, lane + LANES, ...
    if (lane < LANES) {
      for (var r = 0u; r < ROWS; r++) {
        acc[r] *= alpha_sh[r];
        l[r] *= alpha_sh[r];
      }
      for (var j = lane; j < n; j += LANES) {
        let v4 = loadV4(tok_sh[j] + col);
        for (var r = 0u; r < ROWS; r++) {
          let p = p_sh[r * WG + j];
          acc[r] += p * v4;
          l[r] += p;
        }
      }
    }
    workgroupBarrier();
  }

  sum_lanes(lane, col, &acc, &l);

  if (lid < D4) {
    for (var r = 0u; r < w.rows; r++) {
      let oi = w.seq.out_base + (w.local0 + r) * w.seq.out_stride + w.part;
      out_o[oi * D4 + lid] = select(vec4<f32>(0.0), acc[r] / l[r], l[r] > 0.0);
      if (lid == 0u) { out_lse[oi] = select(params.neg_inf, m_sh[r] + log(l[r]), l[r] > 0.0); }
    }
  }
}
