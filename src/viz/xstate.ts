/**
 * `glup viz --format xstate`: a machine graph (graph.ts) as the JSON config that XState's
 * `createMachine` and the Stately editor read. Effects, guards and delays appear by name
 * (the implementations stay with the host that supplies them with `.provide()`), every
 * target is absolute (`#node.active.electing`), and the order of states and transitions is
 * the definition's, so `machineGraph(createMachine(toXStateConfig(g)))` gives back `g`.
 */
import type { GraphState, GraphTransition, MachineGraph } from './graph.js';

export interface XStateTransitionConfig {
  target?: string[];
  guard?: string;
  actions?: string[];
  reenter?: true;
}

export interface XStateStateConfig {
  id?: string;
  type?: 'compound' | 'parallel' | 'final' | 'history';
  history?: 'shallow' | 'deep';
  initial?: string;
  description?: string;
  tags?: string[];
  entry?: string[];
  exit?: string[];
  invoke?: { src: string; id: string }[];
  on?: Record<string, XStateTransitionConfig[]>;
  after?: Record<string, XStateTransitionConfig[]>;
  always?: XStateTransitionConfig[];
  states?: Record<string, XStateStateConfig>;
}

export function toXStateConfig(graph: MachineGraph): XStateStateConfig & { id: string } {
  const children = new Map<string, GraphState[]>();
  for (const s of graph.states) if (s.parent !== null) children.set(s.parent, [...(children.get(s.parent) ?? []), s]);
  const outgoing = new Map<string, GraphTransition[]>();
  for (const t of graph.transitions) outgoing.set(t.source, [...(outgoing.get(t.source) ?? []), t]);
  const root = graph.states.find((s) => s.parent === null);
  if (!root) throw new Error(`machine ${graph.id} has no root state`);

  const stateConfig = (s: GraphState): XStateStateConfig => {
    const c: XStateStateConfig = {};
    if (s.type === 'parallel' || s.type === 'final' || s.type === 'history') c.type = s.type;
    if (s.history) c.history = s.history;
    if (s.initial !== null) c.initial = s.initial.split('.').at(-1)!;
    if (s.description !== undefined) c.description = s.description;
    if (s.tags.length > 0) c.tags = [...s.tags];
    if (s.entry.length > 0) c.entry = [...s.entry];
    if (s.exit.length > 0) c.exit = [...s.exit];
    if (s.invokes.length > 0) c.invoke = s.invokes.map((src) => ({ src, id: src }));
    for (const t of outgoing.get(s.id) ?? []) {
      const tc: XStateTransitionConfig = {};
      if (t.target.length > 0) tc.target = t.target.map((id) => `#${id}`);
      if (t.guard !== undefined) tc.guard = t.guard;
      if (t.actions.length > 0) tc.actions = [...t.actions];
      if (t.reenter) tc.reenter = true;
      if (t.delay !== undefined) ((c.after ??= {})[t.delay] ??= []).push(tc);
      else if (t.event === 'always') (c.always ??= []).push(tc);
      else ((c.on ??= {})[t.event] ??= []).push(tc);
    }
    const kids = children.get(s.id) ?? [];
    if (kids.length > 0) c.states = Object.fromEntries(kids.map((k) => [k.key, stateConfig(k)]));
    return c;
  };
  return { id: graph.id, ...stateConfig(root) };
}
