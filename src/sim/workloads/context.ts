/** What a workload's actions share with the generator (src/sim/generate.ts) while it draws a run. */
import type { Step } from '../../scenario/types.js';
import type { Random } from '../../random.js';
import type { SimFault } from '../options.js';

export interface GenAction {
  weight: number;
  /** Appends its steps and returns true, or returns false when it does not apply now (another is drawn). */
  run: () => boolean;
}

export interface GenContext {
  /** Every node id so far: the initial ones, then those of `add` steps, in order. */
  readonly ids: string[];
  /** Nodes meant to be in the membership: started and not stopped (down ones included). */
  readonly members: Set<string>;
  /** Members killed and not restarted yet. */
  readonly down: Set<string>;
  partitioned: boolean;
  /** The body of the run being drawn. */
  readonly steps: Step[];
  /** Faults by kind (the summary's `faults`). */
  readonly counts: Record<string, number>;
  /** Churn and group operations by kind (the summary's `workload`). */
  readonly workload: Record<string, number>;
  readonly faultsEnabled: ReadonlySet<SimFault>;
  readonly heartbeatMs: number;
  /** Called when a node's processes are gone (killed, restarted or stopped). */
  readonly nodeGone: ((id: string) => void)[];
  /** Members not down, in id order. */
  live(): string[];
  /** Crashes allowed at once: a minority of the membership. */
  maxDown(): number;
  /** Appends a kill of `id` (counted as a fault). */
  kill(id: string): void;
}

export function countWorkload(ctx: GenContext, kind: string): void {
  ctx.workload[kind] = (ctx.workload[kind] ?? 0) + 1;
}

export function oneOf<T>(r: Random, xs: readonly T[]): T {
  return xs[Math.floor(r.next() * xs.length)]!;
}
