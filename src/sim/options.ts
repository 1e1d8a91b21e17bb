/** What `glup sim` can be asked to do (SPEC section 9), shared by the CLI, the runner and its workers. */
import type { ShapeChoice } from './shapes.js';

export const SIM_FAULTS = ['kill', 'restart', 'partition', 'drop', 'duplicate', 'delay'] as const;
export type SimFault = (typeof SIM_FAULTS)[number];

/**
 * What the nodes are asked to do besides suffering faults: `data` updates (set, merge, cas,
 * delete, batch), `churn` (nodes added, leaving gracefully, rejoining, kills during those
 * membership changes), `groups` (process-group join, leave and ordered sends) and `actors`
 * (hosted actors: asks and tells to a sharded and a singleton counter).
 */
export const SIM_WORKLOADS = ['data', 'churn', 'groups', 'actors'] as const;
export type SimWorkload = (typeof SIM_WORKLOADS)[number];

export interface SimOptions {
  /** Number of runs, seeds `from` .. `from + seeds - 1`, unless `seed` picks one run. */
  seeds: number;
  seed?: number;
  /** First seed of a batch (default 1). */
  from?: number;
  /** Nodes per run: one value, or a set each seed draws from. */
  nodes: number | ShapeChoice;
  /** Generated steps per run: one value, or a set each seed draws from. */
  steps: number | ShapeChoice;
  faults: SimFault[];
  /** Default: every workload. `['data']` generates runs exactly as glup sim did before churn and groups. */
  workloads?: SimWorkload[];
  /** Child processes to spread the seeds over; 0 or absent runs them in this process. */
  workers?: number;
  /** Seeds a worker process runs before it is replaced by a fresh one (memory stays flat). */
  workerSeeds?: number;
  /** Re-runs spent shrinking one failing seed; 0 writes the failing run unshrunk. */
  shrinkRuns?: number;
  /** Collect the statechart transitions every run takes (for `--coverage`). */
  coverage?: boolean;
}

export const DEFAULT_WORKER_SEEDS = 100;
export const DEFAULT_SHRINK_RUNS = 150;

/** One failing seed in the summary; `original` is the unshrunk run, beside the fixed fields. */
export interface SimFailure {
  seed: number;
  invariant: string;
  scenario: string;
  original?: string;
  nodes?: number;
  steps?: number;
}

/** Seeds run per node count (the shape's steps given as the range seen). */
export interface ShapeCount {
  runs: number;
  violations: number;
  steps: [number, number];
}

/** The last line of `glup sim --json` (SPEC section 9); `shapes` and `workload` are additions. */
export interface SimSummary {
  runs: number;
  violations: number;
  failures: SimFailure[];
  faults: Record<string, number>;
  simulatedMs: number;
  shapes?: Record<string, ShapeCount>;
  workload?: Record<string, number>;
  /** Seeds whose settle failed where none was owed (src/sim/settleOwed.ts): no manager could be elected safely. */
  settleNotOwed?: number[];
}
