/**
 * WGSL of Hydragen's shared-segment kernel on tensor cores (chromium_experimental_subgroup_matrix:
 * f16 16x16x16 products with f32 results), generated for one head dimension, subgroup count and
 * step. Host side: hydragen-shared.ts. Same work items as the portable kernel
 * (shaders/hydragen-work.wgsl): a (shared segment, key chunk, KV head, tile of query rows).
 *
 * A workgroup is `subgroups` subgroups of 32 lanes; subgroup g owns tile rows 16g .. 16g + 15 and
 * addresses its own slices of workgroup memory, so subgroup-matrix offsets differ between the
 * subgroups of a workgroup (`chromium.subgroup_matrix_uniformity` is turned off: they are uniform
 * within each subgroup, which is what the hardware needs). The subgroups read the same K/V
 * fragments straight from the pool at about the same time, so the repeats hit the SM's cache.
 * Per step of `step` keys:
 *   S[16 x step] = Q[16 x D] K^T       Q staged once (pre-scaled, f16) in workgroup memory
 *   softmax per row, 2 lanes a row, against a reference max m that is raised only when a step's
 *     max exceeds it by more than RESCALE_MARGIN (so probabilities stay below e^margin, fine in
 *     f16 and f32); P = exp(S - m) as f16
 *   only when some row raised m (rare after the first steps) do the output matrices go through
 *     workgroup memory, to be scaled by exp(m_old - m_new) row by row
 *   O[16 x D] += P V                   O stays in D / 16 result matrices for the whole chunk
 * At the end o = O / l and lse = m + log l per row are written as the item's partials.
 * A step reads up to step - 1 keys past the item's last key; the host pads the K/V pool so those
 * reads stay inside the buffer (their probabilities are 0).
 *
 * K/V fragments come from one of two places (MmaShape.staged):
 *   - unstaged: each subgroup loads its K and V matrices straight from the pool (storage buffer);
 *     the subgroups of a workgroup repeat the same loads, which the SM's cache serves.
 *   - staged: at the start of each step the whole workgroup copies the step's K and V rows into
 *     workgroup memory with 16-byte loads (the pool bound as vec4<u32>, each word two f16), and
 *     every subgroup loads its matrices from there. Fewer, wider global loads and one copy for all
 *     subgroups, for 2 x step x D x 2 bytes more workgroup memory and two barriers a step.
 *
 * Why generated: O is D / 16 result matrices that must stay in registers, and arrays of subgroup
 * matrices indexed by loop variables gave wrong results with this Dawn and driver (and arrays of
 * per-lane values went to slow memory, see paged-decode-wgsl.ts); so each matrix is a named
 * variable and the loops over D and over a step's 16-key blocks are written out.
 *
 * Found on the H100 (Dawn/Vulkan, driver 580; .scratch bisect, 2026-11-27): with a lone 4-byte
 * `var<workgroup>` scalar (the rescale flag as a u32) in this module, every result was wrong, even
 * when the scalar was only written; as a vec4<u32> the same kernel is right. Keep every workgroup
 * variable of this module a multiple of 16 bytes.
 */

export const MMA_SUBGROUP = 32;
/** Rows of one subgroup (the matrices' M). */
export const MMA_ROWS = 16;
/** Natural-log margin by which a row's max may exceed its reference max before O is rescaled. */
const RESCALE_MARGIN = 8;

