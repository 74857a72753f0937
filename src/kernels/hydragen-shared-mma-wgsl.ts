/**
 * WGSL of Hydragen's shared-segment kernel on tensor cores (chromium_experimental_subgroup_matrix:
 * f16 16x16x16 products with f32 results), generated for one head dimension and one MmaShape.
 * Host side: hydragen-shared.ts. Same work items as the portable kernel (shaders/hydragen-work.wgsl):
 * a (shared segment, key chunk, KV head, tile of query rows).
 *
 * A workgroup is `subgroups` subgroups of 32 lanes; subgroup g owns 16 x rowBlocks consecutive tile
 * rows and addresses its own slices of workgroup memory, so subgroup-matrix offsets differ between
 * the subgroups of a workgroup (`chromium.subgroup_matrix_uniformity` is turned off: they are
 * uniform within each subgroup, which is what the hardware needs). Per step of `step` keys:
 *   S[R x step] = Q[R x D] K^T       Q staged once (pre-scaled, f16) in workgroup memory; R = 16 x rowBlocks
 *   softmax per row (2 lanes a row at rowBlocks 1, 1 lane a row at rowBlocks 2) against a reference
 *     max m that is raised only when a step's max exceeds it by more than RESCALE_MARGIN (so
 *     probabilities stay below e^margin, fine in f16 and f32); P = exp(S - m) as f16
 *   only when some row raised m (rare after the first steps) do the output matrices go through
 *     workgroup memory, to be scaled by exp(m_old - m_new) row by row
 *   O[R x D] += P V                   O stays in rowBlocks x D / 16 result matrices for the whole chunk
 * At the end o = O / l and lse = m + log l per row are written as the item's partials.
 * A step reads up to step - 1 keys past the item's last key; the host pads the K/V pool so those
 * reads stay inside the buffer (their probabilities are 0).
 *
 * The shape's knobs (MmaShape), each a rung of the ladder that the matrix-product ceiling climbed
 * (see benches/results/README.md for what each bought on an H200):
 *   - staged: at the start of each step the whole workgroup copies the step's K and V rows into
 *     workgroup memory with 16-byte loads (the pool bound as vec4<u32>, each word two f16), and
 *     every subgroup loads its matrices from there; unstaged, each subgroup loads its K and V
 *     matrices straight from the pool and the repeats hit the SM's cache.
 *   - rowBlocks: 16-row blocks a subgroup owns. At 2 every K and V fragment it loads feeds two
 *     products instead of one (fragment loads, not the tensor cores, bound the 1-block kernel), for
 *     twice the output registers (D / 8 result matrices a subgroup).
 *   - pad: f16 elements added to every row of the workgroup arrays (Q, staged K/V, P; S rows get
 *     pad / 2 f32 unless sPad says otherwise: at D 128 a padded S is 16 bytes too many for 48 KiB). Without it, rows of D = 128 f16 start 256 bytes apart, in the same banks, and
 *     the 16 rows of a fragment load collide; the matrix-product ceiling doubled with a pad of 8.
 *   - prefetch (staged only): the next step's K/V words are loaded into registers before this
 *     step's products, so the global loads are in flight while the tensor cores work.
 *
 * Why generated: O is rowBlocks x D / 16 result matrices that must stay in registers, and arrays of
 * subgroup matrices indexed by loop variables gave wrong results with this Dawn and driver (and
 * arrays of per-lane values went to slow memory, see paged-decode-wgsl.ts); so each matrix is a
 * named variable and the loops over D, row blocks and a step's 16-key blocks are written out.
 *
 * Found on the H100 (Dawn/Vulkan, driver 580; bisected by hand, 2026-11-27): with a lone 4-byte
 * `var<workgroup>` scalar (the rescale flag as a u32) in this module, every result was wrong, even
 * when the scalar was only written; as a vec4<u32> the same kernel is right. Keep every workgroup
 * variable of this module a multiple of 16 bytes.
 */

