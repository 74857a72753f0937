import { benchCommand, benchUsage } from './bench';
import { cliLog, runFilteringDawnLog, runsInProcess } from './dawn-log-relay';
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

Environment: WEBGPU_DAWN_NODE (path of dawn.node), DAWN_FLAGS ("flag1;flag2"), VK_ICD_FILENAMES,
AP_DAWN_LOG=all (print Dawn's log unfiltered; by default known noise is counted, not printed).`;

async function main(argv: string[]): Promise<number> {
  const log = cliLog();
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'verify':
        return await verifyCommand(rest, log);
      case 'bench':
        return await benchCommand(rest, log);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        log(usage);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    const err = e as Error & { code?: string };
    if (e instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`error: ${err.message}\n\n${usage}`);
      return 2;
    }
    if (err.name === 'ProblemError' || err.name === 'NpyError' || err.name === 'ProblemDirError') {
      console.error(`error: ${err.message}`);
      return 2;
    }
    console.error(`error: ${err.stack ?? err.message}`);
    return 1;
  }
}

// Dawn's log (printed from native code) is filtered by running the command in a child (dawn-log-relay.ts).
const argv = process.argv.slice(2);
process.exitCode = runsInProcess() ? await main(argv) : await runFilteringDawnLog(argv);
