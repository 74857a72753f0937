/**
 * WGSL of the paged decode kernel (the fast paged path; host side in paged.ts), generated for one
 * shape. Why generated: every per-lane value of this kernel (the query slices, the scores, the
 * online-softmax state and the output accumulators of every row) must live in registers, and on
 * the NVIDIA driver under Dawn, function-scope arrays did not: the same algorithm written with
 * `array<..., ROWS>` ran at 0.6-0.7 TB/s on an H200, written with one named variable per value at
 * 3.3 TB/s (.scratch probe, same run). WGSL has no way to declare "ROWS variables" other than
 * writing them out, so this template writes them out. Everything that is not per-lane state
 * (bindings, work mapping) stays in shaders/paged-bindings.wgsl, and the K/V loaders in
 * shaders/kv8-*.wgsl.
 *
 * The algorithm, per workgroup (one partition of one sequence, one KV head, up to `rows` query rows
 * of that head's GQA group):
 *   - a team of `lanes` consecutive invocations owns one token at a time; lane j loads 8-element
 *     words j, j + lanes, ... of the token's K and V rows (16-byte loads for f16, contiguous across
 *     the team), so each K/V row is read once for all the rows;
 *   - the wg / lanes teams take `unroll` consecutive tokens per step, all loads of a step issued
 *     before any arithmetic;
 *   - partial dot products are summed over the team with subgroupShuffleXor (lanes <= the
 *     subgroup size, a power of two, so a team never straddles subgroups);
 *   - each team keeps an online softmax per row (running max m, sum l, accumulators rescaled once
 *     per step); at the end the teams are merged by the LSE rule through workgroup memory.
 * Tokens past the partition's end are never loaded (the load index is clamped to the last token
 * and the value masked); keys a causal row may not see get probability exactly 0.
 *
 * Variants (issue 12: on an H200 the default read 2.99-3.11 TB/s on unshared B 16/32 x 16640, 70%
 * of FlashAttention-2's 4.26-4.43 TB/s and of our 4.37 TB/s streaming read; on an H100 the same
 * kernel reached 88% of its ceiling, so the H200 needs more bytes in flight per SM). Each is a
 * KernelOptions field (CLI --decode-*), timed side by side by the `paged-ladder` suite, whose
 * labels are given here:
 *   - the default before issue 12 (L16 W32 U4 on a 32-lane GPU, D 128, 4 rows): 16 lanes a token,
 *     so one 16-byte K and one V load a lane a token; 2 teams of 16 in a 32-invocation workgroup;
 *     4 tokens a team a step, i.e. 8 independent 16-byte loads a lane in flight, issued after that
 *     step's block-table read. Now the default is L8 W32 U4 pf (below; the table says why).
 *   - prefetch ("pf", decodePrefetch): software pipelining. A step first issues the next step's K/V
 *     loads (whose block ids were read one step earlier) and the block-table reads of the step after,
 *     then does this step's math on K/V loaded a step ago: 16 loads a lane in flight, and no step
 *     waits for a table read before its loads. Costs twice the K/V registers.
 *   - wider workgroups ("W64", "W128", decodeWg): 4 or 8 teams a workgroup; an SM then holds more
 *     warps under its 32-workgroup limit (W32 caps it at 32 warps, half of an H100/H200 SM's 64).
 *   - more tokens a step ("U8", decodeUnroll): 16 independent loads a lane without prefetching.
 *   - fewer lanes a token ("L8", "L4", decodeLanes): 2 or 4 words a lane a row, so a lane issues
 *     2-4 16-byte loads per token of K and of V, and the score butterfly has 3 or 2 shuffle rounds
 *     over fewer lanes (shuffles per token and row: L16 2, L8 0.75, L4 0.25 warp instructions),
 *     at the cost of more query/accumulator registers (rows x words, up to 16 when asked for).
 *   - split-K from the GPU's size ("cu", computeUnits, in paged.ts): partitions sized so the grid
 *     reaches compute units x 32 workgroups instead of the fixed 2048-workgroup rule with 512-token
 *     partitions: fewer partials for the merge pass at B 32-512 (B 128 x 16640: 5 partitions of
 *     3328, not 33 of 512), more parallelism at B 1-8.
 *
 * The first H200 run (2026-12-02, benches/results/h200-paged-ladder-f16.json; streaming ceiling
 * 4368 GB/s in the same run; hashed f16 K/V, GQA 32:8, D 128; every entry passed its checks).
 * Unshared B x 16640: TB/s and % of the ceiling; shared prefix (+256 each): median ms. `paged`
 * was then L16 W32 U4 (fixed split rule); FlashAttention-2 on the same GPU model: B1 0.019 ms,
 * B8 0.053 ms, B16 4.26 TB/s, B32 4.41, B128 4.43, B512 P16384 7.635 ms.
 *   variant           | B1 P4096 | B8 P4096 | B16      | B32      | B128     | B512     | B512 P16384
 *   paged (then)      | 0.0963   | 0.1130   | 3.00 69% | 3.13 72% | 3.12 71% | 3.16 72% | 9.37
 *   L16 W32 U4 pf     | 0.0713   | 0.0927   | 3.10 71% | 3.31 76% | 3.35 77% | 3.45 79% | 9.09
 *   L16 W64 U4        | 0.0604   | 0.0804   | 2.96 68% | 3.10 71% | 3.16 72% | 3.17 72% | 9.50
 *   L16 W64 U4 pf     | 0.0475   | 0.0755   | 3.10 71% | 3.28 75% | 3.42 78% | 3.38 77% | 9.32
 *   L16 W128 U4 pf    | 0.0366   | 0.0734   | 3.07 70% | 3.18 73% | 3.30 75% | 3.27 75% | 10.74
 *   L16 W32 U8        | 0.1076   | 0.1248   | 2.40 55% | 2.57 59% | 2.70 62% | 2.75 63% | 11.00
 *   L8 W32 U2         | 0.0807   | 0.0975   | 2.35 54% | 2.44 56% | 2.44 56% | 2.48 57% | 11.60
 *   L8 W32 U4 pf      | 0.0575   | 0.0780   | 3.49 80% | 3.70 85% | 3.70 85% | 3.77 86% | 7.33
 *   L8 W64 U4 pf      | 0.0423   | 0.0756   | 3.34 76% | 3.53 81% | 3.63 83% | 3.67 84% | 8.28
 *   L4 W32 U2 pf      | 0.0758   | 0.1183   | 1.49 34% | 1.60 37% | 1.63 37% | 1.64 37% | 19.71
 *   paged cu (then)   | 0.0437   | 0.0784   | 2.99 68% | 2.56 59% | 2.14 49% | 1.98 45% | 9.29
 *   L16 W32 U4 pf cu  | 0.0382   | 0.0703   | 3.09 71% | 3.14 72% | 2.91 67% | 2.78 64% | 8.64
 *   L16 W64 U4 pf cu  | 0.0344   | 0.0729   | 3.11 71% | 3.21 73% | 3.12 72% | 2.92 67% | 8.58
 *   L8 W64 U4 pf cu   | 0.0352   | 0.0747   | 3.34 76% | 3.58 82% | 3.73 85% | 3.77 86% | 6.75
 *   no split-K        | 0.6257   | 0.6326   | 0.33  7% | 0.65 15% | 0.86 20% | 1.13 26% | 9.60
 * Read: prefetching helps every shape; 8 lanes help only with it and 4 tokens a step (8 lanes and 2
 * tokens, or 16 lanes and 8 tokens, without it, lose 20%; 4 lanes spill); wider workgroups and the
 * compute-units plan help small batches (B 1: 0.034 ms, under the issue's 0.04) and, with 8 lanes,
 * long partitions, but the plan's long partitions starve the 16-lane kernel at B 128-512. So the
 * default became L8 U4 pf (3.49-3.77 TB/s, 80-86%; B 512 P 16384 in 7.33 ms, under FA2's 7.635),
 * W32 and the fixed split rule kept until the combinations this run left out (L8 W32 pf cu,
 * partition sizes, block sizes: the ladder's current list) are timed. Still short of FA2's
 * 4.26-4.43 TB/s on unshared K/V.
 * A fused merge (the last partition of a row merges the others) needs a release/acquire handshake
 * between workgroups that WGSL's relaxed atomics do not give, so the merge stays a second pass; its
 * cost and the pass boundary's are what `bench --overhead` measures.
 */