export const MMA_SUBGROUP = 32;
/** Rows of one 16-row block (the matrices' M). */
export const MMA_ROWS = 16;
/** Natural-log margin by which a row's max may exceed its reference max before O is rescaled. */
const RESCALE_MARGIN = 8;

export interface MmaShape {
  readonly headDim: number;
  /** Subgroups of 32 lanes a workgroup. */
  readonly subgroups: number;
  /** Keys per step: a multiple of 16. */
  readonly step: number;
  /** Copy each step's K/V rows into workgroup memory first (see the header); default false. */
  readonly staged?: boolean;
  /** 16-row blocks a subgroup owns: 1 (default) or 2. */
  readonly rowBlocks?: number;
  /** f16 elements added to each workgroup-memory row: 0 (default) or a multiple of 8. */
  readonly pad?: number;
  /** Staged only: load the next step's K/V into registers during this step's products; default false. */
  readonly prefetch?: boolean;
  /** f32 elements added to each row of the scores (a multiple of 4); default pad / 2. */
  readonly sPad?: number;
  /**
   * Staged only: the queries' fragments stay in registers for the whole chunk instead of being
   * loaded from workgroup memory every step; they are staged once through the K/V area, so the
   * queries need no workgroup memory of their own. Default false.
   */
  readonly qInRegisters?: boolean;
  /**
   * Softmax written out: each lane reads its scores of a step once into named registers (columns
   * interleaved between a row's lanes), instead of two loops that read them twice. Default false.
   */
  readonly unrolledSoftmax?: boolean;
  /**
   * With unrolledSoftmax: steps a row sees whole skip the masks, and exp(x - m) is one fused
   * multiply-add and an exp2. Default false.
   */
  readonly fastSoftmax?: boolean;
}

/** The scores' row padding of a shape (f32 elements). */
const sPadOf = (s: Omit<MmaShape, 'headDim'>) => s.sPad ?? (s.pad ?? 0) / 2;

/** Short name of a shape, e.g. "sg4 rb2 s32 staged pad8 spad0 prefetch" (without the head dim). */
export function mmaShapeName(s: Omit<MmaShape, 'headDim'>): string {
  return [
    `sg${s.subgroups}`,
    `rb${s.rowBlocks ?? 1}`,
    `s${s.step}`,
    s.staged ? 'staged' : 'pool',
    ...((s.pad ?? 0) > 0 ? [`pad${s.pad}`] : []),
    ...(s.sPad !== undefined && s.sPad !== (s.pad ?? 0) / 2 ? [`spad${s.sPad}`] : []),
    ...(s.prefetch ? ['prefetch'] : []),
    ...(s.qInRegisters ? ['qreg'] : []),
    ...(s.unrolledSoftmax ? ['unroll'] : []),
    ...(s.fastSoftmax ? ['fast'] : []),
  ].join(' ');
}

