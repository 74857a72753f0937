// What the two row-tile kernels share (shaders/paged-attention.wgsl, portable paged, and
// shaders/span-attention.wgsl): a workgroup computes up to ROWS query rows that read the same KV
// head, scoring each chunk's keys into p_sh and accumulating the output per (lane, vec4 column).
// Appended by the host; the including shader declares the overrides WG, ROWS, D4 and LANES and a
// `params` with queries_per_seq and causal.

const MAX_ROWS: u32 = 8u;
const NEG_BIG: f32 = -3.0e38;   // finite "minus infinity" for running maxima (no NaN from inf - inf)

var<workgroup> q_sh: array<vec4<f32>, ROWS * D4>;
var<workgroup> p_sh: array<f32, ROWS * WG>;   // scores, then probabilities, [row][key]
var<workgroup> m_sh: array<f32, ROWS>;        // running max per row
var<workgroup> alpha_sh: array<f32, ROWS>;    // this chunk's rescale of the old accumulators

// Steps 2 and 3 of a chunk of n keys at positions pos0 .. pos0 + n - 1, whose scores are in p_sh:
// each row's chunk max over the keys it may see and the rescale of its old accumulators (m_sh,
// alpha_sh), then the probabilities in place (exactly 0 for masked keys and rows past the tile).
// Causal: tile row r is query (first_row + r) % Lq, at position qpos0 + that. Call from uniform
// control flow after the scores are written and a barrier; ends with a barrier.
fn softmax_chunk(lid: u32, n: u32, pos0: u32, qpos0: u32, first_row: u32, rows: u32) {
  let lq = params.queries_per_seq;
  if (lid < rows) {
    var seen = n;
    if (params.causal != 0u) {
      let qpos = qpos0 + (first_row + lid) % lq;  // keys at positions <= qpos
      seen = select(0u, min(n, qpos + 1u - pos0), qpos + 1u > pos0);
    }
    var mx = NEG_BIG;
    for (var j = 0u; j < seen; j++) { mx = max(mx, p_sh[lid * WG + j]); }
    let m_old = m_sh[lid];
    let m_new = max(m_old, mx);
    m_sh[lid] = m_new;
    alpha_sh[lid] = exp(m_old - m_new);
  }
  workgroupBarrier();
  if (lid < n) {
    for (var r = 0u; r < ROWS; r++) {
      var ok = r < rows;
      if (params.causal != 0u) { ok = ok && pos0 + lid <= qpos0 + (first_row + r) % lq; }
      let s = p_sh[r * WG + lid];
      p_sh[r * WG + lid] = select(0.0, exp(s - m_sh[r]), ok);
    }
  }
  workgroupBarrier();
}

// Sum the LANES lanes' accumulators and sums into lane 0, one lane at a time through q_sh (Q is no
// longer needed) and p_sh. Call from uniform control flow, after the last chunk.
fn sum_lanes(lane: u32, col: u32, acc: ptr<function, array<vec4<f32>, MAX_ROWS>>, l: ptr<function, array<f32, MAX_ROWS>>) {
  for (var k = 1u; k < LANES; k++) {
    if (lane == k) {
      for (var r = 0u; r < ROWS; r++) {
        q_sh[r * D4 + col] = (*acc)[r];
        if (col == 0u) { p_sh[r] = (*l)[r]; }
      }
    }
    workgroupBarrier();
    if (lane == 0u) {
      for (var r = 0u; r < ROWS; r++) {
        (*acc)[r] += q_sh[r * D4 + col];
        (*l)[r] += p_sh[r];
      }
    }
    workgroupBarrier();
  }
}
