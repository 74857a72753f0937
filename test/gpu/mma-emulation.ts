/**
 * Subgroup matrices (chromium_experimental_subgroup_matrix) emulated in plain WGSL, so a kernel
 * written for them runs on an adapter without them (SwiftShader, our CI's only WebGPU). Used by
 * hydragen-mma-emulated.test.ts on the kernel that hydragenSharedMmaWgsl generates, and by
 * matmul.test.ts on the compute ceiling's matrix products, with two opt-in modes for kernels that
 * would not fit or would take minutes to compile as described below (EmulationOptions:
 * packWorkgroupHalves, fragmentsByReference).
 *
 * What the rewrite does to the kernel's text (comments are dropped first):
 *   - `enable f16;`, `enable chromium_experimental_subgroup_matrix;` and the
 *     `chromium.subgroup_matrix_uniformity` diagnostic go; `enable subgroups;` stays.
 *   - `var<storage, read> x: array<f16>` becomes `array<u32>`: the same bytes (two f16 a word, as
 *     the host uploads them), read with unpack2x16float.
 *   - `var<workgroup> x: array<f16, N>` becomes `array<f32, N>`; `f16(v)` becomes emu_f16(v), which
 *     rounds v to an f16 value (pack2x16float and back) and keeps it as f32; `bitcast<vec2<f16>>(w)`
 *     (two f16 from a u32's bits) becomes unpack2x16float(w), the same values as f32.
 *   - subgroup_matrix_left / _right / _result<..., 16, 16> become the structs EmuLeft / EmuRight /
 *     EmuAcc (so passing the wrong kind of matrix is still a type error); subgroupMatrixLoad,
 *     subgroupMatrixStore and subgroupMatrixMultiplyAccumulate become emu_* functions.
 *   - The entry point's `@builtin(subgroup_invocation_id) lane: u32` goes; `lane` becomes
 *     local_invocation_index % 32. Everything else stays as written: the kernel's barriers,
 *     workgroupUniformLoad, per-subgroup offsets and subgroupShuffleXor.
 *
 * The emulated subgroup is 32 consecutive local invocations (invocation i is lane i % 32 of
 * subgroup i / 32). The kernel's own subgroup operations (subgroupShuffleXor(x, 1u) between lanes
 * 2r and 2r + 1) still run on the adapter's real subgroups: right when the real subgroups are
 * aligned runs of at least 2 consecutive invocations, so that the real partner of invocation i is
 * i ^ 1 (SwiftShader: 4; the test checks it on the adapter before trusting the emulation).
 *
 * Fragment layout: lane l holds row l % 16, columns (l / 16) * 8 .. + 7 of each 16x16 matrix, on
 * purpose not the kernel's own lane-to-row mapping (row lane / 2), so a kernel that assumed a
 * fragment layout (which the hardware keeps opaque) would read the wrong elements here.
 *
 * Precision: K/V are the host's f16 values; Q and P are rounded to f16 where the kernel converts
 * them (pack2x16float: WGSL lets it pick either neighbour; SwiftShader, in Dawn and in Chromium,
 * rounds to nearest like roundToF16, checked on 65536 values); the
 * products of two f16 values are exact in f32 and summed in f32, 16 terms in order. So the
 * emulation is the hardware's f16 x f16 -> f32 product up to summation order.
 *
 * Memory ordering: the multiply-accumulate exchanges operands through workgroup memory (emu_a,
 * emu_b: 1 KiB a subgroup) between two workgroupBarrier()s, which the hardware's instruction does
 * not have. Those barriers can hide races the hardware would expose (e.g. a missing barrier between
 * writes of a workgroup array and matrix loads of it, when a multiply-accumulate happens to sit
 * between them), and SwiftShader runs a workgroup's invocations in its own order. So a pass here
 * proves the kernel's algorithm and indexing, not its memory ordering or its speed. Those barriers
 * also need every multiply-accumulate in workgroup-uniform control flow (the hardware needs only
 * subgroup-uniform flow); a kernel that breaks that fails to compile here, loudly.
 *
 * Check (with `report`, the name of a read_write `array<f32>` storage binding whose last element
 * the caller reserves, set to 0): the emulation sets that element to 1 when a matrix load reads an
 * element at or past the end of its storage array, which robust buffer access would otherwise clamp
 * silently (the kernel reads up to step - 1 keys past an item's last key; the host pads the pool).
 */

