/**
 * The scenario file that reproduces a failing sim run. Runs are deterministic per seed on
 * the memory transport, so the generated steps replay the same run under `glup run` once
 * every update and join that failed in it expects the error it got (the runner stops at an
 * unexpected failure; the sim ran with keepGoing), and steps that failed before doing
 * anything (a node that is not running, a leave of a process that never joined) are left
 * out: they took no virtual time, so the replay takes the same path without them.
 */
import { Document, isMap, isSeq } from 'yaml';
import { stepKind, type Scenario, type Step } from '../scenario/types.js';
import { GLUP_ERROR_CODES, type GlupErrorCode } from '../errors.js';
import type { SimFault, SimWorkload } from './options.js';
import type { StepRecord } from './observe.js';
import { INVARIANT_NUMBER, type Violation } from './invariants.js';

/** Failures the runner raises before the step does anything (src/scenario/run.ts). */
const NO_EFFECT = /is not running|has not joined/;

export function reproductionScenario(scenario: Scenario, steps: ReadonlyMap<number, StepRecord>): { scenario: Scenario; notes: string[] } {
  const notes: string[] = [];
  const out: Step[] = [];
  scenario.steps.forEach((step, i) => {
    const rec = steps.get(i);
    const kind = stepKind(step);
    if (!rec || rec.ok || !['update', 'join', 'leave', 'send'].includes(kind)) return void out.push(step);
    if (rec.error && NO_EFFECT.test(rec.error)) {
      notes.push(`step ${i} (${kind}) left out: it failed without effect (${rec.error})`);
      return;
    }
    const code = rec.code;
    if ((kind === 'update' || kind === 'join') && code && (GLUP_ERROR_CODES as readonly string[]).includes(code)) {
      const body = (step as Record<string, object>)[kind]!;
      return void out.push({ [kind]: { ...body, expectError: code as GlupErrorCode } } as Step);
    }
    notes.push(`step ${i} (${kind}) failed (${rec.error ?? 'no message'}${code ? `, ${code}` : ''}): glup run stops there, glup sim --check goes on`);
    out.push(step);
  });
  // steps after the one the sim stopped at never ran: keep them, they are the run's plan
  return { scenario: { ...scenario, steps: out }, notes };
}

export interface ReproductionInfo {
  nodes: number;
  steps: number;
  faults: readonly SimFault[];
  workloads?: readonly SimWorkload[];
  /** Set for a shrunk run: how far it shrank and where the original run was written. */
  shrunk?: { from: number; to: number; runs: number; original: string };
}

export function reproductionYaml(scenario: Scenario, steps: ReadonlyMap<number, StepRecord>, violations: readonly Violation[], info: ReproductionInfo): string {
  const { scenario: repro, notes } = reproductionScenario(scenario, steps);
  const first = violations[0]!;
  const settles = violations.some((v) => v.invariant === 'settles-after-heal');
  const workloads = info.workloads ? ` --workload ${info.workloads.join(',')}` : '';
  const header = [
    `glup sim seed ${scenario.seed}: invariant ${INVARIANT_NUMBER[first.invariant]} (${first.invariant}) violated`,
    ...violations.slice(0, 10).map((v) => `  - ${v.invariant}${v.t !== undefined ? ` at t=${Math.round(v.t)}` : ''}: ${v.detail}`),
    ...(violations.length > 10 ? [`  … and ${violations.length - 10} more`] : []),
    ...(info.shrunk
      ? [`Shrunk from ${info.shrunk.from} to ${info.shrunk.to} generated steps in ${info.shrunk.runs} runs (the same invariant still fails); the whole run: ${info.shrunk.original}`]
      : []),
    `Regenerate and re-check: glup sim --seed ${scenario.seed} --nodes ${info.nodes} --steps ${info.steps} --faults ${info.faults.join(',')}${workloads}`,
    `Replay: glup sim --check <this file> runs it as the sim did and re-checks every invariant; glup run <this file> replays it too`,
    `(memory transport, the same seed gives the same run) but stops at a failed step the file cannot expect (see the notes below).`,
    settles
      ? 'The closing waitFor/expect steps encode invariant 4 (one manager, all members, converged): the replay fails there.'
      : 'This invariant is not a scenario condition: glup run passes; glup sim --check finds it.',
    ...notes,
  ];
  const doc = new Document(repro);
  doc.commentBefore = header.map((l) => ` ${l}`).join('\n');
  // one step per line, in flow style, like the hand-written scenarios
  const stepsNode = doc.get('steps', true);
  if (isSeq(stepsNode)) for (const item of stepsNode.items) if (isMap(item)) item.flow = true;
  return doc.toString({ lineWidth: 0 });
}
