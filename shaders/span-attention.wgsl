// Attention of each (sequence, query head, query) over a list of KV spans, one workgroup per row.
//
// Used by the naive kernel (spans = a sequence's gathered copy, or its segments read in place)
// and by Hydragen for the unique suffixes (spans = only the segments nobody else shares).
// Online softmax over chunks of WG keys: each thread scores one key of the chunk, the workgroup
// reduces the chunk's max and sum, then each thread accumulates one vec4 of the output over the
// chunk's keys. A row that sees no key (possible for a partial) writes o = 0 and lse = -inf,
// which the LSE merge treats as weight 0.
//
// Prepended by the host: one of kv-f32.wgsl / kv-f16-packed.wgsl / kv-f16-native.wgsl, which
// binds K and V at 2 and 3 and defines loadK4 / loadV4 (index in units of four elements).

override HEAD_DIM: u32;           // D, a multiple of 4, at most 4 * WG
override WG: u32 = 64;            // threads per workgroup = keys per chunk (a power of two)
const NEG_BIG: f32 = -3.0e38;     // finite "minus infinity" for running maxima (no NaN from inf - inf)

struct Params {
  heads_q: u32,
  group_size: u32,      // headsQ / headsKV
  queries_per_seq: u32, // Lq
  causal: u32,
  scale: f32,
  num_seqs: u32,
  neg_inf: f32,         // -infinity, from the host (a WGSL constant may not be infinite)
  _pad: u32,
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

override D4: u32 = HEAD_DIM / 4u;  // derived; the host never sets it
var<workgroup> q_sh: array<vec4<f32>, D4>;
var<workgroup> p_sh: array<f32, WG>;
var<workgroup> red_sh: array<f32, WG>;

fn reduce_max(lid: u32, x: f32) -> f32 {
  red_sh[lid] = x;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red_sh[lid] = max(red_sh[lid], red_sh[lid + s]); }
    workgroupBarrier();
  }
  let r = red_sh[0];
  workgroupBarrier();
  return r;
}

fn reduce_sum(lid: u32, x: f32) -> f32 {
  red_sh[lid] = x;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red_sh[lid] = red_sh[lid] + red_sh[lid + s]; }
    workgroupBarrier();
  }
  let r = red_sh[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // Row = (b, h, i): x = h * Lq + i, y = b.
  let lq = params.queries_per_seq;
  let h = wg.x / lq;
  let i = wg.x % lq;
  let b = wg.y;
  let row = (b * params.heads_q + h) * lq + i;
  let kv_head = h / params.group_size;

  for (var d = lid; d < D4; d += WG) { q_sh[d] = q[row * D4 + d]; }
  workgroupBarrier();

  let seq = seqs[b];
  let qpos = seq.seq_len - lq + i;
  var m_run = NEG_BIG;
  var l_run = 0.0;
  var acc = vec4<f32>(0.0);

  for (var si = 0u; si < seq.span_count; si++) {
    let span = spans[seq.span_start + si];
    var visible = span.length;
    if (params.causal != 0u) {
      // keys at positions token_start + t <= qpos
      visible = select(0u, min(span.length, qpos + 1u - span.token_start), qpos + 1u > span.token_start);
    }
    let head_base4 = span.base4 + kv_head * span.head_stride4;
    for (var c = 0u; c < visible; c += WG) {
      let t = c + lid;
      var s = NEG_BIG;
      if (t < visible) {
        let k4 = head_base4 + t * D4;
        var qk = 0.0;
        for (var d = 0u; d < D4; d++) { qk += dot(q_sh[d], loadK4(k4 + d)); }
        s = qk * params.scale;
      }
      let m_new = max(m_run, reduce_max(lid, s));
      let p = select(0.0, exp(s - m_new), t < visible);
      let alpha = exp(m_run - m_new);
      p_sh[lid] = p;
      l_run = l_run * alpha + reduce_sum(lid, p);
      m_run = m_new;
      // reduce_sum ended with a barrier, so p_sh is complete.
      if (lid < D4) {
        var a = acc * alpha;
        let n = min(WG, visible - c);
        let v4 = head_base4 + c * D4 + lid;
        for (var j = 0u; j < n; j++) { a += p_sh[j] * loadV4(v4 + j * D4); }
        acc = a;
      }
      workgroupBarrier();
    }
  }

  if (lid < D4) {
    out_o[row * D4 + lid] = select(vec4<f32>(0.0), acc / l_run, l_run > 0.0);
  }
  if (lid == 0u) {
    out_lse[row] = select(params.neg_inf, m_run + log(l_run), l_run > 0.0);
  }
}
