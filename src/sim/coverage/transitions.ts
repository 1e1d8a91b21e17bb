/**
 * Every transition a statechart defines, read off its state nodes (XState 5): for each state
 * node, its event transitions (`on`, `after` timers as `xstate.after.*` events, done and
 * error events of invoked actors) and its eventless `always` transitions, in document order.
 * A transition's key is its source state, its event and its position among that source's
 * transitions for the event, so guarded alternatives count separately.
 */
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';

export interface ChartTransition {
  machine: string;
  /** `<source id>|<event>|<index>`: unique within the machine, stable across `.provide()`. */
  key: string;
  source: string;
  /** The event type; `always` for eventless transitions. */
  event: string;
  /** Target state ids; empty for a transition that only runs actions. */
  targets: string[];
  guard: string | null;
  reenter: boolean;
}

export const ALWAYS = 'always';

export function transitionKey(def: AnyTransitionDefinition): string {
  const source = def.source;
  const always = !def.eventType || (source.always ?? []).includes(def);
  const event = always ? ALWAYS : def.eventType;
  const list = always ? (source.always ?? []) : (source.transitions.get(def.eventType) ?? []);
  return `${source.id}|${event}|${Math.max(0, list.indexOf(def))}`;
}

export function enumerateTransitions(name: string, machine: AnyStateMachine): ChartTransition[] {
  const out: ChartTransition[] = [];
  const add = (def: AnyTransitionDefinition) =>
    out.push({
      machine: name,
      key: transitionKey(def),
      source: def.source.id,
      event: (def.source.always ?? []).includes(def) ? ALWAYS : def.eventType,
      targets: (def.target ?? []).map((t) => t.id),
      guard: guardName(def.guard),
      reenter: !!def.reenter,
    });
  const visit = (node: AnyStateNode) => {
    for (const defs of node.transitions.values()) for (const def of defs) add(def);
    for (const def of node.always ?? []) add(def);
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(machine.root);
  return out;
}

function guardName(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') return guard.name || 'inline guard';
  if (typeof guard === 'object' && 'type' in guard) return String((guard as { type: unknown }).type);
  return 'guard';
}

/** One line for a report: `source --event [guard]--> targets`. */
export function describeTransition(t: ChartTransition): string {
  const event = t.event.startsWith('xstate.after.') ? `after ${t.event.split('.')[2]}` : t.event;
  const guard = t.guard ? ` [${t.guard}]` : '';
  const targets = t.targets.length ? t.targets.join(', ') : '(actions only)';
  return `${t.source} --${event}${guard}--> ${targets}${t.reenter ? ' (reenter)' : ''}`;
}
