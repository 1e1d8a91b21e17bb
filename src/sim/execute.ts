/**
 * Runs one scenario of glup sim on the memory transport with the observers attached and
 * returns what the invariant checkers found. Used for a seed's generated run and for every
 * candidate the shrinker tries: a run is deterministic for its scenario, so shrinking is
 * just running again.
 */
import type { InspectionEvent } from 'xstate';
import { runScenario } from '../scenario/run.js';
import type { Scenario } from '../scenario/types.js';
import { observeRun, type RunFrame, type RunObserver } from './observe.js';
import type { Violation } from './invariants.js';

export interface Execution {
  violations: Violation[];
  observer: RunObserver;
}

export function frameOf(scenario: Scenario, settleStep: number, finalStep: number): RunFrame {
  return {
    initialMembers: scenario.cluster.nodes.map((n) => n.id),
    qualified: new Map(scenario.cluster.nodes.map((n) => [n.id, n.qualified])),
    settleStep,
    finalStep,
  };
}

export async function executeRun(scenario: Scenario, frame: RunFrame, onInspect?: (e: InspectionEvent) => void): Promise<Execution> {
  const observer = observeRun(frame, onInspect ? { onInspect } : {});
  const rejections: Violation[] = [];
  const onRejection = (reason: unknown) => {
    rejections.push({ invariant: 'no-crash', detail: `unhandled rejection: ${String((reason as Error)?.stack ?? reason)}`, t: observer.simulatedMs() });
  };
  process.on('unhandledRejection', onRejection);
  try {
    // the sim reads no trace: the inspection stream is recorded only for the coverage tool
    await runScenario(scenario, { transport: 'memory', keepGoing: true, inspect: false }, observer.hooks);
  } catch (e) {
    rejections.push({ invariant: 'no-crash', detail: `the run threw: ${String((e as Error)?.stack ?? e)}` });
  } finally {
    // rejections of this run surface after a macrotask at the latest
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', onRejection);
  }
  return { violations: observer.violations(rejections), observer };
}
