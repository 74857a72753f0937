/**
 * Dawn's addon prints its device log straight to stdout from native code (printf), not through
 * Node: a line naming the level ("warning:") and then the message, for example a shader's
 * compilation log:
 *
 *   warning:
 *   Compilation log for [ShaderModule "hydragen-mma"]:
 *
 *   2 warning(s) generated while compiling the shader:
 *   :301:5 warning: use of deprecated builtin
 *       subgroupMatrixStore(&out, at, acc, false, stride);
 *       ^^^^^^^^^^^^^^^^^^^
 *   ...
 *
 * Some of it is known noise, repeated for every shader module that triggers it. This filter drops
 * a compilation log whose diagnostics are all known noise, counts what it dropped, and passes
 * everything else through unchanged; summary() says once what was filtered and how many.
 */

export interface KnownNoise {
  /** Matches a diagnostic's message (the text after ":line:col warning: "). */
  readonly message: RegExp;
  /** Why it is noise, for the summary. */
  readonly why: string;
}

/** Dawn warnings this project knows and does not need to see each time. */
export const DAWN_KNOWN_NOISE: readonly KnownNoise[] = [
  {
    message: /^use of deprecated builtin$/,
    why:
      'subgroupMatrixStore(..., false, stride), the bool-layout form the tensor-core kernels use because this ' +
      'Dawn refuses row_major there (shared/device/README.md); about 18 a tensor-core shader',
  },
];

/** A line that starts one entry of Dawn's device log. */
const LEVEL_LINE = /^(warning|info|error|verbose|unknown):$/;
const COMPILATION_LOG = /^Compilation log for .*:$/;
/** The lines of a compilation log other than a source line: blank, the count, a diagnostic, carets under a source line. */
const COUNT_LINE = /^\d+ (warning|error|note|info)\(s\)/;
/** A diagnostic of a compilation log: ":line:col severity: message". */
const DIAGNOSTIC = /^:\d+:\d+ (warning|error|note|info): (.*)$/;
const CARETS = /^\s*\^+\s*$/;

export interface DawnLogFilter {
  /** Lines to print for one more line of input (none while an entry is still being read). */
  push(line: string): string[];
  /** Lines still held at the end of the input. */
  end(): string[];
  /** One line per kind of filtered warning, or none when nothing was filtered. */
  summary(): string[];
}

export function createDawnLogFilter(rules: readonly KnownNoise[] = DAWN_KNOWN_NOISE): DawnLogFilter {
  const counts = new Map<KnownNoise, { warnings: number; modules: number }>();
  /** The Dawn log entry being read (its level line first), or null outside one. */
  let entry: string[] | null = null;
  /** In a compilation log: a line that is its source line only if carets follow. */
  let maybeSource: string | null = null;

  /** The entry's lines to print: none when it is a compilation log of known noise only. */
  const finish = (): string[] => {
    const lines = entry ?? [];
    entry = null;
    if (!(lines.length > 1 && COMPILATION_LOG.test(lines[1]))) return lines;
    const hits: KnownNoise[] = [];
    for (const line of lines) {
      const d = DIAGNOSTIC.exec(line);
      if (!d) continue;
      const rule = rules.find((r) => r.message.test(d[2]));
      if (!rule) return lines;
      hits.push(rule);
    }
    if (hits.length === 0) return lines;
    for (const rule of new Set(hits)) {
      const c = counts.get(rule) ?? { warnings: 0, modules: 0 };
      c.warnings += hits.filter((h) => h === rule).length;
      c.modules += 1;
      counts.set(rule, c);
    }
    return [];
  };

  const push = (line: string): string[] => {
    if (LEVEL_LINE.test(line)) {
      const out = [...finish(), ...(maybeSource === null ? [] : [maybeSource])];
      maybeSource = null;
      entry = [line];
      return out;
    }
    if (!entry) return [line];
    if (entry.length === 1) {
      entry.push(line);
      return [];
    }
    if (!COMPILATION_LOG.test(entry[1])) return [...finish(), line];
    // In a compilation log: it goes on while its lines have its shape, source lines being those with carets below.
    if (maybeSource !== null) {
      const source = maybeSource;
      maybeSource = null;
      if (CARETS.test(line)) {
        entry.push(source, line);
        return [];
      }
      return [...finish(), ...push(source), ...push(line)];
    }
    if (line.trim() === '' || COUNT_LINE.test(line) || DIAGNOSTIC.test(line)) {
      entry.push(line);
      return [];
    }
    maybeSource = line;
    return [];
  };

  return {
    push,
    end() {
      const out = [...finish(), ...(maybeSource === null ? [] : [maybeSource])];
      maybeSource = null;
      return out;
    },
    summary() {
      return [...counts].map(
        ([rule, c]) =>
          `Dawn: filtered ${c.warnings} "${rule.message.source.replace(/^\^|\$$/g, '')}" warning(s) from ` +
          `${c.modules} shader module(s): ${rule.why}. AP_DAWN_LOG=all prints Dawn's log unfiltered.`,
      );
    },
  };
}
