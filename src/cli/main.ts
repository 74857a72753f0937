import { benchCommand, benchUsage } from './bench';
import { runFiltered } from './stderr-noise';
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

Environment: WEBGPU_DAWN_NODE (path of dawn.node), DAWN_FLAGS ("flag1;flag2"), VK_ICD_FILENAMES.`;

async function main(argv: string[]): Promise<number> {
  const log = (s: string) => console.log(s);
  const [command, ...rest] = argv;
  const own: Record<string, string> = { verify: verifyUsage, bench: benchUsage, suites: suitesUsage };
  if (command !== undefined && own[command] && (rest.includes('--help') || rest.includes('-h'))) {
    log(own[command]);
    return 0;
  }
  try {
    switch (command) {
      case 'verify':
        return await verifyCommand(rest, log);
      case 'bench':
        return await benchCommand(rest, log);
      case 'suites':
        return suitesCommand(rest, log);
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
      const help = command && own[command] ? `cli.mjs ${command} --help` : 'cli.mjs --help';
      console.error(`error: ${err.message.split('\n')[0]} (${help} for usage)`);
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

// Commands that load Dawn run as a child whose stderr loses known native noise (stderr-noise.ts).
const quiet = process.env.AP_CLI_CHILD === '1' || process.env.AP_RAW_STDERR === '1';
const args = process.argv.slice(2);
process.exitCode =
  quiet || !['verify', 'bench'].includes(args[0] ?? '') ? await main(args) : await runFiltered(process.argv.slice(1));
