/**
 * `glup sim`: randomized fault-injection runs on the memory transport, checking the
 * invariants of SPEC section 12 (src/sim/run.ts). A violation exits 1.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { EXIT_FAILED, EXIT_OK, intArg, loadImplementation, out } from './common.js';

export const SIM_FAULTS = ['kill', 'restart', 'partition', 'drop', 'duplicate', 'delay'] as const;
export type SimFault = (typeof SIM_FAULTS)[number];

export interface SimOptions {
  /** Number of runs with seeds 1..seeds, unless `seed` picks one run. */
  seeds: number;
  seed?: number;
  nodes: number;
  steps: number;
  faults: SimFault[];
}

/** The last line of `glup sim --json` (SPEC section 9). */
export interface SimSummary {
  runs: number;
  violations: number;
  failures: { seed: number; invariant: string; scenario: string }[];
  faults: Record<string, number>;
  simulatedMs: number;
}

/** Contract of src/sim/run.ts: progress and violations (seed, scenario file written) go to stderr. */
export type RunSim = (opts: SimOptions) => Promise<SimSummary>;

function faultList(value: string): SimFault[] {
  const faults = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = faults.find((f) => !(SIM_FAULTS as readonly string[]).includes(f));
  if (bad !== undefined) throw new InvalidArgumentError(`unknown fault "${bad}" (expected some of ${SIM_FAULTS.join(',')})`);
  return faults as SimFault[];
}

export function register(program: Command): void {
  program
    .command('sim')
    .description('randomized fault-injection runs on the memory transport; a violation prints its seed, writes a reproducing scenario and exits 1')
    .addOption(new Option('--seeds <n>', 'number of runs (seeds 1..n)').argParser(intArg(1)).conflicts('seed'))
    .addOption(new Option('--seed <s>', 'one run with this seed').argParser(intArg(0)))
    .option('--nodes <n>', 'nodes per run', intArg(1, 100), 5)
    .option('--steps <n>', 'fault steps per run', intArg(1), 50)
    .option('--faults <list>', `faults to inject, comma separated (${SIM_FAULTS.join(',')})`, faultList, [...SIM_FAULTS])
    .option('--json', 'print the summary as the last line of stdout')
    .action(async (flags: { seeds?: number; seed?: number; nodes: number; steps: number; faults: SimFault[]; json?: boolean }) => {
      const runSim = await loadImplementation<RunSim>('../sim/run.js', 'runSim', 'sim');
      if (!runSim) {
        process.exitCode = EXIT_FAILED;
        return;
      }
      const opts: SimOptions = { seeds: flags.seeds ?? 100, nodes: flags.nodes, steps: flags.steps, faults: flags.faults };
      if (flags.seed !== undefined) opts.seed = flags.seed;
      const summary = await runSim(opts);
      if (flags.json) out(JSON.stringify(summary));
      else out(`${summary.runs} runs, ${summary.violations} violations, ${summary.simulatedMs} ms simulated`);
      process.exitCode = summary.violations === 0 ? EXIT_OK : EXIT_FAILED;
    });
}
