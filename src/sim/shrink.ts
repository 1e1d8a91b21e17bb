/**
 * Shrinking a failing glup sim run (delta debugging, Zeller's ddmin on the steps): remove
 * chunks of the body — halves, quarters, … — then single steps, keeping a candidate
 * whenever the SAME invariant still fails (for a failed step: at the same kind of step). The frame stays: the steps that start and form
 * the cluster, and the closing (heal, restarts, settle, expect), recomputed for each
 * candidate from the nodes its body leaves down or stopped. A candidate that is not a valid
 * scenario (a step naming a node whose `add` was removed) counts as not failing.
 *
 * Memory runs are deterministic per scenario, so each try is one more run; `budget` caps the
 * tries, so a shrink always ends (with the smallest failing run found so far).
 */
import { validateScenarioValue } from '../scenario/parse.js';
import type { Scenario, Step } from '../scenario/types.js';
import { closingSteps, type FrameOptions } from './closing.js';
import { executeRun, frameOf, type Execution } from './execute.js';
import type { Violation } from './invariants.js';

export interface ShrinkInput {
  scenario: Scenario;
  bodyStart: number;
  closingStart: number;
  frame: FrameOptions;
  /** The violation to keep: a candidate must break the same invariant the same way (see `sameFailure`). */
  target: Violation;
  /** Most runs to spend. */
  budget: number;
}

export interface Candidate {
  scenario: Scenario;
  settleStep: number;
  finalStep: number;
}

export interface ShrinkResult extends Candidate {
  /** The last failing run's observations (for the reproduction file). */
  execution: Execution;
  runs: number;
  bodyBefore: number;
  bodyAfter: number;
}

/** The whole scenario for a body: the original setup, the body, a closing computed for it. */
export function candidateFor(input: Pick<ShrinkInput, 'scenario' | 'bodyStart' | 'frame'>, body: readonly Step[]): Candidate {
  const setup = input.scenario.steps.slice(0, input.bodyStart);
  const closing = closingSteps(body, input.frame);
  const start = setup.length + body.length;
  return {
    scenario: { ...input.scenario, steps: [...setup, ...body, ...closing.steps] },
    settleStep: start + closing.settleAt,
    finalStep: start + closing.finalAt,
  };
}

export async function shrinkRun(input: ShrinkInput, first: Execution): Promise<ShrinkResult> {
  let body = input.scenario.steps.slice(input.bodyStart, input.closingStart);
  const bodyBefore = body.length;
  let best: Candidate = { scenario: input.scenario, settleStep: -1, finalStep: -1 };
  let bestExecution = first;
  let runs = 0;

  const fails = async (steps: Step[]): Promise<boolean> => {
    if (runs >= input.budget) return false;
    const c = candidateFor(input, steps);
    let scenario: Scenario;
    try {
      scenario = validateScenarioValue(c.scenario, `shrinking ${input.scenario.name}`);
    } catch {
      return false;
    }
    runs++;
    const execution = await executeRun(scenario, frameOf(scenario, c.settleStep, c.finalStep));
    if (!execution.violations.some((v) => sameFailure(v, input.target))) return false;
    best = { ...c, scenario };
    bestExecution = execution;
    return true;
  };

  // ddmin: try removing each of n chunks; on success keep the rest and coarsen, else refine
  // (chunks of one step are the next phase's job)
  let n = 2;
  while (runs < input.budget) {
    const size = Math.ceil(body.length / n);
    if (size <= 1) break;
    let reduced = false;
    for (let i = 0; i < body.length && runs < input.budget; i += size) {
      const rest = [...body.slice(0, i), ...body.slice(i + size)];
      if (await fails(rest)) {
        body = rest;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) n = Math.min(n * 2, body.length);
  }
  // single steps, from the end, until no one step can go
  for (let changed = true; changed && runs < input.budget; ) {
    changed = false;
    for (let i = body.length - 1; i >= 0 && runs < input.budget; i--) {
      const rest = [...body.slice(0, i), ...body.slice(i + 1)];
      if (await fails(rest)) {
        body = rest;
        changed = true;
      }
    }
  }
  if (best.settleStep < 0) {
    // nothing smaller fails the same way: the original is the answer
    return { ...candidateFor(input, body), scenario: input.scenario, execution: first, runs, bodyBefore, bodyAfter: bodyBefore };
  }
  return { ...best, execution: bestExecution, runs, bodyBefore, bodyAfter: body.length };
}

/**
 * The same invariant, and for a failed step the same kind of step: a run shrunk from a
 * settle that times out must not pass as one whose graceful leave times out instead.
 */
export function sameFailure(v: Violation, target: Violation): boolean {
  const stepKindOf = (x: Violation) => /^step \d+ \((\w+)\)/.exec(x.detail)?.[1] ?? null;
  return v.invariant === target.invariant && stepKindOf(v) === stepKindOf(target);
}
