/**
 * The scenario file that reproduces a failing sim run. Runs are deterministic per seed on
 * the memory transport, so the generated steps replay the same run under `glup run` once
 * every update that failed in it expects the error it got (the runner stops at an
 * unexpected failure; the sim ran with keepGoing).
 */
import { Document, isMap, isSeq } from 'yaml';
import type { SimOptions } from '../cli/sim.js';
import { stepKind, type Scenario, type Step } from '../scenario/types.js';
import { GLUP_ERROR_CODES, type GlupErrorCode } from '../errors.js';
import type { StepRecord } from './observe.js';
import { INVARIANT_NUMBER, type Violation } from './invariants.js';

export function reproductionScenario(scenario: Scenario, steps: ReadonlyMap<number, StepRecord>): { scenario: Scenario; notes: string[] } {
  const notes: string[] = [];
  const out: Step[] = scenario.steps.map((step, i) => {
    const rec = steps.get(i);
    if (!rec || rec.ok || stepKind(step) !== 'update') return step;
    const code = rec.code;
    if (code && (GLUP_ERROR_CODES as readonly string[]).includes(code)) {
      return { update: { ...(step as { update: object }).update, expectError: code as GlupErrorCode } } as Step;
    }
    notes.push(`step ${i} failed without an error code (${rec.error ?? 'no message'}): the replay stops there`);
    return step;
  });
  // steps after the one the sim stopped at never ran: keep them, they are the run's plan
  return { scenario: { ...scenario, steps: out }, notes };
}

export function reproductionYaml(
  scenario: Scenario,
  steps: ReadonlyMap<number, StepRecord>,
  violations: readonly Violation[],
  opts: Pick<SimOptions, 'nodes' | 'steps' | 'faults'>,
): string {
  const { scenario: repro, notes } = reproductionScenario(scenario, steps);
  const first = violations[0]!;
  const settles = violations.some((v) => v.invariant === 'settles-after-heal');
  const header = [
    `glup sim seed ${scenario.seed}: invariant ${INVARIANT_NUMBER[first.invariant]} (${first.invariant}) violated`,
    ...violations.slice(0, 10).map((v) => `  - ${v.invariant}${v.t !== undefined ? ` at t=${Math.round(v.t)}` : ''}: ${v.detail}`),
    ...(violations.length > 10 ? [`  … and ${violations.length - 10} more`] : []),
    `Regenerate and re-check: glup sim --seed ${scenario.seed} --nodes ${opts.nodes} --steps ${opts.steps} --faults ${opts.faults.join(',')}`,
    `Replay: glup run <this file> (memory transport; the same seed gives the same run).`,
    settles
      ? 'The closing waitFor/expect steps encode invariant 4 (one manager, all members, converged): the replay fails there.'
      : 'This invariant is not a scenario condition: the replay runs the same steps; glup sim re-checks it.',
    ...notes,
  ];
  const doc = new Document(repro);
  doc.commentBefore = header.map((l) => ` ${l}`).join('\n');
  // one step per line, in flow style, like the hand-written scenarios
  const stepsNode = doc.get('steps', true);
  if (isSeq(stepsNode)) for (const item of stepsNode.items) if (isMap(item)) item.flow = true;
  return doc.toString({ lineWidth: 0 });
}