export interface PagedDecodeShape {
  readonly headDim: number;
  /** Lanes per token: a power of two dividing headDim / 8, at most the subgroup size. */
  readonly lanes: number;
  /** Invocations per workgroup: a multiple of 2 * lanes. */
  readonly wg: number;
  /** Query rows per workgroup. */
  readonly rows: number;
  readonly blockSize: number;
  /** Tokens per team per step. */
  readonly unroll: number;
  /**
   * Software pipelining: each step issues the next step's K/V loads (and the block-table reads of
   * the step after) before its own arithmetic, so a lane has two steps of loads in flight and no
   * step waits on a table read. Twice the K/V registers.
   */
  readonly prefetch?: boolean;
}

/** Why `s` is not a shape this template can write; null when it is. */
export function pagedDecodeShapeProblem(s: PagedDecodeShape): string | null {
  const pow2 = (n: number) => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
  if (s.headDim % 8 !== 0) return `head dim ${s.headDim} is not a multiple of 8`;
  if (!pow2(s.lanes) || (s.headDim / 8) % s.lanes !== 0)
    return `lanes ${s.lanes} must be a power of two dividing head dim / 8 (${s.headDim / 8})`;
  if (s.wg % (2 * s.lanes) !== 0) return `wg ${s.wg} must be a multiple of 2 x lanes (${2 * s.lanes})`;
  if (!pow2(s.wg / s.lanes)) return `wg / lanes (${s.wg / s.lanes} teams) must be a power of two (the merge tree)`;
  if (!Number.isInteger(s.rows) || s.rows < 1) return `rows ${s.rows} must be a positive integer`;
  if (!Number.isInteger(s.unroll) || s.unroll < 1) return `unroll ${s.unroll} must be a positive integer`;
  return null;
}

