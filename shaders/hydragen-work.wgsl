// Hydragen's shared-kernel work list, shared by hydragen-shared.wgsl (portable) and
// hydragen-shared-mma.wgsl (subgroup matrices): parameters, work items, users, bindings 0, 1 and
// 4-7, and row_ref, which maps a tile row to its query row, partial slot and visible keys.
// Host side: src/kernels/hydragen-shared.ts.

struct Params {
  num_items: u32,
  grid_x: u32,          // work item = wg.y * grid_x + wg.x
  heads_q: u32,
  group_size: u32,      // headsQ / headsKV
  queries_per_seq: u32, // Lq
  causal: u32,
  scale: f32,
  neg_inf: f32,         // -infinity, from the host (a WGSL constant may not be infinite)
}

struct WorkItem {
  kv_base4: u32,    // (segment, KV head, first key of the chunk) in the K/V pool, vec4 units
  key_start: u32,   // first key of the chunk within the segment
  key_count: u32,   // keys in the chunk
  key_limit: u32,   // most keys any row of this tile sees (<= key_count); the loop stops there
  kv_head: u32,
  user_start: u32,  // this segment's first entry in `users`
  row_start: u32,   // first row of the tile among the (segment, KV head)'s rows
  row_count: u32,   // rows in the tile (<= TILE_Q)
  chunk_slot: u32,  // chunk index * headsQ * Lq: added to a user's slot base
}

struct User {
  seq: u32,          // sequence index b
  token_start: u32,  // position of the segment's first token in the sequence
  qpos_base: u32,    // seq_len - Lq: position of query 0
  slot_base: u32,    // partial slot of (chunk 0, head 0, query 0)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> items: array<WorkItem>;
@group(0) @binding(5) var<storage, read> users: array<User>;
@group(0) @binding(6) var<storage, read_write> part_o: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> part_lse: array<f32>;

struct RowRef {
  q_row: u32,  // row of q
  slot: u32,   // partial slot
  vis: u32,    // keys of the chunk this row sees
}

fn row_ref(item: WorkItem, r: u32) -> RowRef {
  let lq = params.queries_per_seq;
  let per_user = params.group_size * lq;
  let row = item.row_start + r;
  let user = users[item.user_start + row / per_user];
  let rem = row % per_user;
  let h = item.kv_head * params.group_size + rem / lq;
  let i = rem % lq;
  var vis = item.key_count;
  if (params.causal != 0u) {
    let end = user.qpos_base + i + 1u;              // keys at positions < end are visible
    let part_start = user.token_start + item.key_start;
    vis = select(0u, min(item.key_count, end - part_start), end > part_start);
  }
  return RowRef((user.seq * params.heads_q + h) * lq + i, user.slot_base + item.chunk_slot + h * lq + i, vis);
}
