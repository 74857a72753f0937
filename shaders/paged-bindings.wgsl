// The paged kernels' parameters, sequence table and bindings 0, 1 and 4-7, shared by
// paged-attention.wgsl (portable) and paged-attention-subgroup.wgsl. Host side: src/kernels/paged.ts.

struct Params {
  heads_q: u32,
  heads_kv: u32,
  group_size: u32,       // headsQ / headsKV
  queries_per_seq: u32,  // Lq
  causal: u32,
  scale: f32,
  rows_per_group: u32,   // group_size * Lq: rows sharing one KV head
  row_tiles: u32,        // ceil(rows_per_group / ROWS)
  partition_size: u32,   // tokens per partition (the longest sequence when split-K is off)
  neg_inf: f32,          // -infinity, from the host (a WGSL constant may not be infinite)
  _pad0: u32,
  _pad1: u32,
}

struct SeqInfo {
  seq_len: u32,
  block_start: u32,  // first entry of this sequence in block_table
  out_base: u32,     // output index of local row 0, partition 0
  out_stride: u32,   // partitions of this sequence (1 without split-K)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> seqs: array<SeqInfo>;
@group(0) @binding(5) var<storage, read> block_table: array<u32>;
@group(0) @binding(6) var<storage, read_write> out_o: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> out_lse: array<f32>;
