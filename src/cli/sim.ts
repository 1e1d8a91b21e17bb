/**
 * `glup sim`: randomized fault-injection runs on the memory transport, checking the
 * invariants of SPEC section 12 (src/sim/). A violation exits 1. Also `--check FILE` (the
 * invariants on one scenario file) and `--coverage FILE` (statechart transition coverage).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { SIM_FAULTS, SIM_WORKLOADS, type SimFault, type SimOptions, type SimSummary, type SimWorkload } from '../sim/options.js';
import { parseShapeChoice, type ShapeChoice } from '../sim/shapes.js';
import { EXIT_FAILED, EXIT_OK, intArg, log, out } from './common.js';

export { SIM_FAULTS, SIM_WORKLOADS, type SimFault, type SimOptions, type SimSummary, type SimWorkload };

function listOf<T extends string>(known: readonly T[], what: string): (value: string) => T[] {
  return (value) => {
    const items = value.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = items.find((f) => !(known as readonly string[]).includes(f));
    if (bad !== undefined) throw new InvalidArgumentError(`unknown ${what} "${bad}" (expected some of ${known.join(',')})`);
    return items as T[];
  };
}

function shapeArg(min: number, max: number): (value: string) => number | ShapeChoice {
  return (value) => {
    try {
      const c = parseShapeChoice(value, min, max);
      return c.length === 1 ? c[0]! : c;
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

interface SimFlags {
  seeds?: number;
  seed?: number;
  from?: number;
  workers?: number;
  workerSeeds: number;
  nodes: number | ShapeChoice;
  steps: number | ShapeChoice;
  faults: SimFault[];
  workload: SimWorkload[];
  shrinkRuns?: number;
  outDir?: string;
  check?: string;
  coverage?: string;
  scenarios: string;
  json?: boolean;
  worker?: boolean;
  collectTransitions?: boolean;
  settleBoundMs?: number;
}

export function register(program: Command): void {
  program
    .command('sim')
    .description('randomized fault-injection runs on the memory transport; a violation prints its seed, writes a shrunk reproducing scenario and exits 1')
    .addOption(new Option('--seeds <n>', 'number of runs (seeds 1..n, or from --from on)').argParser(intArg(1)).conflicts('seed'))
    .addOption(new Option('--seed <s>', 'one run with this seed').argParser(intArg(0)))
    .addOption(new Option('--from <s>', 'first seed of the batch (default 1)').argParser(intArg(0)).conflicts('seed'))
    .option('--workers <w>', 'spread the seeds over this many child processes (default: run them in this process)', intArg(1, 64))
    .option('--worker-seeds <k>', 'seeds a worker process runs before a fresh one replaces it', intArg(1), 100)
    .option('--nodes <list>', 'nodes per run: one count, or a set each seed draws from (3,5,7,9 or 3-9)', shapeArg(1, 100), 5)
    .option('--steps <list>', 'generated steps per run: one count, or a set each seed draws from (50-120)', shapeArg(1, 100_000), 50)
    .addOption(new Option('--faults <list>', `faults to inject, comma separated (${SIM_FAULTS.join(',')})`).argParser(listOf(SIM_FAULTS, 'fault')).default([...SIM_FAULTS], 'all'))
    .addOption(
      new Option('--workload <list>', `workloads, comma separated (${SIM_WORKLOADS.join(',')}); "data" alone generates runs as glup sim did before churn and groups`)
        .argParser(listOf(SIM_WORKLOADS, 'workload'))
        .default([...SIM_WORKLOADS], 'all'),
    )
    .option('--shrink-runs <n>', 'runs spent shrinking each failing seed (0: no shrinking; default 150, 0 with --coverage)', intArg(0))
    .option('--out-dir <dir>', 'where sim-failure-<seed>.yaml files go, made when missing (default: the working directory)')
    .option('--check <file>', 'run this scenario file with the invariant checkers instead of generated seeds')
    .option('--coverage <file>', 'also run the scenario scripts and write statechart transition coverage to this file (.json or Markdown)')
    .option('--scenarios <dir>', 'scenario scripts for --coverage', 'scenarios')
    .option('--json', 'print the summary as the last line of stdout')
    .addOption(new Option('--worker', 'child process of --workers: seeds on stdin, results on stdout').hideHelp())
    .addOption(new Option('--collect-transitions').hideHelp())
    .addOption(new Option('--settle-bound-ms <ms>').argParser(intArg(1)).hideHelp())
    .action(async (flags: SimFlags) => {
      const opts: SimOptions = {
        seeds: flags.seeds ?? 100,
        nodes: flags.nodes,
        steps: flags.steps,
        faults: flags.faults,
        workloads: flags.workload,
        workerSeeds: flags.workerSeeds,
      };
      if (flags.seed !== undefined) opts.seed = flags.seed;
      if (flags.from !== undefined) opts.from = flags.from;
      if (flags.workers !== undefined) opts.workers = flags.workers;
      if (flags.shrinkRuns !== undefined) opts.shrinkRuns = flags.shrinkRuns;
      const tuning = { ...(flags.outDir ? { outDir: flags.outDir } : {}), ...(flags.settleBoundMs ? { settleBoundMs: flags.settleBoundMs } : {}) };

      if (flags.worker) {
        const { runWorker } = await import('../sim/worker.js');
        await runWorker({ ...opts, coverage: !!flags.collectTransitions }, tuning);
        return;
      }
      if (flags.check) {
        const { checkScenarioFile } = await import('../sim/check.js');
        const { INVARIANT_NUMBER } = await import('../sim/invariants.js');
        const r = await checkScenarioFile(flags.check);
        for (const v of r.violations) log(`invariant ${INVARIANT_NUMBER[v.invariant]} (${v.invariant}) violated${v.t !== undefined ? ` at t=${Math.round(v.t)}` : ''}: ${v.detail}`);
        if (r.settleNotOwed) log(`invariant 4 (settles-after-heal) not owed: ${r.settleNotOwed}`);
        const invariants = [...new Set(r.violations.map((v) => `${INVARIANT_NUMBER[v.invariant]} ${v.invariant}`))];
        if (flags.json) out(JSON.stringify({ scenario: flags.check, violations: r.violations.length, invariants, simulatedMs: Math.round(r.simulatedMs), ...(r.settleNotOwed ? { settleNotOwed: r.settleNotOwed } : {}) }));
        else out(`${flags.check}: ${r.violations.length} violations${invariants.length ? ` (${invariants.join(', ')})` : ''}`);
        process.exitCode = r.violations.length ? EXIT_FAILED : EXIT_OK;
        return;
      }
      let summary: SimSummary | null;
      if (flags.coverage) {
        const { runCoverage } = await import('../sim/coverage/run.js');
        const { summaryLines } = await import('../sim/coverage/report.js');
        // shrinking is not what a coverage run is for: it only runs when asked for
        const r = await runCoverage({ report: flags.coverage, scenarios: flags.scenarios }, { ...opts, shrinkRuns: flags.shrinkRuns ?? 0 }, tuning);
        for (const line of summaryLines(r.report)) log(line);
        log(`coverage report: ${flags.coverage}`);
        summary = r.summary;
      } else {
        const { runSim } = await import('../sim/run.js');
        summary = await runSim(opts, tuning);
      }
      if (!summary) return;
      const { summaryLine } = await import('../sim/summary.js');
      out(flags.json ? JSON.stringify(summary) : summaryLine(summary));
      process.exitCode = summary.violations === 0 ? EXIT_OK : EXIT_FAILED;
    });
}