/** Lanes of an emulated subgroup (the kernel's MMA_SUBGROUP). */
export const EMULATED_SUBGROUP = 32;
/** Workgroup memory the emulation adds for each emulated subgroup (emu_a and emu_b, packed f16). */
export const EMULATION_BYTES_PER_SUBGROUP = 2 * 128 * 4;

export interface EmulationOptions {
  /** A read_write array<f32> storage binding whose last element receives the read-past-the-end flag. */
  readonly report?: string;
  /**
   * Keep workgroup f16 arrays at their own size: `array<f16, N>` becomes `array<atomic<u32>, N / 2>`
   * (two f16 a word, as the hardware stores them), each element write `X[i] = v;` an
   * atomicAnd/atomicOr of its half, each matrix load an atomicLoad. For kernels whose f16 arrays,
   * widened to f32, would not fit SwiftShader's 32 KiB (the matrix products' staged slabs). Such an
   * array may only be written element by element and read by matrix loads.
   */
  readonly packWorkgroupHalves?: boolean;
  /**
   * Left and right matrices by reference: a load keeps its array, offset and stride, and the
   * product reads the 16 values of its row and the 16x8 of its columns from that array when it
   * runs; no exchange through workgroup memory, so no barrier in a product. SwiftShader compiles a
   * kernel of 16 products a step many times faster this way (each barrier is a suspension point of
   * the compiled routine, with every live matrix saved across it). Right only when the array is
   * not written between a load and the products that use it (true of the matrix products: their
   * barriers separate the writes of a slab from its loads). Products must take loaded matrices by
   * name (`let a0 = subgroupMatrixLoad(...)`), each name bound to one array and layout.
   */
  readonly fragmentsByReference?: boolean;
}

type Kind = 'left' | 'right' | 'result';
type Layout = 'row_major' | 'col_major';
interface LoadInfo {
  readonly array: string;
  readonly kind: Kind;
  readonly layout: Layout;
}
const STRUCT: Record<Kind, string> = { left: 'EmuLeft', right: 'EmuRight', result: 'EmuAcc' };
const J = [0, 1, 2, 3, 4, 5, 6, 7];

function fail(why: string): never {
  throw new Error(`emulateSubgroupMatrices: ${why}`);
}

/** Invocations a workgroup, from `@workgroup_size(N)` or `@workgroup_size(NAME)` with `const NAME: u32 = Nu;`. */
function workgroupSize(code: string): number {
  const m = /@workgroup_size\(\s*(\w+)\s*\)/.exec(code);
  if (!m) fail('no one-dimensional @workgroup_size(...) found');
  const literal = /^(\d+)u?$/.exec(m[1]);
  if (literal) return Number(literal[1]);
  const c = new RegExp(`\\bconst\\s+${m[1]}\\s*(?::\\s*u32\\s*)?=\\s*(\\d+)u?\\s*;`).exec(code);
  if (!c) fail(`cannot resolve @workgroup_size(${m[1]}) to a number`);
  return Number(c[1]);
}

/** The @compute entry point's parameter list: text between `open` (its "(") and its ")", and where its body starts (after "{"). */
function entryPoint(code: string): { open: number; params: string; body: number } {
  const m = /@compute[\s\S]*?\bfn\s+\w+\s*\(/.exec(code);
  if (!m) fail('no @compute entry point found');
  const open = m.index + m[0].length - 1;
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === '(') depth++;
    else if (code[i] === ')' && --depth === 0) {
      const brace = code.indexOf('{', i);
      if (brace < 0 || code.slice(i + 1, brace).trim() !== '') fail('the entry point has a return type or no body');
      return { open, params: code.slice(open + 1, i), body: brace + 1 };
    }
  }
  fail('unbalanced parentheses in the entry point');
}

/** Index of the "}" matching the "{" at `open`. */
function closingBrace(code: string, open: number): number {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === '{') depth++;
    else if (code[i] === '}' && --depth === 0) return i;
  }
  fail('unbalanced braces in the entry point');
}

/** `text` split at commas outside parentheses and angle brackets. */
function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(' || ch === '<') depth++;
    else if (ch === ')' || ch === '>') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out.filter(Boolean);
}