export interface MmaShape {
  readonly headDim: number;
  /** Subgroups of 32 lanes a workgroup (each owns 16 query rows). */
  readonly subgroups: number;
  /** Keys per step: a multiple of 16. */
  readonly step: number;
  /** Copy each step's K/V rows into workgroup memory first (see the header); default false. */
  readonly staged?: boolean;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Workgroup memory of the kernel (bytes). */
export function mmaWorkgroupBytes(s: MmaShape): number {
  const q = s.subgroups * MMA_ROWS * s.headDim * 2;
  const scores = s.subgroups * MMA_ROWS * s.step * 4;
  const p = s.subgroups * MMA_ROWS * s.step * 2;
  const kv = s.staged ? 2 * s.step * s.headDim * 2 : 0;
  return q + scores + p + kv + 16;
}

/** Why `s` is not a shape this template can write; null when it is. */
export function mmaShapeProblem(s: MmaShape): string | null {
  if (s.headDim % 16 !== 0) return `head dim ${s.headDim} is not a multiple of 16`;
  if (!Number.isInteger(s.subgroups) || s.subgroups < 1) return `subgroups ${s.subgroups} must be a positive integer`;
  if (s.step % 16 !== 0 || s.step < 16) return `step ${s.step} must be a positive multiple of 16`;
  return null;
}

export function hydragenSharedMmaWgsl(s: MmaShape): string {
  const why = mmaShapeProblem(s);
  if (why) throw new Error(`subgroup-matrix kernel: ${why}`);
  const { headDim: D, subgroups: SG, step: STEP } = s;
  const staged = s.staged === true;
  // Where a step's K/V matrices are loaded from: the pool at the step's first key, or its copy.
  const kSrc = staged ? '&k_sh, ' : '&kv_k, kbase + ';
  const vSrc = staged ? '&v_sh, ' : '&kv_v, kbase + ';
  const DT = range(D / 16); // 16-column blocks of D (output matrices)
  const KT = range(STEP / 16); // 16-key blocks of a step
  // O goes through workgroup memory (a subgroup's score slice, 16 x STEP f32) OG matrices at a time.
  const OG = STEP / 16;
  const groups = range(Math.ceil(DT.length / OG));
  const inGroup = (g: number) => DT.slice(g * OG, (g + 1) * OG);
  const left = 'subgroup_matrix_left<f16, 16, 16>';
  const right = 'subgroup_matrix_right<f16, 16, 16>';
  const result = 'subgroup_matrix_result<f32, 16, 16>';

  const scores = [
    ...KT.map((k) => `    var s${k} = ${result}();`),
    '    for (var dt = 0u; dt < D16; dt++) {',
    `      let ql = subgroupMatrixLoad<${left}, row_major>(&q_sh, q_off + dt * 16u, HEAD_DIM);`,
    ...KT.map(
      (k) =>
        `      s${k} = subgroupMatrixMultiplyAccumulate(ql, subgroupMatrixLoad<${right}, col_major>(${kSrc}${k * 16}u * HEAD_DIM + dt * 16u, HEAD_DIM), s${k});`,
    ),
    '    }',
    ...KT.map((k) => `    subgroupMatrixStore(&s_sh, s_off + ${k * 16}u, s${k}, false, STEP);`),
  ];
  const pv = [
    ...KT.map((k) => `    let p${k} = subgroupMatrixLoad<${left}, row_major>(&p_sh, s_off + ${k * 16}u, STEP);`),
    ...DT.flatMap((d) =>
      KT.map(
        (k) =>
          `    o${d} = subgroupMatrixMultiplyAccumulate(p${k}, subgroupMatrixLoad<${right}, row_major>(${vSrc}${k * 16}u * HEAD_DIM + ${d * 16}u, HEAD_DIM), o${d});`,
      ),
    ),
  ];
  // Copy the step's K and V rows (STEP x D f16 each) into k_sh / v_sh, 8 values a 16-byte load.
  const half2 = (w: string) => `bitcast<vec2<f16>>(${w})`;
  const stage = staged
    ? [
        "    workgroupBarrier(); // the previous step's loads of k_sh / v_sh are done",
        '    for (var e = lid; e < STEP * HEAD_DIM / 8u; e += WG) {',
        '      let wk = kv_k4[kbase / 8u + e];',
        '      let wv = kv_v4[kbase / 8u + e];',
        ...['x', 'y', 'z', 'w'].flatMap((c, i) => [
          `      let k${c} = ${half2(`wk.${c}`)};`,
          `      let v${c} = ${half2(`wv.${c}`)};`,
          `      k_sh[e * 8u + ${2 * i}u] = k${c}.x;`,
          `      k_sh[e * 8u + ${2 * i + 1}u] = k${c}.y;`,
          `      v_sh[e * 8u + ${2 * i}u] = v${c}.x;`,
          `      v_sh[e * 8u + ${2 * i + 1}u] = v${c}.y;`,
        ]),
        '    }',
        '    workgroupBarrier();',
      ]
    : [];
  // Scale this subgroup's O by alpha row by row, a group of matrices at a time through s_sh.
  const rescale = groups.flatMap((g) => [
    ...inGroup(g).map((d, i) => `      subgroupMatrixStore(&s_sh, s_off + ${i * 16}u, o${d}, false, STEP);`),
    '      workgroupBarrier();',
    '      for (var c = half * HALF; c < half * HALF + HALF; c++) { s_sh[s_off + r * STEP + c] *= alpha; }',
    '      workgroupBarrier();',
    ...inGroup(g).map(
      (d, i) => `      o${d} = subgroupMatrixLoad<${result}, row_major>(&s_sh, s_off + ${i * 16}u, STEP);`,
    ),
    '      workgroupBarrier();',
  ]);
  // Write o = O / l, a group of matrices at a time through s_sh, each lane half a row of it.
  const writeOut = groups.flatMap((g) => [
    ...inGroup(g).map((d, i) => `  subgroupMatrixStore(&s_sh, s_off + ${i * 16}u, o${d}, false, STEP);`),
    '  workgroupBarrier();',
    '  if (row_ok) {',
    `    for (var c = half * HALF; c < half * HALF + HALF && ${g * OG * 16}u + c < HEAD_DIM; c += 4u) {`,
    '      let at = s_off + r * STEP + c;',
    '      let v = vec4<f32>(s_sh[at], s_sh[at + 1u], s_sh[at + 2u], s_sh[at + 3u]);',
    `      part_o[me.slot * (HEAD_DIM / 4u) + (${g * OG * 16}u + c) / 4u] = select(vec4<f32>(0.0), v / l_run, has);`,
    '    }',
    '  }',
    '  workgroupBarrier();',
  ]);

  return `enable f16;
enable subgroups;
enable chromium_experimental_subgroup_matrix;
diagnostic(off, chromium.subgroup_matrix_uniformity);

// Hydragen shared-segment kernel on subgroup matrices, generated by
// src/kernels/hydragen-shared-mma-wgsl.ts for D ${D}, ${SG} subgroup(s) a workgroup, ${STEP} keys a step${staged ? ', K/V staged in workgroup memory' : ''}.

const HEAD_DIM: u32 = ${D}u;
const D16: u32 = ${D / 16}u;
const WG: u32 = ${SG * MMA_SUBGROUP}u;
const ROWS: u32 = ${MMA_ROWS}u;              // rows of one subgroup
const TILE_Q: u32 = ${SG * MMA_ROWS}u;             // rows of the workgroup
const STEP: u32 = ${STEP}u;               // keys per step
const HALF: u32 = STEP / 2u;         // keys (or columns) of a lane's half row
const MARGIN: f32 = ${RESCALE_MARGIN}.0;
const NEG_BIG: f32 = -3.0e38;

${
  staged
    ? `// The pool as 16-byte words (8 f16 each), copied a step at a time into k_sh / v_sh.
@group(0) @binding(2) var<storage, read> kv_k4: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> kv_v4: array<vec4<u32>>;`
    : `@group(0) @binding(2) var<storage, read> kv_k: array<f16>;
@group(0) @binding(3) var<storage, read> kv_v: array<f16>;`
}

// Every workgroup variable a multiple of 16 bytes (see the header).
var<workgroup> q_sh: array<f16, TILE_Q * HEAD_DIM>;        // the tile's queries, scaled, row-major
var<workgroup> s_sh: array<f32, ${SG} * ROWS * STEP>;      // per subgroup: scores, or O in transit
var<workgroup> p_sh: array<f16, ${SG} * ROWS * STEP>;      // per subgroup: probabilities
var<workgroup> rescale_sh: vec4<u32>;                      // x: some row raised its reference max
${
  staged
    ? `var<workgroup> k_sh: array<f16, STEP * HEAD_DIM>;           // this step's K rows
var<workgroup> v_sh: array<f16, STEP * HEAD_DIM>;           // this step's V rows
`
    : ''
}
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) lane: u32) {
  let item_index = wg.y * params.grid_x + wg.x;
  if (item_index >= params.num_items) { return; }
  let item = items[item_index];

  // Stage the queries, scaled, as f16 (rows past row_count are zero).
  for (var e = lid; e < TILE_Q * (HEAD_DIM / 4u); e += WG) {
    let rr = e / (HEAD_DIM / 4u);
    var v = vec4<f32>(0.0);
    if (rr < item.row_count) { v = q[row_ref(item, rr).q_row * (HEAD_DIM / 4u) + e % (HEAD_DIM / 4u)] * params.scale; }
    let at = rr * HEAD_DIM + (e % (HEAD_DIM / 4u)) * 4u;
    q_sh[at] = f16(v.x);
    q_sh[at + 1u] = f16(v.y);
    q_sh[at + 2u] = f16(v.z);
    q_sh[at + 3u] = f16(v.w);
  }
  if (lid == 0u) { rescale_sh = vec4<u32>(0u); }

  // This lane: subgroup sg, row r of its 16 (tile row sg * 16 + r), half of each step's keys.
  let sg = lid / ${MMA_SUBGROUP}u;
  let r = lane / 2u;
  let half = lane % 2u;
  let tile_row = sg * ROWS + r;
  let q_off = sg * ROWS * HEAD_DIM;
  let s_off = sg * ROWS * STEP;
  let row_ok = tile_row < item.row_count;
  var me = RowRef(0u, 0u, 0u);
  if (row_ok) { me = row_ref(item, tile_row); }
  var m_ref = NEG_BIG;
  var l_run = 0.0;
${DT.map((d) => `  var o${d} = ${result}();`).join('\n')}
  workgroupBarrier();

  for (var t0 = 0u; t0 < item.key_limit; t0 += STEP) {
    let kbase = item.kv_base4 * 4u + t0 * HEAD_DIM;
${[...stage, ...scores].join('\n')}
    workgroupBarrier();

    // Softmax against the reference max; raise it only past the margin.
    var mx = NEG_BIG;
    for (var c = half * HALF; c < half * HALF + HALF; c++) {
      if (t0 + c < me.vis) { mx = max(mx, s_sh[s_off + r * STEP + c]); }
    }
    mx = max(mx, subgroupShuffleXor(mx, 1u));
    var alpha = 1.0;
    if (mx > m_ref + MARGIN) {
      if (m_ref > NEG_BIG) { rescale_sh.x = 1u; }
      alpha = exp(m_ref - mx);
      m_ref = mx;
    }
    var sum = 0.0;
    for (var c = half * HALF; c < half * HALF + HALF; c++) {
      let at = s_off + r * STEP + c;
      let p = select(0.0, exp(s_sh[at] - m_ref), t0 + c < me.vis);
      p_sh[at] = f16(p);
      sum += p;
    }
    l_run = l_run * alpha + sum + subgroupShuffleXor(sum, 1u);
    // workgroupUniformLoad is also the barrier between the P writes above and the P loads below.
    if (workgroupUniformLoad(&rescale_sh).x != 0u) {
${rescale.join('\n')}
      if (lid == 0u) { rescale_sh = vec4<u32>(0u); }
    }
${pv.join('\n')}
  }

  // o = O / l and lse = m + log(l), each lane half of its row.
  let has = l_run > 0.0;
${writeOut.join('\n')}
  if (row_ok && half == 0u) { part_lse[me.slot] = select(params.neg_inf, m_ref + log(l_run), has); }
}
`;
}
