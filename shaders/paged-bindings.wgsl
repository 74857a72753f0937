// The paged kernels' parameters, sequence table, bindings 0, 1 and 4-7 and workgroup-to-work mapping, shared by
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
  batch_index: u32,  // the sequence's index in the batch (its q rows); wg.z counts within a pool shard
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> seqs: array<SeqInfo>;
@group(0) @binding(5) var<storage, read> block_table: array<u32>;
@group(0) @binding(6) var<storage, read_write> out_o: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> out_lse: array<f32>;

// What one workgroup of the paged grid covers: x = partition, y = KV head * row tiles + tile,
// z = sequence of the dispatch's pool shard (src/paged/shards.ts). `rows_per_tile` is the kernel's ROWS.
struct PagedWork {
  seq: SeqInfo,
  part: u32,
  kv_head: u32,
  part_start: u32,  // first token of the partition (>= seq.seq_len: this sequence has fewer partitions)
  end: u32,         // one past the partition's last token
  first_row: u32,   // first tile row within the KV head's group rows
  rows: u32,        // rows of this tile
  local0: u32,      // local row (h * Lq + i) of tile row 0
  q_row0: u32,      // global query row of tile row 0
}

fn paged_work(wg: vec3<u32>, rows_per_tile: u32) -> PagedWork {
  let seq = seqs[wg.z];
  let kv_head = wg.y / params.row_tiles;
  let first_row = (wg.y % params.row_tiles) * rows_per_tile;
  let part_start = wg.x * params.partition_size;
  let local0 = kv_head * params.rows_per_group + first_row;
  return PagedWork(
    seq,
    wg.x,
    kv_head,
    part_start,
    min(part_start + params.partition_size, seq.seq_len),
    first_row,
    min(rows_per_tile, params.rows_per_group - first_row),
    local0,
    seq.batch_index * params.heads_q * params.queries_per_seq + local0,
  );
}
