/**
 * `glup sim` (SPEC sections 9 and 12): for each seed, generate a scenario of random faults
 * and workload, run it on the memory transport in virtual time while observing the nodes,
 * and check the invariants. A violation prints the seed and invariant to stderr and writes
 * `sim-failure-<seed>.yaml`, a scenario that replays the run.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimOptions, SimSummary } from '../cli/sim.js';
import { runScenario } from '../scenario/run.js';
import { validateScenarioValue } from '../scenario/parse.js';
import { generateRun } from './generate.js';
import { observeRun } from './observe.js';
import { INVARIANT_NUMBER, type Violation } from './invariants.js';
import { reproductionYaml } from './repro.js';

/** Knobs for tests; the CLI uses the defaults. */
export interface SimTuning {
  /** Where failure scenarios go (default: the working directory). */
  outDir?: string;
  /** Invariant 4's bound in ms (default 30 heartbeats); a tiny bound provokes a violation. */
  settleBoundMs?: number;
  /** Progress and violation lines (default: stderr). */
  log?: (line: string) => void;
}

export interface SeedResult {
  seed: number;
  violations: Violation[];
  faults: Record<string, number>;
  simulatedMs: number;
  /** The reproduction file, when a violation was found. */
  scenarioFile: string | null;
  /** How much the checkers were fed. */
  observed: { managers: number; commits: number; acks: number; crashes: number };
}

export async function runSim(opts: SimOptions, tuning: SimTuning = {}): Promise<SimSummary> {
  const log = tuning.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const seeds = opts.seed !== undefined ? [opts.seed] : Array.from({ length: opts.seeds }, (_, i) => i + 1);
  const summary: SimSummary = { runs: 0, violations: 0, failures: [], faults: {}, simulatedMs: 0 };
  for (const f of opts.faults) summary.faults[f] = 0;
  for (const seed of seeds) {
    const r = await runSeed(seed, opts, tuning);
    summary.runs++;
    summary.simulatedMs += r.simulatedMs;
    for (const [k, n] of Object.entries(r.faults)) summary.faults[k] = (summary.faults[k] ?? 0) + n;
    if (r.violations.length) {
      const first = r.violations[0]!;
      summary.violations++;
      summary.failures.push({ seed, invariant: `${INVARIANT_NUMBER[first.invariant]} ${first.invariant}`, scenario: r.scenarioFile! });
      log(`seed ${seed}: invariant ${INVARIANT_NUMBER[first.invariant]} (${first.invariant}) violated: ${first.detail}`);
      for (const v of r.violations.slice(1, 5)) log(`  also ${v.invariant}: ${v.detail}`);
      log(`  reproduce: glup run ${r.scenarioFile}`);
    }
  }
  summary.simulatedMs = Math.round(summary.simulatedMs);
  return summary;
}

/** One seed: generate, run with observers, check, and write the reproduction on a violation. */
export async function runSeed(seed: number, opts: SimOptions, tuning: SimTuning = {}): Promise<SeedResult> {
  const gen = generateRun({ seed, nodes: opts.nodes, steps: opts.steps, faults: opts.faults, settleBoundMs: tuning.settleBoundMs });
  // normalized as a parsed file would be, so the written file replays exactly this scenario
  gen.scenario = validateScenarioValue(gen.scenario, `sim seed ${seed}`);
  const observer = observeRun(gen);
  const rejections: Violation[] = [];
  const onRejection = (reason: unknown) => {
    rejections.push({ invariant: 'no-crash', detail: `unhandled rejection: ${String((reason as Error)?.stack ?? reason)}`, t: observer.simulatedMs() });
  };
  process.on('unhandledRejection', onRejection);
  try {
    await runScenario(gen.scenario, { transport: 'memory', keepGoing: true, inspect: false }, observer.hooks);
  } catch (e) {
    rejections.push({ invariant: 'no-crash', detail: `the run threw: ${String((e as Error)?.stack ?? e)}` });
  } finally {
    // rejections of this run surface after a macrotask at the latest
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', onRejection);
  }
  const violations = observer.violations(rejections);
  let scenarioFile: string | null = null;
  if (violations.length) {
    scenarioFile = join(tuning.outDir ?? '.', `sim-failure-${seed}.yaml`);
    await writeFile(scenarioFile, reproductionYaml(gen.scenario, observer.steps, violations, opts));
  }
  return { seed, violations, faults: gen.faults, simulatedMs: observer.simulatedMs(), scenarioFile, observed: observer.counts() };
}