/** The shape a name from mmaShapeName stands for (without the head dim), or why the name is not one. */
export function parseMmaShapeName(name: string): Omit<MmaShape, 'headDim'> | string {
  const words = name.trim().split(/[\s,+_-]+/);
  let subgroups = 0;
  let rowBlocks = 1;
  let step = 0;
  let staged: boolean | undefined;
  let pad = 0;
  let sPad: number | undefined;
  let prefetch = false;
  let qInRegisters = false;
  let unrolledSoftmax = false;
  let fastSoftmax = false;
  for (const w of words) {
    const m = /^(sg|rb|s|pad|spad)(\d+)$/.exec(w);
    const n = Number(m?.[2]);
    if (m?.[1] === 'sg') subgroups = n;
    else if (m?.[1] === 'rb') rowBlocks = n;
    else if (m?.[1] === 's') step = n;
    else if (m?.[1] === 'pad') pad = n;
    else if (m?.[1] === 'spad') sPad = n;
    else if (w === 'staged') staged = true;
    else if (w === 'pool') staged = false;
    else if (w === 'prefetch') prefetch = true;
    else if (w === 'qreg') qInRegisters = true;
    else if (w === 'unroll') unrolledSoftmax = true;
    else if (w === 'fast') fastSoftmax = true;
    else
      return `"${w}" is not part of a shape name (sgN rbN sN staged|pool [padN] [spadN] [prefetch] [qreg] [unroll] [fast])`;
  }
  if (subgroups === 0 || step === 0 || staged === undefined)
    return `"${name}" needs sgN, sN and staged or pool, e.g. "sg4 rb1 s32 staged pad8"`;
  return {
    subgroups,
    step,
    staged,
    ...(rowBlocks !== 1 ? { rowBlocks } : {}),
    ...(pad > 0 ? { pad } : {}),
    ...(sPad !== undefined && sPad !== pad / 2 ? { sPad } : {}),
    ...(prefetch ? { prefetch } : {}),
    ...(qInRegisters ? { qInRegisters } : {}),
    ...(unrolledSoftmax ? { unrolledSoftmax } : {}),
    ...(fastSoftmax ? { fastSoftmax } : {}),
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Row strides (elements) and sizes (bytes) of the kernel's workgroup arrays. */
export function mmaLayout(s: MmaShape) {
  const pad = s.pad ?? 0;
  const rows = s.subgroups * MMA_ROWS * (s.rowBlocks ?? 1);
  const qStride = s.headDim + pad;
  const kvStride = s.headDim + pad;
  const sStride = s.step + sPadOf(s);
  const pStride = s.step + pad;
  return {
    rows,
    qStride,
    kvStride,
    sStride,
    pStride,
    /** Bytes of the f16 arrays (Q, P, staged K/V) and of the f32 array (S), without the 16-byte flag. */
    f16Bytes:
      (s.qInRegisters ? 0 : rows * qStride * 2) + rows * pStride * 2 + (s.staged ? 2 * s.step * kvStride * 2 : 0),
    f32Bytes: rows * sStride * 4,
  };
}

/** Workgroup memory of the kernel (bytes). */
export function mmaWorkgroupBytes(s: MmaShape): number {
  const l = mmaLayout(s);
  return l.f16Bytes + l.f32Bytes + 16;
}

/** Why `s` is not a shape this template can write; null when it is. */
export function mmaShapeProblem(s: MmaShape): string | null {
  if (s.headDim % 16 !== 0) return `head dim ${s.headDim} is not a multiple of 16`;
  if (!Number.isInteger(s.subgroups) || s.subgroups < 1) return `subgroups ${s.subgroups} must be a positive integer`;
  if (s.step % 16 !== 0 || s.step < 16) return `step ${s.step} must be a positive multiple of 16`;
  const rb = s.rowBlocks ?? 1;
  if (rb !== 1 && rb !== 2) return `rowBlocks ${rb} must be 1 or 2`;
  const pad = s.pad ?? 0;
  if (!Number.isInteger(pad) || pad < 0 || pad % 8 !== 0) return `pad ${pad} must be 0 or a multiple of 8`;
  const sPad = sPadOf(s);
  if (!Number.isInteger(sPad) || sPad < 0 || sPad % 4 !== 0) return `sPad ${sPad} must be 0 or a multiple of 4`;
  if (s.prefetch && !s.staged) return 'prefetch needs staged K/V';
  if (s.fastSoftmax && !s.unrolledSoftmax) return 'fastSoftmax needs unrolledSoftmax';
  if (s.qInRegisters && !s.staged) return 'qInRegisters needs staged K/V (the queries are staged through it)';
  const l = mmaLayout(s);
  if (s.qInRegisters && l.rows * l.qStride > 2 * s.step * l.kvStride)
    return `qInRegisters: the tile's ${l.rows} query rows do not fit the K/V area of a ${s.step}-key step`;
  return null;
}

export function hydragenSharedMmaWgsl(s: MmaShape): string {
  const why = mmaShapeProblem(s);
  if (why) throw new Error(`subgroup-matrix kernel: ${why}`);
  const { headDim: D, subgroups: SG, step: STEP } = s;
  const staged = s.staged === true;
  const prefetch = s.prefetch === true;
  const RB = s.rowBlocks ?? 1;
  const L = mmaLayout(s);
  const SGR = MMA_ROWS * RB; // rows of a subgroup
  const LPR = MMA_SUBGROUP / SGR; // lanes a row: 2 or 1
  const COLS = STEP / LPR; // keys (or columns) of a lane's part of a row
  const WG = SG * MMA_SUBGROUP;
  const WORDS = (STEP * D) / 8; // 16-byte words of a step's K (or V)
  const WPL = Math.ceil(WORDS / WG); // words a lane copies a step
  // Where a step's K/V matrices are loaded from (offset of the step's first key, and the row stride).
  const kSrc = staged ? '&kv_sh, ' : '&kv_k, kbase + ';
  const vSrc = staged ? '&kv_sh, V_OFF + ' : '&kv_v, kbase + ';
  const qreg = s.qInRegisters === true;
  const qArr = qreg ? 'kv_sh' : 'q_sh'; // where the queries are staged
  const KS = staged ? 'KV_STRIDE' : 'HEAD_DIM';
  const DT = range(D / 16); // 16-column blocks of D (output matrices)
  const KT = range(STEP / 16); // 16-key blocks of a step
  const RBS = range(RB); // row blocks of a subgroup
  // O goes through workgroup memory (a subgroup's score slice, SGR x STEP f32) OG matrices a row block at a time.
  const OG = STEP / 16;
  const groups = range(Math.ceil(DT.length / OG));
  const inGroup = (g: number) => DT.slice(g * OG, (g + 1) * OG);
  const left = 'subgroup_matrix_left<f16, 16, 16>';
  const right = 'subgroup_matrix_right<f16, 16, 16>';
  const result = 'subgroup_matrix_result<f32, 16, 16>';
  const rowOff = (rb: number, stride: string) => (rb === 0 ? '' : ` + ${rb * 16}u * ${stride}`);

  // Q in registers: the D / 16 fragments of each row block, loaded once; the loop over D written out.
  const qFragments = qreg
    ? RBS.flatMap((rb) =>
        DT.map(
          (d) =>
            `  let ql${rb}_${d} = subgroupMatrixLoad<${left}, row_major>(&kv_sh, q_off${rowOff(rb, 'Q_STRIDE')} + ${d * 16}u, Q_STRIDE);`,
        ),
      )
    : [];
  const initScores = RBS.flatMap((rb) => KT.map((k) => `    var s${rb}_${k} = ${result}();`));
  // S += Q K^T over D: from Q's fragments in registers (written out), or loaded every step (a loop).
  const product = qreg
    ? DT.flatMap((d) =>
        KT.flatMap((k) => [
          `    let kr${d}_${k} = subgroupMatrixLoad<${right}, col_major>(&kv_sh, ${k * 16}u * KV_STRIDE + ${d * 16}u, KV_STRIDE);`,
          ...RBS.map(
            (rb) => `    s${rb}_${k} = subgroupMatrixMultiplyAccumulate(ql${rb}_${d}, kr${d}_${k}, s${rb}_${k});`,
          ),
        ]),
      )
    : [
        '    for (var dt = 0u; dt < D16; dt++) {',
        ...RBS.map(
          (rb) =>
            `      let ql${rb} = subgroupMatrixLoad<${left}, row_major>(&q_sh, q_off${rowOff(rb, 'Q_STRIDE')} + dt * 16u, Q_STRIDE);`,
        ),
        ...KT.flatMap((k) => [
          `      let kr${k} = subgroupMatrixLoad<${right}, col_major>(${kSrc}${k * 16}u * ${KS} + dt * 16u, ${KS});`,
          ...RBS.map((rb) => `      s${rb}_${k} = subgroupMatrixMultiplyAccumulate(ql${rb}, kr${k}, s${rb}_${k});`),
        ]),
        '    }',
      ];
  const scores = [
    ...initScores,
    ...product,
    ...RBS.flatMap((rb) =>
      KT.map(
        (k) =>
          `    subgroupMatrixStore(&s_sh, s_off${rowOff(rb, 'S_STRIDE')} + ${k * 16}u, s${rb}_${k}, false, S_STRIDE);`,
      ),
    ),
  ];
  const pv = [
    ...RBS.flatMap((rb) =>
      KT.map(
        (k) =>
          `    let p${rb}_${k} = subgroupMatrixLoad<${left}, row_major>(&p_sh, p_off${rowOff(rb, 'P_STRIDE')} + ${k * 16}u, P_STRIDE);`,
      ),
    ),
    ...DT.flatMap((d) =>
      KT.flatMap((k) => [
        `    let v${d}_${k} = subgroupMatrixLoad<${right}, row_major>(${vSrc}${k * 16}u * ${KS} + ${d * 16}u, ${KS});`,
        ...RBS.map((rb) => `    o${rb}_${d} = subgroupMatrixMultiplyAccumulate(p${rb}_${k}, v${d}_${k}, o${rb}_${d});`),
      ]),
    ),
  ];
  // Copy a step's K and V rows (STEP x D f16 each) into kv_sh (K, then V at V_OFF), 8 values a 16-byte word.
  const half2 = (w: string) => `bitcast<vec2<f16>>(${w})`;
  const storeWord = (name: string, word: string, at: string) =>
    ['x', 'y', 'z', 'w'].flatMap((c, i) => [
      `      let ${name}${c} = ${half2(`${word}.${c}`)};`,
      `      kv_sh[${at} + ${2 * i}u] = ${name}${c}.x;`,
      `      kv_sh[${at} + ${2 * i + 1}u] = ${name}${c}.y;`,
    ]);
  const wordAt = (e: string) => `(${e} / (HEAD_DIM / 8u)) * KV_STRIDE + (${e} % (HEAD_DIM / 8u)) * 8u`;
  const copyDirect = [
    '    for (var e = lid; e < WORDS; e += WG) {',
    '      let wk = kv_k4[kbase / 8u + e];',
    '      let wv = kv_v4[kbase / 8u + e];',
    `      let at = ${wordAt('e')};`,
    ...storeWord('hk', 'wk', 'at'),
    ...storeWord('hv', 'wv', 'V_OFF + at'),
    '    }',
  ];
  // Prefetch: lane words j = lid + j * WG (clamped to the step; the extra lanes' stores are skipped).
  const J = range(WPL);
  const prefetchLoad = (base: string, decl: boolean) =>
    J.flatMap((j) => [
      `${decl ? '  var' : '    '} pk${j} = kv_k4[${base} + min(lid + ${j * WG}u, WORDS - 1u)];`,
      `${decl ? '  var' : '    '} pv${j} = kv_v4[${base} + min(lid + ${j * WG}u, WORDS - 1u)];`,
    ]);
  const copyPrefetched = J.flatMap((j) => [
    `    if (lid + ${j * WG}u < WORDS) {`,
    `      let at = ${wordAt(`(lid + ${j * WG}u)`)};`,
    ...storeWord('hk', `pk${j}`, 'at'),
    ...storeWord('hv', `pv${j}`, 'V_OFF + at'),
    '    }',
  ]);
  const stage = staged
    ? [
        "    workgroupBarrier(); // the previous step's loads of kv_sh are done",
        ...(prefetch ? copyPrefetched : copyDirect),
        '    workgroupBarrier();',
        ...(prefetch
          ? [
              '    // The next step (or this one again at the end: loads stay in the padded pool).',
              '    let next = select(t0, t0 + STEP, t0 + STEP < item.key_limit);',
              '    let nbase = (item.kv_base4 * 4u + next * HEAD_DIM) / 8u;',
              ...prefetchLoad('nbase', false),
            ]
          : []),
      ]
    : [];
  // Scale this subgroup's O by alpha row by row, a group of matrices at a time through s_sh.
  const transitStore = (g: number, indent: string) =>
    RBS.flatMap((rb) =>
      inGroup(g).map(
        (d, i) =>
          `${indent}subgroupMatrixStore(&s_sh, s_off${rowOff(rb, 'S_STRIDE')} + ${i * 16}u, o${rb}_${d}, false, S_STRIDE);`,
      ),
    );
  const rescale = groups.flatMap((g) => [
    ...transitStore(g, '      '),
    '      workgroupBarrier();',
    '      for (var c = part * COLS; c < part * COLS + COLS; c++) { s_sh[s_off + r * S_STRIDE + c] *= alpha; }',
    '      workgroupBarrier();',
    ...RBS.flatMap((rb) =>
      inGroup(g).map(
        (d, i) =>
          `      o${rb}_${d} = subgroupMatrixLoad<${result}, row_major>(&s_sh, s_off${rowOff(rb, 'S_STRIDE')} + ${i * 16}u, S_STRIDE);`,
      ),
    ),
    '      workgroupBarrier();',
  ]);
  // Write o = O / l, a group of matrices at a time through s_sh, each lane its part of a row.
  const writeOut = groups.flatMap((g) => [
    ...transitStore(g, '  '),
    '  workgroupBarrier();',
    '  if (row_ok) {',
    `    for (var c = part * COLS; c < part * COLS + COLS && ${g * OG * 16}u + c < HEAD_DIM; c += 4u) {`,
    '      let at = s_off + r * S_STRIDE + c;',
    '      let v = vec4<f32>(s_sh[at], s_sh[at + 1u], s_sh[at + 2u], s_sh[at + 3u]);',
    `      part_o[me.slot * (HEAD_DIM / 4u) + (${g * OG * 16}u + c) / 4u] = select(vec4<f32>(0.0), v / l_run, has);`,
    '    }',
    '  }',
    '  workgroupBarrier();',
  ]);
  // A lane's scores of a step: two loops over its columns, or written out with each score read once
  // into a register (column i * LPR + part: a row's lanes interleaved, so neighbouring lanes read
  // neighbouring words).
  const loopMax = [
    '    var mx = NEG_BIG;',
    '    for (var c = part * COLS; c < part * COLS + COLS; c++) {',
    '      if (t0 + c < me.vis) { mx = max(mx, s_sh[s_off + r * S_STRIDE + c]); }',
    '    }',
  ];
  const loopExp = [
    '    var sum = 0.0;',
    '    for (var c = part * COLS; c < part * COLS + COLS; c++) {',
    '      let p = select(0.0, exp(s_sh[s_off + r * S_STRIDE + c] - m_ref), t0 + c < me.vis);',
    '      p_sh[p_off + r * P_STRIDE + c] = f16(p);',
    '      sum += p;',
    '    }',
  ];
  const CI = range(COLS);
  const col = (i: number) => `${i * LPR}u + part`;
  const fast = s.fastSoftmax === true;
  const maxOf = CI.slice(1).reduce((a, i) => `max(${a}, x${i})`, 'x0');
  const load = (i: number) => `s_sh[srow + ${col(i)}]`;
  const masked = (i: number) => `${col(i)} < seen`;
  // fast: a row that sees the whole step (all but a chunk's last step, away from causal edges) skips the masks.
  const unrolledMax = [
    '    let srow = s_off + r * S_STRIDE;',
    '    let seen = me.vis - min(me.vis, t0); // keys of this step the row sees',
    ...(fast
      ? [
          '    let whole = seen >= STEP;',
          ...CI.map((i) => `    var x${i} = NEG_BIG;`),
          '    if (whole) {',
          ...CI.map((i) => `      x${i} = ${load(i)};`),
          '    } else {',
          ...CI.map((i) => `      x${i} = select(NEG_BIG, ${load(i)}, ${masked(i)});`),
          '    }',
        ]
      : CI.map((i) => `    let x${i} = select(NEG_BIG, ${load(i)}, ${masked(i)});`)),
    `    var mx = ${maxOf};`,
  ];
  // fast: exp(x - m) as exp2(x * log2(e) - m * log2(e)), a fused multiply-add and an exp2.
  const expOf = (i: number) => (fast ? `exp2(fma(x${i}, LOG2E, -m2))` : `exp(x${i} - m_ref)`);
  const unrolledExp = [
    '    let prow = p_off + r * P_STRIDE;',
    ...(fast
      ? [
          '    let m2 = m_ref * LOG2E;',
          ...CI.map((i) => `    var e${i} = 0.0;`),
          '    if (whole) {',
          ...CI.map((i) => `      e${i} = ${expOf(i)};`),
          '    } else {',
          ...CI.map((i) => `      e${i} = select(0.0, ${expOf(i)}, ${masked(i)});`),
          '    }',
        ]
      : CI.map((i) => `    let e${i} = select(0.0, ${expOf(i)}, ${masked(i)});`)),
    ...CI.map((i) => `    p_sh[prow + ${col(i)}] = f16(e${i});`),
    `    let sum = ${CI.map((i) => `e${i}`).join(' + ')};`,
  ];
  // The two lanes of a row combine their halves; a lone lane has the whole row.
  const pair = (x: string, op: 'max' | 'add') =>
    LPR === 1 ? x : op === 'max' ? `max(${x}, subgroupShuffleXor(${x}, 1u))` : `(${x} + subgroupShuffleXor(${x}, 1u))`;

  return `enable f16;
enable subgroups;
enable chromium_experimental_subgroup_matrix;
diagnostic(off, chromium.subgroup_matrix_uniformity);

// Hydragen shared-segment kernel on subgroup matrices, generated by
// src/kernels/hydragen-shared-mma-wgsl.ts for D ${D}, shape ${mmaShapeName(s)}.

const HEAD_DIM: u32 = ${D}u;
const D16: u32 = ${D / 16}u;
const WG: u32 = ${WG}u;
const SG_ROWS: u32 = ${SGR}u;        // rows of one subgroup
const TILE_Q: u32 = ${L.rows}u;      // rows of the workgroup
const STEP: u32 = ${STEP}u;          // keys per step
const COLS: u32 = ${COLS}u;          // keys (or columns) of a lane's part of a row
const Q_STRIDE: u32 = ${L.qStride}u;  // f16 a row of q_sh
const S_STRIDE: u32 = ${L.sStride}u;  // f32 a row of s_sh
const P_STRIDE: u32 = ${L.pStride}u;  // f16 a row of p_sh
${staged ? `const KV_STRIDE: u32 = ${L.kvStride}u; // f16 a row of kv_sh\nconst V_OFF: u32 = STEP * KV_STRIDE; // V's rows in kv_sh\nconst WORDS: u32 = ${WORDS}u;     // 16-byte words of a step's K (or V)\n` : ''}const MARGIN: f32 = ${RESCALE_MARGIN}.0;
const NEG_BIG: f32 = -3.0e38;
const LOG2E: f32 = 1.4426950408889634;

${
  staged
    ? `// The pool as 16-byte words (8 f16 each), copied a step at a time into kv_sh.
@group(0) @binding(2) var<storage, read> kv_k4: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> kv_v4: array<vec4<u32>>;`
    : `@group(0) @binding(2) var<storage, read> kv_k: array<f16>;
@group(0) @binding(3) var<storage, read> kv_v: array<f16>;`
}

// Every workgroup variable a multiple of 16 bytes (see the header).
${qreg ? '' : "var<workgroup> q_sh: array<f16, TILE_Q * Q_STRIDE>;        // the tile's queries, scaled, row-major\n"}var<workgroup> s_sh: array<f32, TILE_Q * S_STRIDE>;        // per subgroup: scores, or O in transit
var<workgroup> p_sh: array<f16, TILE_Q * P_STRIDE>;        // per subgroup: probabilities
var<workgroup> rescale_sh: vec4<u32>;                      // x: some row raised its reference max
${
  staged
    ? `var<workgroup> kv_sh: array<f16, 2u * STEP * KV_STRIDE>; // this step's K rows, then its V rows${qreg ? '; first the queries' : ''}
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
${prefetch ? `\n  // The first step's K/V words, in flight while the queries are staged.\n${prefetchLoad('item.kv_base4 / 2u', true).join('\n')}\n` : ''}
  // Stage the queries, scaled, as f16 (rows past row_count are zero).
  for (var e = lid; e < TILE_Q * (HEAD_DIM / 4u); e += WG) {
    let rr = e / (HEAD_DIM / 4u);
    var v = vec4<f32>(0.0);
    if (rr < item.row_count) { v = q[row_ref(item, rr).q_row * (HEAD_DIM / 4u) + e % (HEAD_DIM / 4u)] * params.scale; }
    let at = rr * Q_STRIDE + (e % (HEAD_DIM / 4u)) * 4u;
    ${qArr}[at] = f16(v.x);
    ${qArr}[at + 1u] = f16(v.y);
    ${qArr}[at + 2u] = f16(v.z);
    ${qArr}[at + 3u] = f16(v.w);
  }
  if (lid == 0u) { rescale_sh = vec4<u32>(0u); }

  // This lane: subgroup sg, row r of its SG_ROWS (tile row sg * SG_ROWS + r), part \`part\` of each row.
  let sg = lid / ${MMA_SUBGROUP}u;
  let r = lane / ${LPR}u;
  let part = lane % ${LPR}u;
  let tile_row = sg * SG_ROWS + r;
  let q_off = sg * SG_ROWS * Q_STRIDE;
  let s_off = sg * SG_ROWS * S_STRIDE;
  let p_off = sg * SG_ROWS * P_STRIDE;
  let row_ok = tile_row < item.row_count;
  var me = RowRef(0u, 0u, 0u);
  if (row_ok) { me = row_ref(item, tile_row); }
  var m_ref = NEG_BIG;
  var l_run = 0.0;
${RBS.flatMap((rb) => DT.map((d) => `  var o${rb}_${d} = ${result}();`)).join('\n')}
  workgroupBarrier();
${qreg ? `  // The queries' fragments, for the whole chunk (the loop's first barrier guards kv_sh's reuse).\n${qFragments.join('\n')}\n` : ''}
  for (var t0 = 0u; t0 < item.key_limit; t0 += STEP) {
    let kbase = item.kv_base4 * 4u + t0 * HEAD_DIM;
${[...stage, ...scores].join('\n')}
    workgroupBarrier();

    // Softmax against the reference max; raise it only past the margin.
${(s.unrolledSoftmax ? unrolledMax : loopMax).join('\n')}
    mx = ${pair('mx', 'max')};
    var alpha = 1.0;
    if (mx > m_ref + MARGIN) {
      if (m_ref > NEG_BIG) { rescale_sh.x = 1u; }
      alpha = exp(m_ref - mx);
      m_ref = mx;
    }
${(s.unrolledSoftmax ? unrolledExp : loopExp).join('\n')}
    l_run = l_run * alpha + ${pair('sum', 'add')};
    // workgroupUniformLoad is also the barrier between the P writes above and the P loads below.
    if (workgroupUniformLoad(&rescale_sh).x != 0u) {
${rescale.join('\n')}
      if (lid == 0u) { rescale_sh = vec4<u32>(0u); }
    }
${pv.join('\n')}
  }

  // o = O / l and lse = m + log(l), each lane its part of its row.
  let has = l_run > 0.0;
${writeOut.join('\n')}
  if (row_ok && part == 0u) { part_lse[me.slot] = select(params.neg_inf, m_ref + log(l_run), has); }
}
`;
}
