import { UsageError } from './usage-error';

/**
 * Flag values shared by the CLI's commands, each refused with a UsageError naming the flag and the
 * value: whole numbers (never "", "1e300" or "-1" read as something else), seeds, and Dawn flags.
 */

/**
 * `--seed -1` as `--seed=-1`: node:util's parseArgs takes a value that starts with '-' for an
 * option and refuses it as ambiguous; a negative number is a value, refused by the flag's own check
 * with a message that says what the flag takes.
 */
export function joinNegativeValues(argv: readonly string[], valued: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    if (valued.has(a) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** The long flags of a parseArgs option table that take a value: "--seed", "--out", ... */
export const valuedFlags = (options: Readonly<Record<string, { type: string }>>): Set<string> =>
  new Set(
    Object.entries(options)
      .filter(([, o]) => o.type === 'string')
      .map(([name]) => `--${name}`),
  );

/** A whole number written as digits only, from `min` to `max`; `fallback` when the flag is absent. */
export function wholeNumberArg(
  name: string,
  value: string | undefined,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max))
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  return n;
}

/** Seeds are 32-bit (the PRNG's state). */
export const MAX_SEED = 2 ** 32 - 1;

export const seedArg = (value: string | undefined, fallback: number): number =>
  wholeNumberArg('seed', value, fallback, 0, MAX_SEED);

/** Dawn's create() flags this CLI passes on (dawn.node's own, and its toggles). */
const DAWN_FLAG_NAMES = [
  'enable-dawn-features',
  'disable-dawn-features',
  'backend',
  'adapter',
  'power-preference',
  'dlldir',
];

/**
 * Check Dawn flags before Dawn sees them: `name=value` with a name Dawn's Node module reads, toggles
 * as comma-separated snake_case names. `source` names where they came from (--dawn, DAWN_FLAGS).
 */
export function checkDawnFlags(flags: readonly string[], source: string): void {
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const name = eq > 0 ? flag.slice(0, eq) : '';
    const value = eq > 0 ? flag.slice(eq + 1) : '';
    if (!DAWN_FLAG_NAMES.includes(name) || value === '')
      throw new UsageError(
        `${source} ${JSON.stringify(flag)} is not a Dawn flag; expected name=value with name one of ${DAWN_FLAG_NAMES.join(', ')}`,
      );
    if (name.endsWith('-dawn-features') && !/^[a-z0-9_]+(,[a-z0-9_]+)*$/.test(value))
      throw new UsageError(
        `${source} ${JSON.stringify(flag)}: toggles must be comma-separated names such as vulkan_enable_f16_on_nvidia`,
      );
  }
}
