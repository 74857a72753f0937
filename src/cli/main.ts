import { GpuError } from '../gpu/errors';
import { benchCommand, benchUsage } from './bench';
import { cliLog, runFilteringDawnLog, runsInProcess } from './dawn-log-relay';
import { GpuUnavailableError } from './gpu';
import { suitesCommand, suitesUsage } from './suites';
import { UsageError } from './usage-error';
import { verifyCommand, verifyUsage } from './verify';

/**
 * attention-playground CLI (Node + Dawn). `npm run verify -- ...` and `npm run bench -- ...` build
 * this into dist-cli/cli.mjs, a single file that runs with only `node` and Dawn's addon
 * (WEBGPU_DAWN_NODE) on a GPU server.
 */

const usage = `usage: cli.mjs <command> [options]

${verifyUsage}

${benchUsage}

${suitesUsage}

Environment: WEBGPU_DAWN_NODE (path of dawn.node), DAWN_FLAGS ("flag1;flag2"), VK_ICD_FILENAMES,
AP_DAWN_LOG=all (Dawn's log unfiltered), AP_RAW_STDERR=1 (native noise on stderr kept).`;

/** Errors the user caused (a flag, a path, a problem file): one line, exit 2. */
const INPUT_ERRORS = new Set(['UsageError', 'ProblemError', 'NpyError', 'ProblemDirError']);

/** One line: messages from Dawn or the file system may hold newlines. */
const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').trim();

async function main(argv: string[]): Promise<number> {
  const log = cliLog();
  const [command, ...rest] = argv;
  const help = rest.includes('--help') || rest.includes('-h');
  try {
    switch (command) {
      case 'verify':
        if (!help) return await verifyCommand(rest, log);
        log(verifyUsage);
        return 0;
      case 'bench':
        if (!help) return await benchCommand(rest, log);
        log(benchUsage);
        return 0;
      case 'suites':
        if (!help) return suitesCommand(rest, log);
        log(suitesUsage);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        log(usage);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"; the commands are verify, bench and suites`);
    }
  } catch (e) {
    const err = e as Error & { code?: string };
    if (e instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(
        `error: ${oneLine(err.message)} (see cli.mjs ${command === 'bench' || command === 'suites' ? command : 'verify'} --help)`,
      );
      return 2;
    }
    if (INPUT_ERRORS.has(err.name)) {
      console.error(`error: ${oneLine(err.message)}`);
      return 2;
    }
    if (e instanceof GpuUnavailableError || e instanceof GpuError) {
      console.error(`error: ${oneLine(err.message)}`);
      return 1;
    }
    console.error(`error: ${err.stack ?? err.message}`);
    return 1;
  }
}

// Commands that load Dawn run as a child: Dawn's log (printed to stdout from native code) loses
// known noise, and so does stderr (dawn-log-relay.ts, dawn-log-filter.ts, stderr-noise.ts).
const args = process.argv.slice(2);
process.exitCode =
  runsInProcess() || !['verify', 'bench'].includes(args[0] ?? '') ? await main(args) : await runFilteringDawnLog(args);