/** The kernel's WGSL with subgroup matrices emulated (see the header). */
export function emulateSubgroupMatrices(wgsl: string, options: EmulationOptions = {}): string {
  let t = wgsl.replace(/\/\/[^\n]*/g, '');
  const wg = workgroupSize(t);
  if (wg % EMULATED_SUBGROUP !== 0) fail(`workgroup size ${wg} is not a multiple of ${EMULATED_SUBGROUP}`);
  const subgroups = wg / EMULATED_SUBGROUP;

  t = t
    .replace(/^\s*enable\s+f16\s*;/m, '')
    .replace(/^\s*enable\s+chromium_experimental_subgroup_matrix\s*;/m, '')
    .replace(/^\s*diagnostic\s*\(\s*off\s*,\s*chromium\.subgroup_matrix_uniformity\s*\)\s*;/m, '');
  if (!/^\s*enable\s+subgroups\s*;/m.test(t)) t = `enable subgroups;\n${t}`;

  // f16 arrays: storage ones packed two a u32 (the host's bytes), workgroup ones widened to f32.
  const packed = new Set<string>();
  const halfArrays = new Set<string>();
  t = t.replace(/var<storage\s*,\s*(read|read_write)>\s+(\w+)\s*:\s*array<\s*f16\s*>/g, (_, access, name) => {
    if (access !== 'read') fail(`storage array ${name} of f16 is written; only read-only f16 arrays are emulated`);
    packed.add(name);
    halfArrays.add(name);
    return `var<storage, read> ${name}: array<u32>`;
  });
  const shared = new Set<string>();
  if (options.packWorkgroupHalves) {
    t = t.replace(/var<workgroup>\s+(\w+)\s*:\s*array<\s*f16\s*,\s*(\d+)u?\s*>/g, (_, name: string, n: string) => {
      if (Number(n) % 2 !== 0) fail(`workgroup array ${name} has an odd length ${n}; it cannot be packed two a word`);
      shared.add(name);
      halfArrays.add(name);
      return `var<workgroup> ${name}: array<u32, ${Number(n) / 2}>`;
    });
    for (const name of shared) t = packedWrites(t, name);
  }
  t = t.replace(/var<workgroup>\s+(\w+)\s*:\s*array<\s*f16\s*,/g, (_, name) => {
    halfArrays.add(name);
    return `var<workgroup> ${name}: array<f32,`;
  });
  t = t.replace(/\bf16\(/g, 'emu_f16(');
  // Two f16 from a word's bits: the f32 values of the same two halves.
  t = t.replace(/\bbitcast\s*<\s*vec2\s*<\s*f16\s*>\s*>\s*\(/g, 'unpack2x16float(');

  // Matrix loads, stores and products.
  const loads = new Map<string, LoadInfo>();
  t = t.replace(
    /subgroupMatrixLoad\s*<\s*subgroup_matrix_(left|right|result)\s*<\s*(f16|f32)\s*,\s*16\s*,\s*16\s*>\s*,\s*(row_major|col_major)\s*>\s*\(\s*&\s*(\w+)\s*,/g,
    (_, kind: Kind, component: string, layout: Layout, array: string) => {
      const half = halfArrays.has(array);
      if ((component === 'f16') !== half)
        fail(`a ${component} ${kind} matrix is loaded from ${array}, an array of ${half ? 'f16' : 'f32'}`);
      if (kind === 'result' && component !== 'f32') fail('only f32 result matrices are emulated');
      const fn = `emu_load_${array}_${kind}_${layout}`;
      loads.set(fn, { array, kind, layout });
      return `${fn}(`;
    },
  );
  const stores = new Map<string, { array: string; layout: Layout | null }>();
  t = t.replace(
    /subgroupMatrixStore\s*(?:<\s*(row_major|col_major)\s*>)?\s*\(\s*&\s*(\w+)\s*,/g,
    (_, layout: Layout | undefined, array: string) => {
      // Only result (f32) matrices are stored by the emulation, so only into f32 arrays.
      if (halfArrays.has(array)) fail(`a matrix is stored into ${array}, an array of f16`);
      const fn = `emu_store_${array}${layout ? `_${layout}` : ''}`;
      stores.set(fn, { array, layout: layout ?? null });
      return `${fn}(`;
    },
  );
  const products = new Map<string, { a: LoadInfo; b: LoadInfo }>();
  if (options.fragmentsByReference) {
    // Which load each matrix name holds.
    const bound = new Map<string, LoadInfo>();
    for (const m of t.matchAll(/\b(?:(?:let|var)\s+)?(\w+)\s*(?::\s*\w+\s*)?=\s*(emu_load_\w+)\s*\(/g)) {
      const info = loads.get(m[2]);
      if (!info) fail(`unknown load ${m[2]}`);
      const before = bound.get(m[1]);
      if (before && before !== info) fail(`matrix ${m[1]} holds loads from two arrays or layouts; name them apart`);
      bound.set(m[1], info);
    }
    t = t.replace(/\bsubgroupMatrixMultiplyAccumulate\s*\(\s*(\w+)\s*,\s*(\w+)\s*,/g, (_, x: string, y: string) => {
      const a = bound.get(x);
      const b = bound.get(y);
      if (a?.kind !== 'left') fail(`product of ${x}, which is not a loaded left matrix`);
      if (b?.kind !== 'right') fail(`product with ${y}, which is not a loaded right matrix`);
      const fn = `emu_mma_${a.array}_${a.layout}_${b.array}_${b.layout}`;
      products.set(fn, { a, b });
      return `${fn}(${x}, ${y},`;
    });
    t = batchProducts(t);
  } else {
    t = t.replace(/\bsubgroupMatrixMultiplyAccumulate\s*\(/g, 'emu_mma(');
  }
  t = t.replace(
    /\bsubgroup_matrix_(left|right|result)\s*<\s*(f16|f32)\s*,\s*16\s*,\s*16\s*>/g,
    (_, kind: Kind) => STRUCT[kind],
  );

  // The entry point: lane = local_invocation_index % 32 instead of subgroup_invocation_id.
  const entry = entryPoint(t);
  const params = splitTopLevel(entry.params);
  const lidParam = params.map((p) => /@builtin\(\s*local_invocation_index\s*\)\s*(\w+)/.exec(p)).find(Boolean);
  if (!lidParam) fail('the entry point has no @builtin(local_invocation_index) parameter');
  const laneIndex = params.findIndex((p) => /@builtin\(\s*subgroup_invocation_id\s*\)/.test(p));
  const prologue = [`  emu_lid = ${lidParam[1]};`];
  if (laneIndex >= 0) {
    const lane = /\)\s*(\w+)\s*:/.exec(params[laneIndex]);
    if (!lane) fail(`cannot read the subgroup_invocation_id parameter "${params[laneIndex]}"`);
    prologue.push(`  let ${lane[1]} = ${lidParam[1]} % ${EMULATED_SUBGROUP}u;`);
    params.splice(laneIndex, 1);
  }
  // The body, its returns and its end flush the checks' flags (emu_flush).
  const close = closingBrace(t, entry.body - 1);
  const body = t.slice(entry.body, close).replace(/\breturn\s*;/g, '{ emu_flush(); return; }');
  t = `${t.slice(0, entry.open)}(${params.join(',\n        ')}) {\n${prologue.join('\n')}${body}  emu_flush();\n${t.slice(close)}`;

  // Runtime-sized storage arrays: loads from them are checked against arrayLength.
  const storage = new Set([...t.matchAll(/var<storage[^>]*>\s+(\w+)\s*:\s*array<[^,>]+>/g)].map((m) => m[1]));

  if (options.report && !storage.has(options.report))
    fail(`report binding ${options.report} is not a runtime-sized storage array of the module`);

  const left = t.replace(/\/\/[^\n]*/g, '');
  const leftover = /\bf16\b|subgroup_matrix|subgroupMatrix|subgroup_invocation_id/.exec(left);
  if (leftover) fail(`"${leftover[0]}" is left after the rewrite: a construct this emulation does not know`);

  return `${t}\n${library(subgroups, loads, stores, products, { packed, storage, shared }, options.report)}`;
}

/**
 * Runs of consecutive products `c = emu_mma_F(a, b, c);` (same F, distinct accumulators) become one
 * loop over the run with a single product in its body: SwiftShader inlines every call, and a
 * kernel's 16 products a step, each a loop of 9 gathers, took it tens of seconds to compile. The
 * products of a run are independent (distinct accumulators), so the loop computes what the run did.
 */
function batchProducts(code: string): string {
  const product = /^[ \t]*(\w+)\s*=\s*(emu_mma_\w+)\(\s*(\w+)\s*,\s*(\w+)\s*,\s*(\w+)\s*\)\s*;[ \t]*$/;
  const lines = code.split('\n');
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const run: RegExpExecArray[] = [];
    for (let m = product.exec(lines[i + run.length] ?? ''); m; m = product.exec(lines[i + run.length] ?? '')) {
      if (m[1] !== m[5] || (run.length > 0 && m[2] !== run[0][2]) || run.some((r) => r[1] === m?.[1])) break;
      run.push(m);
    }
    if (run.length < 2) {
      out.push(lines[i]);
      i++;
      continue;
    }
    const lefts = [...new Set(run.map((m) => m[3]))];
    const rights = [...new Set(run.map((m) => m[4]))];
    const list = (xs: readonly (string | number)[], suffix = '') => xs.map((x) => `${x}${suffix}`).join(', ');
    out.push(
      '  {',
      `    var emu_ls = array<EmuLeft, ${lefts.length}>(${list(lefts)});`,
      `    var emu_rs = array<EmuRight, ${rights.length}>(${list(rights)});`,
      `    var emu_li = array<u32, ${run.length}>(${list(
        run.map((m) => lefts.indexOf(m[3])),
        'u',
      )});`,
      `    var emu_ri = array<u32, ${run.length}>(${list(
        run.map((m) => rights.indexOf(m[4])),
        'u',
      )});`,
      `    var emu_cs = array<EmuAcc, ${run.length}>(${list(run.map((m) => m[1]))});`,
      `    for (var q = 0u; q < ${run.length}u; q++) {`,
      `      emu_cs[q] = ${run[0][2]}(emu_ls[emu_li[q]], emu_rs[emu_ri[q]], emu_cs[q]);`,
      '    }',
      ...run.map((m, q) => `    ${m[1]} = emu_cs[${q}];`),
      '  }',
    );
    i += run.length;
  }
  return out.join('\n');
}

/** `name[index] = value;` becomes `emu_put_name(index, value);`; any other element access of `name` fails. */
function packedWrites(code: string, name: string): string {
  let out = '';
  let at = 0;
  const access = new RegExp(`\\b${name}\\s*\\[`, 'g');
  for (let m = access.exec(code); m; m = access.exec(code)) {
    const open = m.index + m[0].length - 1;
    let depth = 0;
    let close = -1;
    for (let i = open; i < code.length && close < 0; i++) {
      if (code[i] === '[') depth++;
      else if (code[i] === ']' && --depth === 0) close = i;
    }
    const assign = /^\s*=(?!=)/.exec(code.slice(close + 1));
    if (close < 0 || !assign)
      fail(`workgroup array ${name} is read element by element; only its writes are emulated packed`);
    const end = code.indexOf(';', close);
    const value = code.slice(close + 1 + assign[0].length, end).trim();
    out += `${code.slice(at, m.index)}emu_put_${name}(${code.slice(open + 1, close)}, ${value});`;
    at = end + 1;
    access.lastIndex = at;
  }
  return out + code.slice(at);
}

function library(
  subgroups: number,
  loads: ReadonlyMap<string, LoadInfo>,
  stores: ReadonlyMap<string, { array: string; layout: Layout | null }>,
  products: ReadonlyMap<string, { a: LoadInfo; b: LoadInfo }>,
  arrays: { packed: ReadonlySet<string>; storage: ReadonlySet<string>; shared: ReadonlySet<string> },
  report: string | undefined,
): string {
  const { packed, storage, shared } = arrays;
  const words = 128; // one 16x16 f16 matrix, two values a u32
  const byReference = products.size > 0;
  const lib = [
    '// ---- Emulated subgroup matrices (test/gpu/mma-emulation.ts) ----',
    '// Lane l of a 32-invocation subgroup holds row l % 16, columns (l / 16) * 8 .. + 7: lo = 0..3, hi = 4..7.',
    ...(byReference
      ? [
          '// Left and right matrices by reference: where they were loaded from (see fragmentsByReference).',
          'struct EmuLeft { off: u32, st: u32 }',
          'struct EmuRight { off: u32, st: u32 }',
        ]
      : ['struct EmuLeft { lo: vec4<f32>, hi: vec4<f32> }', 'struct EmuRight { lo: vec4<f32>, hi: vec4<f32> }']),
    'struct EmuAcc { lo: vec4<f32>, hi: vec4<f32> }',
    'var<private> emu_lid: u32;',
    ...(byReference
      ? []
      : [
          `var<workgroup> emu_a: array<u32, ${subgroups * words}>;   // per subgroup: the left operand, packed f16`,
          `var<workgroup> emu_b: array<u32, ${subgroups * words}>;   // per subgroup: the right operand, packed f16`,
        ]),
    '// Element i of packed f16 (word w holds elements 2w, 2w + 1): a shift, not a dynamic vector index (cheaper to compile).',
    'fn emu_half(word: u32, i: u32) -> f32 { return unpack2x16float(word >> ((i % 2u) * 16u)).x; }',
    'fn emu_f16(x: f32) -> f32 { return unpack2x16float(pack2x16float(vec2<f32>(x, 0.0))).x; }',
    `fn emu_sg() -> u32 { return emu_lid / ${EMULATED_SUBGROUP}u; }`,
    'fn emu_row() -> u32 { return emu_lid % 16u; }',
    'fn emu_col0() -> u32 { return ((emu_lid / 16u) % 2u) * 8u; }',
  ];
  if (report) {
    // The flag gathers in a private word and reaches the buffer once, at the end of the entry point.
    lib.push(
      'var<private> emu_read_past_end: bool;',
      '// A load must stay inside its storage array (robust access would clamp it silently).',
      'fn emu_check_end(last: u32, len: u32) { emu_read_past_end = emu_read_past_end || last >= len; }',
      `fn emu_flush() { if (emu_read_past_end) { ${report}[arrayLength(&${report}) - 1u] = 1.0; } }`,
    );
  } else {
    lib.push('fn emu_flush() {}');
  }
  for (const name of shared) {
    lib.push(
      `// ${name}: f16 a half of each word; a write changes its half only.`,
      `fn emu_put_${name}(i: u32, v: f32) {`,
      '  let shift = (i % 2u) * 16u;',
      `  ${name}[i / 2u] = (${name}[i / 2u] & ~(0xffffu << shift)) | ((pack2x16float(vec2<f32>(v, 0.0)) & 0xffffu) << shift);`,
      '}',
    );
  }
  const index = (layout: Layout, j: number) =>
    layout === 'row_major' ? `off + r * st + c + ${j}u` : `off + (c + ${j}u) * st + r`;
  /** Element i (an expression) of an array, as f32. */
  const element = (array: string, i: string) =>
    packed.has(array) || shared.has(array) ? `emu_half(${array}[(${i}) / 2u], ${i})` : `${array}[${i}]`;
  for (const [fn, { array, kind, layout }] of loads) {
    const get = (j: number) =>
      packed.has(array) ? `unpack2x16float(${array}[i${j} / 2u])[i${j} % 2u]` : element(array, `i${j}`);
    if (byReference && kind !== 'result') {
      const check =
        report && storage.has(array)
          ? [`  emu_check_end(off + 15u * st + 15u, arrayLength(&${array})${packed.has(array) ? ' * 2u' : ''});`]
          : [];
      lib.push(`fn ${fn}(off: u32, st: u32) -> ${STRUCT[kind]} {`, ...check, `  return ${STRUCT[kind]}(off, st);`, '}');
      continue;
    }
    const body = [
      `fn ${fn}(off: u32, st: u32) -> ${STRUCT[kind]} {`,
      '  let r = emu_row();',
      '  let c = emu_col0();',
      ...J.map((j) => `  let i${j} = ${index(layout, j)};`),
    ];
    if (report && storage.has(array))
      body.push(`  emu_check_end(max(i0, i7), arrayLength(&${array})${packed.has(array) ? ' * 2u' : ''});`);
    body.push(
      `  return ${STRUCT[kind]}(vec4<f32>(${[0, 1, 2, 3].map(get).join(', ')}), vec4<f32>(${[4, 5, 6, 7].map(get).join(', ')}));`,
      '}',
    );
    lib.push(...body);
  }
  for (const [fn, { array, layout }] of stores) {
    const value = (j: number) => `m.${j < 4 ? 'lo' : 'hi'}[${j % 4}]`;
    const args = layout ? 'off: u32, m: EmuAcc, st: u32' : 'off: u32, m: EmuAcc, col_major: bool, st: u32';
    const cm = layout ? (layout === 'col_major' ? 'true' : 'false') : 'col_major';
    lib.push(
      `fn ${fn}(${args}) {`,
      '  let r = emu_row();',
      '  let c = emu_col0();',
      ...J.map((j) => `  ${array}[select(${index('row_major', j)}, ${index('col_major', j)}, ${cm})] = ${value(j)};`),
      '}',
    );
  }
  // Products by reference: row r of A and columns c .. c + 7 of B read where they were loaded from.
  // Left (r, k): row_major off + r st + k, col_major off + k st + r. Right (k, n): row_major off + k st + n, col_major off + n st + k.
  for (const [fn, { a, b }] of products) {
    const left = a.layout === 'row_major' ? 'a.off + r * a.st + k' : 'a.off + k * a.st + r';
    const right = (j: number) =>
      b.layout === 'row_major' ? `b.off + k * b.st + c + ${j}u` : `b.off + (c + ${j}u) * b.st + k`;
    const col = (js: number[]) => `vec4<f32>(${js.map((j) => element(b.array, right(j))).join(', ')})`;
    lib.push(
      `fn ${fn}(a: EmuLeft, b: EmuRight, acc: EmuAcc) -> EmuAcc {`,
      '  let r = emu_row();',
      '  let c = emu_col0();',
      '  var lo = acc.lo;',
      '  var hi = acc.hi;',
      '  for (var k = 0u; k < 16u; k++) {',
      `    let av = ${element(a.array, left)};`,
      `    lo += av * ${col([0, 1, 2, 3])};`,
      `    hi += av * ${col([4, 5, 6, 7])};`,
      '  }',
      '  return EmuAcc(lo, hi);',
      '}',
    );
  }
  if (byReference) return `${lib.join('\n')}\n`;
  lib.push(
    "// C + A B for this subgroup: each lane puts its part of A and B in the subgroup's slice of",
    '// emu_a / emu_b, and after a barrier computes its 8 elements of the result from row r of A and',
    '// columns c .. c + 7 of B; the second barrier keeps the next call from overwriting them early.',
    'fn emu_mma(a: EmuLeft, b: EmuRight, acc: EmuAcc) -> EmuAcc {',
    `  let base = emu_sg() * ${words}u;`,
    '  let w = base + (emu_row() * 16u + emu_col0()) / 2u;',
    '  emu_a[w] = pack2x16float(a.lo.xy);',
    '  emu_a[w + 1u] = pack2x16float(a.lo.zw);',
    '  emu_a[w + 2u] = pack2x16float(a.hi.xy);',
    '  emu_a[w + 3u] = pack2x16float(a.hi.zw);',
    '  emu_b[w] = pack2x16float(b.lo.xy);',
    '  emu_b[w + 1u] = pack2x16float(b.lo.zw);',
    '  emu_b[w + 2u] = pack2x16float(b.hi.xy);',
    '  emu_b[w + 3u] = pack2x16float(b.hi.zw);',
    '  workgroupBarrier();',
    '  var lo = acc.lo;',
    '  var hi = acc.hi;',
    '  let arow = base + emu_row() * 8u;',
    '  let bcol = base + emu_col0() / 2u;',
    '  for (var k2 = 0u; k2 < 8u; k2++) {',
    '    let av = unpack2x16float(emu_a[arow + k2]);',
    '    for (var h = 0u; h < 2u; h++) {',
    '      let bw = bcol + (2u * k2 + h) * 8u;',
    '      lo += av[h] * vec4<f32>(unpack2x16float(emu_b[bw]), unpack2x16float(emu_b[bw + 1u]));',
    '      hi += av[h] * vec4<f32>(unpack2x16float(emu_b[bw + 2u]), unpack2x16float(emu_b[bw + 3u]));',
    '    }',
    '  }',
    '  workgroupBarrier();',
    '  return EmuAcc(lo, hi);',
    '}',
  );
  return `${lib.join('\n')}\n`;
}
