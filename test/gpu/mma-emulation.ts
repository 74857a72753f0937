/**
 * Subgroup matrices (chromium_experimental_subgroup_matrix) emulated in plain WGSL, so a kernel
 * written for them runs on an adapter without them (SwiftShader, our CI's only WebGPU). Used by
 * hydragen-mma-emulated.test.ts on the kernel that hydragenSharedMmaWgsl generates.
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
}

type Kind = 'left' | 'right' | 'result';
type Layout = 'row_major' | 'col_major';
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
  t = t.replace(/var<workgroup>\s+(\w+)\s*:\s*array<\s*f16\s*,/g, (_, name) => {
    halfArrays.add(name);
    return `var<workgroup> ${name}: array<f32,`;
  });
  t = t.replace(/\bf16\(/g, 'emu_f16(');
  // Two f16 from a word's bits: the f32 values of the same two halves.
  t = t.replace(/\bbitcast\s*<\s*vec2\s*<\s*f16\s*>\s*>\s*\(/g, 'unpack2x16float(');

  // Matrix loads, stores and products.
  const loads = new Map<string, { array: string; kind: Kind; layout: Layout }>();
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
  t = t.replace(/\bsubgroupMatrixMultiplyAccumulate\s*\(/g, 'emu_mma(');
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

  return `${t}\n${library(subgroups, loads, stores, { packed, storage }, options.report)}`;
}

function library(
  subgroups: number,
  loads: ReadonlyMap<string, { array: string; kind: Kind; layout: Layout }>,
  stores: ReadonlyMap<string, { array: string; layout: Layout | null }>,
  arrays: { packed: ReadonlySet<string>; storage: ReadonlySet<string> },
  report: string | undefined,
): string {
  const { packed, storage } = arrays;
  const words = 128; // one 16x16 f16 matrix, two values a u32
  const lib = [
    '// ---- Emulated subgroup matrices (test/gpu/mma-emulation.ts) ----',
    '// Lane l of a 32-invocation subgroup holds row l % 16, columns (l / 16) * 8 .. + 7: lo = 0..3, hi = 4..7.',
    'struct EmuLeft { lo: vec4<f32>, hi: vec4<f32> }',
    'struct EmuRight { lo: vec4<f32>, hi: vec4<f32> }',
    'struct EmuAcc { lo: vec4<f32>, hi: vec4<f32> }',
    'var<private> emu_lid: u32;',
    `var<workgroup> emu_a: array<u32, ${subgroups * words}>;   // per subgroup: the left operand, packed f16`,
    `var<workgroup> emu_b: array<u32, ${subgroups * words}>;   // per subgroup: the right operand, packed f16`,
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
  const index = (layout: Layout, j: number) =>
    layout === 'row_major' ? `off + r * st + c + ${j}u` : `off + (c + ${j}u) * st + r`;
  for (const [fn, { array, kind, layout }] of loads) {
    const get = (j: number) =>
      packed.has(array) ? `unpack2x16float(${array}[i${j} / 2u])[i${j} % 2u]` : `${array}[i${j}]`;
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
