// What the two row-tile kernels share (shaders/paged-attention.wgsl, portable paged, and
// shaders/span-attention.wgsl): a workgroup computes up to ROWS query rows that read the same KV
// head, scoring each chunk's keys into p_sh and accumulating the output per (lane, vec4 column).
// Appended by the host; the including shader declares the overrides WG, ROWS, D4 and LANES.

const MAX_ROWS: u32 = 8u;
const NEG_BIG: f32 = -3.0e38;   // finite "minus infinity" for running maxima (no NaN from inf - inf)

var<workgroup> q_sh: array<vec4<f32>, ROWS * D4>;
var<workgroup> p_sh: array<f32, ROWS * WG>;   // scores, then probabilities, [row][key]
var<workgroup> m_sh: array<f32, ROWS>;        // running max per row
var<workgroup> alpha_sh: array<f32, ROWS>;    // this chunk's rescale of the old accumulators

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
