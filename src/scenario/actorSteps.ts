/** The hosted-actor steps of a scenario (docs/scenarios.md); what an `ask` step checks of the answer (docs/scenarios.md): the state value, and each context field given. */
import { isDeepStrictEqual } from 'node:util';
import type { NodeRuntime } from '../actors/runtime.js';
import { DEMO_MACHINES } from '../actors/hosted/demo.js';
import type { ActorTypeSpec, AskStep, TellStep } from './types.js';

/** Why the answer does not match the step's `expect`, or null when it does (or there is none). */
export function answerMismatch(step: AskStep, answer: unknown): string | null {
  if (!step.expect) return null;
  const a = answer as { value?: unknown; context?: Record<string, unknown> };
  if ('value' in step.expect && !isDeepStrictEqual(a.value, step.expect.value)) {
    return `expected state ${JSON.stringify(step.expect.value)}, got ${JSON.stringify(a.value)}`;
  }
  for (const [k, want] of Object.entries(step.expect.context ?? {})) {
    const got = a.context?.[k];
    if (!isDeepStrictEqual(got, want)) return `expected context.${k} ${JSON.stringify(want)}, got ${JSON.stringify(got) ?? 'nothing'}`;
  }
  return null;
}

/** Every node of a scenario defines the cluster's actor types, with machines of the demo catalogue. */
export function defineDemoActors(node: NodeRuntime, types: readonly ActorTypeSpec[] | undefined): void {
  for (const a of types ?? []) node.actors.define(a.type, DEMO_MACHINES[a.machine]!, { placement: a.placement, ...(a.on !== undefined && { on: a.on }), ...(a.idleMs !== undefined && { idleMs: a.idleMs }) });
}

export function tell(node: NodeRuntime, step: TellStep): void {
  node.actors.ref(step.type, step.key).send(step.event);
}
