// Streaming read: the bandwidth ceiling the page quotes kernels against.
// `stream_read`: every invocation walks the buffer with a grid stride, one vec4<f32> (16 bytes) per step,
// so consecutive invocations load consecutive 16-byte words (coalesced). The sum is stored when it
// equals a value the data never produces, so the compiler must keep every load, and nothing is
// written in practice. `stream_fill` writes the data first (the buffer's contents must not be all zeros,
// which some hardware could serve without reading memory).

struct Params {
  // vec4 elements in the buffer.
  count: u32,
}

@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> sink: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: Params;
@group(0) @binding(3) var<storage, read_write> dst: array<vec4<f32>>;

const WG: u32 = 256u;

@compute @workgroup_size(WG)
fn stream_read(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let stride = groups.x * WG;
  var acc = vec4<f32>(0.0);
  for (var i = gid.x; i < params.count; i += stride) {
    acc += src[i];
  }
  // Data are in [0, 1): a sum can never be negative.
  if (acc.x + acc.y + acc.z + acc.w < -1.0) {
    sink[gid.x % arrayLength(&sink)] = acc;
  }
}

@compute @workgroup_size(WG)
fn stream_fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let stride = groups.x * WG;
  for (var i = gid.x; i < params.count; i += stride) {
    let h = (i * 2654435761u) >> 8u;
    dst[i] = vec4<f32>(f32(h & 255u), f32((h >> 8u) & 255u), f32(h & 15u), 1.0) * (1.0 / 512.0);
  }
}
