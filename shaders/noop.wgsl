// A dispatch that does nothing but exist (src/bench/overhead.ts): its timed span is the fixed cost
// of a dispatch. The one binding keeps the pipeline layout realistic (a bind group is set).
@group(0) @binding(0) var<storage, read_write> sink: array<u32>;

@compute @workgroup_size(32)
fn main(@builtin(local_invocation_index) lid: u32) {
  if (lid == 1024u) { sink[0] = 1u; }  // never true: not optimized away, never written
}