/** Workgroup memory of the team merge (bytes). */
export function pagedDecodeWorkgroupBytes(s: PagedDecodeShape): number {
  const half = s.wg / s.lanes / 2;
  return half * s.rows * (s.headDim * 4 + 8);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * The kernel's WGSL, to be appended to `enable subgroups;`, a kv8-*.wgsl snippet and
 * paged-bindings.wgsl (which bind and define everything it uses besides its own names).
 */
export function pagedDecodeWgsl(s: PagedDecodeShape): string {
  const why = pagedDecodeShapeProblem(s);
  if (why) throw new Error(`paged decode kernel: ${why}`);
  const { headDim: D, lanes: LPK, wg: WG, rows: ROWS, blockSize: BS, unroll: U } = s;
  const D8 = D / 8;
  const words = D8 / LPK; // 8-element words per lane per K/V row
  const teams = WG / LPK;
  const R = range(ROWS);
  const C = range(words);
  const UU = range(U);
  // Word c of this lane: 8-element word j + c * LPK of the row, i.e. vec4s 2 (j + c LPK) and +1.
  const v4 = (c: number) => `(j + ${c * LPK}u) * 2u`;

  const queries = R.flatMap((r) =>
    C.flatMap((c) => [
      `  let q${r}_${c}a = select(vec4<f32>(0.0), q[(w.q_row0 + ${r}u) * D4 + ${v4(c)}] * params.scale, ${r}u < w.rows);`,
      `  let q${r}_${c}b = select(vec4<f32>(0.0), q[(w.q_row0 + ${r}u) * D4 + ${v4(c)} + 1u] * params.scale, ${r}u < w.rows);`,
    ]),
  );
  const lastPositions = R.map(
    (r) =>
      `  let last${r} = select(w.seq.seq_len - 1u, w.seq.seq_len - lq + (w.first_row + ${r}u) % lq, params.causal != 0u);`,
  );
  const state = R.flatMap((r) => [
    `  var m${r} = NEG_BIG;`,
    `  var l${r} = 0.0;`,
    ...C.flatMap((c) => [`  var a${r}_${c}a = vec4<f32>(0.0);`, `  var a${r}_${c}b = vec4<f32>(0.0);`]),
  ]);
  const loads = UU.flatMap((u) => [
    `    let pos${u} = min(t0 + ${u}u, w.end - 1u);`,
    `    let base${u} = (block_table[w.seq.block_start + pos${u} / BLOCK_SIZE] * params.heads_kv * BLOCK_SIZE + pos${u} % BLOCK_SIZE) * D8 + head_off8 + j;`,
    ...C.flatMap((c) => [
      `    let k${u}_${c} = kv_k[base${u} + ${c * LPK}u];`,
      `    let v${u}_${c} = kv_v[base${u} + ${c * LPK}u];`,
    ]),
  ]);
  const butterfly: string[] = [];
  for (let mask = 1; mask < LPK; mask *= 2) {
    for (const u of UU)
      for (const r of R) butterfly.push(`    s${u}_${r} += subgroupShuffleXor(s${u}_${r}, ${mask}u);`);
  }
  const scores = UU.flatMap((u) => [
    ...C.flatMap((c) => [`    let kl${u}_${c} = lo8(k${u}_${c});`, `    let kh${u}_${c} = hi8(k${u}_${c});`]),
    ...R.map(
      (r) =>
        `    var s${u}_${r} = ${C.map((c) => `dot(q${r}_${c}a, kl${u}_${c}) + dot(q${r}_${c}b, kh${u}_${c})`).join(' + ')};`,
    ),
  ]);
  // One online-softmax update per row per step: the step's max, one rescale, then its tokens.
  // Branch-free: with a branch per token and row, SwiftShader's compiler ran out of memory.
  const updates = [
    ...UU.flatMap((u) =>
      C.flatMap((c) => [`    let vl${u}_${c} = lo8(v${u}_${c});`, `    let vh${u}_${c} = hi8(v${u}_${c});`]),
    ),
    ...R.flatMap((r) => [
      '    {',
      ...UU.map((u) => `      let ok${u} = t0 + ${u}u < w.end && pos${u} <= last${r};`),
      `      let m_new = max(m${r}, ${UU.map((u) => `select(NEG_BIG, s${u}_${r}, ok${u})`).reduce((x, y) => `max(${x}, ${y})`)});`,
      `      let alpha = exp(m${r} - m_new);`,
      `      m${r} = m_new;`,
      `      l${r} *= alpha;`,
      ...C.flatMap((c) => [`      a${r}_${c}a *= alpha;`, `      a${r}_${c}b *= alpha;`]),
      ...UU.flatMap((u) => [
        `      let p${u} = select(0.0, exp(s${u}_${r} - m_new), ok${u});`,
        `      l${r} += p${u};`,
        ...C.flatMap((c) => [`      a${r}_${c}a += p${u} * vl${u}_${c};`, `      a${r}_${c}b += p${u} * vh${u}_${c};`]),
      ]),
      '    }',
    ]),
  ];
  const STEP = teams * U;
  const rowBase = (b: string, p: string) =>
    `(${b} * params.heads_kv * BLOCK_SIZE + ${p} % BLOCK_SIZE) * D8 + head_off8 + j`;
  const tableAt = (p: string) => `block_table[w.seq.block_start + ${p} / BLOCK_SIZE]`;
  const body = [...scores, ...butterfly, ...updates];
  const plainLoop = [
    `  for (var t0 = w.part_start + team * ${U}u; t0 < w.end; t0 += ${STEP}u) {`,
    ...loads,
    ...body,
    '  }',
  ];
  // Pipelined: k/v and pos hold the current step, nk/nv the next (loaded at the top of the step,
  // from block ids nb read one step earlier), nnb the table entries of the step after. Positions past
  // the partition are clamped to its last token (valid memory, masked out by ok).
  const pipelinedLoop = [
    `  var t0 = w.part_start + team * ${U}u;`,
    ...UU.flatMap((u) => [
      `  var pos${u} = min(t0 + ${u}u, w.end - 1u);`,
      `  let cb${u} = ${rowBase(tableAt(`pos${u}`), `pos${u}`)};`,
      ...C.flatMap((c) => [
        `  var k${u}_${c} = kv_k[cb${u} + ${c * LPK}u];`,
        `  var v${u}_${c} = kv_v[cb${u} + ${c * LPK}u];`,
      ]),
      `  var np${u} = min(t0 + ${STEP + u}u, w.end - 1u);`,
      `  var nb${u} = ${tableAt(`np${u}`)};`,
    ]),
    '  loop {',
    '    if (t0 >= w.end) { break; }',
    ...UU.flatMap((u) => [
      `    let nbase${u} = ${rowBase(`nb${u}`, `np${u}`)};`,
      ...C.flatMap((c) => [
        `    let nk${u}_${c} = kv_k[nbase${u} + ${c * LPK}u];`,
        `    let nv${u}_${c} = kv_v[nbase${u} + ${c * LPK}u];`,
      ]),
      `    let nnp${u} = min(t0 + ${2 * STEP + u}u, w.end - 1u);`,
      `    let nnb${u} = ${tableAt(`nnp${u}`)};`,
    ]),
    ...body,
    ...UU.flatMap((u) => [
      ...C.flatMap((c) => [`    k${u}_${c} = nk${u}_${c};`, `    v${u}_${c} = nv${u}_${c};`]),
      `    pos${u} = np${u};`,
      `    np${u} = nnp${u};`,
      `    nb${u} = nnb${u};`,
    ]),
    `    t0 += ${STEP}u;`,
    '  }',
  ];
  const handOver = R.flatMap((r) => [
    ...C.flatMap((c) => [
      `      acc_sh[(slot * ROWS + ${r}u) * D4 + ${v4(c)}] = a${r}_${c}a;`,
      `      acc_sh[(slot * ROWS + ${r}u) * D4 + ${v4(c)} + 1u] = a${r}_${c}b;`,
    ]),
    `      if (j == 0u) { ml_sh[slot * ROWS + ${r}u] = vec2<f32>(m${r}, l${r}); }`,
  ]);
  const takeOver = R.flatMap((r) => [
    '      {',
    `        let other = ml_sh[team * ROWS + ${r}u];`,
    `        let m_new = max(m${r}, other.x);`,
    `        let a_self = exp(m${r} - m_new);`,
    '        let a_other = exp(other.x - m_new);',
    ...C.flatMap((c) => [
      `        a${r}_${c}a = a${r}_${c}a * a_self + acc_sh[(team * ROWS + ${r}u) * D4 + ${v4(c)}] * a_other;`,
      `        a${r}_${c}b = a${r}_${c}b * a_self + acc_sh[(team * ROWS + ${r}u) * D4 + ${v4(c)} + 1u] * a_other;`,
    ]),
    `        l${r} = l${r} * a_self + other.y * a_other;`,
    `        m${r} = m_new;`,
    '      }',
  ]);
  const writes = R.flatMap((r) => [
    `    if (${r}u < w.rows) {`,
    `      let oi = w.seq.out_base + (w.local0 + ${r}u) * w.seq.out_stride + w.part;`,
    `      let has = l${r} > 0.0;`,
    ...C.flatMap((c) => [
      `      out_o[oi * D4 + ${v4(c)}] = select(vec4<f32>(0.0), a${r}_${c}a / l${r}, has);`,
      `      out_o[oi * D4 + ${v4(c)} + 1u] = select(vec4<f32>(0.0), a${r}_${c}b / l${r}, has);`,
    ]),
    `      if (j == 0u) { out_lse[oi] = select(params.neg_inf, m${r} + log(l${r}), has); }`,
    '    }',
  ]);

  return `
// Paged decode kernel, generated by src/kernels/paged-decode-wgsl.ts for D ${D}, ${LPK} lanes a
// token, ${WG} invocations, ${ROWS} rows, block size ${BS}, ${U} tokens a team a step${s.prefetch ? ', next step prefetched' : ''}.
const D4: u32 = ${D / 4}u;
const D8: u32 = ${D8}u;
const LPK: u32 = ${LPK}u;
const TEAMS: u32 = ${teams}u;
const ROWS: u32 = ${ROWS}u;
const BLOCK_SIZE: u32 = ${BS}u;
const NEG_BIG: f32 = -3.0e38;  // finite "minus infinity" for running maxima (no NaN from inf - inf)

// Team states handed over in the merge tree: [team slot][row][vec4 of D] and (m, l) per [slot][row].
var<workgroup> acc_sh: array<vec4<f32>, ${(teams / 2) * ROWS * (D / 4)}>;
var<workgroup> ml_sh: array<vec2<f32>, ${(teams / 2) * ROWS}>;

// Teams walk their own tokens, so the shuffles sit in non-uniform control flow; they stay within a team.
@diagnostic(off, subgroup_uniformity)
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = paged_work(wg, ROWS);
  if (w.part_start >= w.seq.seq_len) { return; }  // uniform: this sequence has fewer partitions
  let lq = params.queries_per_seq;
  let team = lid / LPK;
  let j = lid % LPK;
  let head_off8 = w.kv_head * BLOCK_SIZE * D8;

  // This lane's slice of each row's query (pre-scaled) and the last key position each row sees.
${queries.join('\n')}
${lastPositions.join('\n')}
${state.join('\n')}

${s.prefetch ? pipelinedLoop.join('\n') : plainLoop.join('\n')}

  // Merge the teams: teams [half, 2 half) hand their state to teams [0, half).
  for (var half = TEAMS / 2u; half > 0u; half /= 2u) {
    if (team >= half && team < 2u * half) {
      let slot = team - half;
${handOver.join('\n')}
    }
    workgroupBarrier();
    if (team < half) {
${takeOver.join('\n')}
    }
    workgroupBarrier();
  }

  if (team == 0u) {
${writes.join('\n')}
  }
}
`;
}
