import { type ChildProcess, spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createDawnLogFilter, DAWN_KNOWN_NOISE, type KnownNoise } from './dawn-log-filter';
import { noiseFilter } from './stderr-noise';

/**
 * Dawn prints its device log to stdout from native code, where Node cannot intercept it, and the
 * Vulkan loader and Dawn print known noise to stderr. So the CLI runs its command in a child
 * process whose stdout carries only Dawn's log, filtered here (dawn-log-filter.ts), while the
 * command's own output comes back on a pipe of its own (fd 3): the two never share a line. The
 * child's stderr loses the known native noise (stderr-noise.ts). AP_DAWN_LOG=all keeps Dawn's log
 * whole, AP_RAW_STDERR=1 keeps stderr whole; with both the command runs in this process.
 */

/** Set in the child: the file descriptor its output goes to. */
export const LOG_FD_ENV = 'AP_CLI_LOG_FD';

/** The command's output: to the relay's pipe in the child, else to stdout. */
export function cliLog(): (s: string) => void {
  const fd = Number(process.env[LOG_FD_ENV]);
  if (Number.isInteger(fd) && fd > 2) return (s) => writeSync(fd, `${s}\n`);
  return (s) => console.log(s);
}

const rawDawnLog = (): boolean => process.env.AP_DAWN_LOG === 'all';
const rawStderr = (): boolean => process.env.AP_RAW_STDERR === '1';

/** True when this process should run the command itself (it is the child, or nothing is filtered). */
export const runsInProcess = (): boolean => Boolean(process.env[LOG_FD_ENV]) || (rawDawnLog() && rawStderr());

const lines = (stream: Readable, onLine: (line: string) => void): Promise<void> =>
  new Promise((resolve) => {
    const rl = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    rl.on('line', onLine);
    rl.on('close', resolve);
  });

/**
 * Run `node <args>` with `env`, printing its fd 3 output as it comes, its stdout through the Dawn
 * log filter (`rules`; none: whole), its stderr without known native noise (unless keepStderr),
 * then the filter's summary; resolves with the child's exit code (128 + signal number when a
 * signal ended it).
 */
export async function relayFiltered(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  print: (line: string) => void,
  rules: readonly KnownNoise[] = DAWN_KNOWN_NOISE,
  keepStderr = false,
): Promise<number> {
  const child: ChildProcess = spawn(process.execPath, [...args], {
    env: { ...env, [LOG_FD_ENV]: '3' },
    stdio: ['inherit', 'pipe', 'pipe', 'pipe'],
  });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onSignal = { SIGINT: forward('SIGINT'), SIGTERM: forward('SIGTERM') };
  for (const [signal, handler] of Object.entries(onSignal)) process.on(signal, handler);
  const filter = createDawnLogFilter(rules);
  const keep = noiseFilter();
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
  try {
    await Promise.all([
      lines(child.stdio[3] as Readable, print),
      lines(child.stdout as Readable, (line) => {
        for (const l of filter.push(line)) print(l);
      }),
      lines(child.stderr as Readable, (line) => {
        if (keepStderr || keep(line)) process.stderr.write(`${line}\n`);
      }),
    ]);
    for (const l of filter.end()) print(l);
    const code = await exited;
    for (const l of filter.summary()) print(l);
    return code;
  } finally {
    for (const [signal, handler] of Object.entries(onSignal)) process.off(signal, handler);
  }
}

/** Run this CLI's command (`argv`) in a child with Dawn's log and stderr filtered. */
export function runFilteringDawnLog(argv: readonly string[]): Promise<number> {
  const script = process.argv[1];
  return relayFiltered(
    [...process.execArgv, script, ...argv],
    process.env,
    (line) => console.log(line),
    rawDawnLog() ? [] : DAWN_KNOWN_NOISE,
    rawStderr(),
  );
}
