/**
 * `glup sim` (SPEC sections 9 and 12): for each seed, draw its shape, generate a scenario of
 * random faults and workload, run it on the memory transport in virtual time while
 * observing the nodes, and check the invariants. A violation is shrunk (src/sim/shrink.ts),
 * prints the seed and invariant to stderr and writes `sim-failure-<seed>.yaml` (the shrunk
 * run) and `sim-failure-<seed>.original.yaml` (the whole run). With `workers`, the seeds
 * are spread over child processes (src/sim/pool.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InspectionEvent } from 'xstate';
import { validateScenarioValue } from '../scenario/parse.js';
import { generateRun, SETTLE_HEARTBEATS, SIM_HEARTBEAT_MS } from './generate.js';
import { executeRun, frameOf } from './execute.js';
import { INVARIANT_NUMBER, type Violation } from './invariants.js';
import { DEFAULT_SHRINK_RUNS, type SimOptions, type SimSummary } from './options.js';
import { reproductionYaml } from './repro.js';
import { shapeForSeed } from './shapes.js';
import { shrinkRun } from './shrink.js';
import { newSummary, addResult, finishSummary, failureLines } from './summary.js';

/** Knobs for tests; the CLI uses the defaults. */
export interface SimTuning {
  /** Where failure scenarios go (default: the working directory). */
  outDir?: string;
  /** Invariant 4's bound in ms (default 30 heartbeats); a tiny bound provokes a violation. */
  settleBoundMs?: number;
  /** Progress and violation lines (default: stderr). */
  log?: (line: string) => void;
  /** Every inspection event of every node of the seed's run (not of the shrinking runs). */
  onInspect?: (e: InspectionEvent) => void;
  /** Transitions taken in a worker's run, as it reported them (coverage with workers). */
  onTaken?: (keys: string[]) => void;
  /** Every result as it arrives (workers: in completion order). */
  onResult?: (r: SeedResult) => void;
  /** The command that starts a worker, before its `sim --worker …` arguments (tests); default node bin/glup.js. */
  workerCommand?: string[];
}

export interface SeedResult {
  seed: number;
  /** The shape this seed ran with. */
  nodes: number;
  steps: number;
  violations: Violation[];
  faults: Record<string, number>;
  workload: Record<string, number>;
  simulatedMs: number;
  /** The reproduction file (shrunk when shrinking found a smaller run), when a violation was found. */
  scenarioFile: string | null;
  /** The whole generated run's reproduction, beside a shrunk one. */
  originalFile: string | null;
  /** Generated steps before and after shrinking, and the runs it took. */
  shrink?: { from: number; to: number; runs: number };
  /** How much the checkers were fed. */
  observed: { managers: number; commits: number; acks: number; crashes: number; views: number; memberships: number; actorCommits: number; actorAcks: number };
  /** Why invariant 4 was not owed (src/sim/settleOwed.ts), when the settle failed and was not. */
  settleNotOwed?: string;
  /** Chart transitions the run took (set by coverage workers only). */
  transitions?: string[];
  /** The worker process that ran it and its resident memory after it, in MB (set by workers only). */
  worker?: { pid: number; rssMb: number };
}

/** The seeds a batch runs: one, or `seeds` from `from` on. */
export function seedsOf(opts: SimOptions): number[] {
  if (opts.seed !== undefined) return [opts.seed];
  const from = opts.from ?? 1;
  return Array.from({ length: opts.seeds }, (_, i) => from + i);
}

export async function runSim(opts: SimOptions, tuning: SimTuning = {}): Promise<SimSummary> {
  if (opts.workers && opts.workers > 0) {
    const { runPool } = await import('./pool.js');
    return runPool(opts, tuning);
  }
  const log = tuning.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const summary = newSummary(opts);
  for (const seed of seedsOf(opts)) {
    const r = await runSeed(seed, opts, tuning);
    addResult(summary, r);
    tuning.onResult?.(r);
    for (const line of failureLines(r)) log(line);
  }
  return finishSummary(summary);
}

/** One seed: generate, run with observers, check; on a violation shrink and write the reproductions. */
export async function runSeed(seed: number, opts: SimOptions, tuning: SimTuning = {}): Promise<SeedResult> {
  const shape = shapeForSeed(seed, opts.nodes, opts.steps);
  const gen = generateRun({ seed, ...shape, faults: opts.faults, workloads: opts.workloads, settleBoundMs: tuning.settleBoundMs });
  // normalized as a parsed file would be, so the written file replays exactly this scenario
  gen.scenario = validateScenarioValue(gen.scenario, `sim seed ${seed}`);
  const first = await executeRun(gen.scenario, frameOf(gen.scenario, gen.settleStep, gen.finalStep), tuning.onInspect);
  const { violations, observer } = first;
  const result: SeedResult = {
    seed,
    ...shape,
    violations,
    faults: gen.faults,
    workload: gen.workload,
    simulatedMs: observer.simulatedMs(),
    scenarioFile: null,
    originalFile: null,
    observed: observer.counts(),
  };
  const notOwed = observer.settleNotOwed();
  if (notOwed) result.settleNotOwed = notOwed;
  if (!violations.length) return result;

  const outDir = tuning.outDir ?? '.';
  const info = { ...shape, faults: opts.faults, ...(opts.workloads ? { workloads: opts.workloads } : {}) };
  const budget = opts.shrinkRuns ?? DEFAULT_SHRINK_RUNS;
  const shrunk =
    budget > 0
      ? await shrinkRun(
          {
            scenario: gen.scenario,
            bodyStart: gen.bodyStart,
            closingStart: gen.closingStart,
            frame: { initial: gen.scenario.cluster.nodes.map((n) => n.id), heartbeatMs: SIM_HEARTBEAT_MS, settleBoundMs: tuning.settleBoundMs ?? SETTLE_HEARTBEATS * SIM_HEARTBEAT_MS },
            target: violations[0]!,
            budget,
          },
          first,
        )
      : null;
  // --out-dir is made when missing: a failure must never be lost to an absent directory
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, `sim-failure-${seed}.yaml`);
  if (shrunk && shrunk.bodyAfter < shrunk.bodyBefore) {
    const original = join(outDir, `sim-failure-${seed}.original.yaml`);
    await writeFile(original, reproductionYaml(gen.scenario, observer.steps, violations, info));
    const shrink = { from: shrunk.bodyBefore, to: shrunk.bodyAfter, runs: shrunk.runs };
    await writeFile(file, reproductionYaml(shrunk.scenario, shrunk.execution.observer.steps, shrunk.execution.violations, { ...info, shrunk: { ...shrink, original } }));
    result.originalFile = original;
    result.shrink = shrink;
  } else {
    await writeFile(file, reproductionYaml(gen.scenario, observer.steps, violations, info));
    if (shrunk) result.shrink = { from: shrunk.bodyBefore, to: shrunk.bodyAfter, runs: shrunk.runs };
  }
  result.scenarioFile = file;
  return result;
}

/** The invariant a result failed, as the summary names it: "<number> <id>". */
export function invariantLabel(v: Violation): string {
  return `${INVARIANT_NUMBER[v.invariant]} ${v.invariant}`;
}
