/**
 * The fixed frame of every generated run: the steps that form the cluster and the steps
 * that close it (faults stop, the network heals, every down node comes back, the cluster
 * settles and stays settled — invariant 4). The closing depends on the body only through
 * which nodes it left down or stopped, so the shrinker recomputes it for every candidate.
 */
import type { Conditions, Step } from '../scenario/types.js';

export interface FrameOptions {
  initial: readonly string[];
  heartbeatMs: number;
  /** Bound of the final settle (invariant 4). */
  settleBoundMs: number;
}

export function setupSteps(opts: FrameOptions): Step[] {
  return [{ start: 'all' }, { waitFor: { manager: 'any', members: opts.initial.length, converged: true, timeoutMs: 50 * opts.heartbeatMs } }];
}

/** Which nodes the body leaves killed (still down) or stopped (gone for good), in id order of appearance. */
export function nodesAfter(initial: readonly string[], body: readonly Step[]): { known: string[]; down: string[]; stopped: string[] } {
  const known = [...initial];
  const down = new Set<string>();
  const stopped = new Set<string>();
  const ids = (sel: unknown): string[] => (sel === 'all' ? known : (sel as string[]));
  for (const step of body) {
    if ('kill' in step) for (const id of ids(step.kill)) if (!stopped.has(id)) down.add(id);
    if ('restart' in step) for (const id of ids(step.restart)) (down.delete(id), stopped.delete(id));
    if ('start' in step) for (const id of ids(step.start)) (down.delete(id), stopped.delete(id));
    if ('stop' in step) for (const id of ids(step.stop)) if (!down.has(id)) stopped.add(id);
    if ('add' in step && !known.includes(step.add.id)) known.push(step.add.id);
  }
  return { known, down: known.filter((id) => down.has(id)), stopped: known.filter((id) => stopped.has(id)) };
}

/** The closing steps and where the settle (waitFor) and the final expect sit within them. */
export function closingSteps(body: readonly Step[], opts: FrameOptions): { steps: Step[]; settleAt: number; finalAt: number } {
  const { known, down, stopped } = nodesAfter(opts.initial, body);
  const steps: Step[] = [{ heal: true }, { faults: 'none' }];
  if (down.length) steps.push({ restart: down });
  const settled: Conditions = { manager: 'any', members: known.length - stopped.length, converged: true };
  const settleAt = steps.length;
  steps.push({ waitFor: { ...settled, timeoutMs: opts.settleBoundMs } });
  // and it stays settled: a few heartbeats later the same holds (checked in full by the sim)
  steps.push({ wait: 5 * opts.heartbeatMs });
  const finalAt = steps.length;
  steps.push({ expect: settled });
  return { steps, settleAt, finalAt };
}
