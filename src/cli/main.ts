/**
 * `glup`: the command line (SPEC section 9). Exit codes: 0 success, 1 a check failed,
 * 2 bad input — commander's own errors (unknown flag, missing argument, bad choice) are bad
 * input too, so they exit 2, not commander's default 1.
 */
import { Command, CommanderError, Option } from 'commander';
import { LOG_LEVELS, setLogLevel, type LogLevel } from '../log.js';
import { ScenarioError } from '../scenario/parse.js';
import { GLUP_VERSION } from '../scenario/trace.js';
import { EXIT_BAD_INPUT, EXIT_FAILED, UsageError } from './common.js';
import * as bench from './bench.js';
import * as dashboard from './dashboard.js';
import * as data from './data.js';
import * as log from './log.js';
import * as node from './nodeFlags.js';
import * as remove from './remove.js';
import * as replay from './replay.js';
import * as run from './run.js';
import * as sim from './sim.js';
import * as status from './status.js';
import * as switchover from './switchover.js';
import * as viz from './viz.js';

export function buildProgram(): Command {
  const program = new Command('glup')
    .description('cluster management runtime: membership, failover and the Global Update Protocol over NATS')
    .version(GLUP_VERSION)
    .showHelpAfterError('(add --help for usage)')
    // Inherited by every command registered below.
    .exitOverride((err: CommanderError) => {
      throw err;
    });
  for (const command of [run, replay, sim, viz, dashboard, node, status, switchover, remove, data, log, bench]) command.register(program);
  // one logging flag for every command (pino levels; logs go to stderr)
  for (const command of program.commands) {
    command.addOption(new Option('--log-level <level>', 'log level on stderr (default warn)').choices(LOG_LEVELS).env('GLUP_LOG_LEVEL'));
  }
  program.hook('preAction', (_program, action) => setLogLevel(action.opts().logLevel as LogLevel | undefined));
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    if (err instanceof UsageError || err instanceof ScenarioError) {
      process.stderr.write(`error: ${err.message}\n`);
      return EXIT_BAD_INPUT;
    }
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env.GLUP_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    return EXIT_FAILED;
  }
}

// Batch commands end the process with their code; long-running ones (node, dashboard)
// resolve only once they have shut down, so exiting here never cuts them short.
process.exit(await main(process.argv));
