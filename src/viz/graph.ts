/**
 * A machine's definition as a plain JSON graph, the one source every `glup viz` format is
 * drawn from. It is read from the StateNode tree XState builds (`machine.root`), so the
 * picture shows the chart exactly as it runs, and it is ordered by the definition itself
 * (state order, then transition order) so two exports of one machine are byte-identical.
 */
import type { AnyStateMachine } from 'xstate';

export type GraphStateType = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface GraphState {
  /** Dotted path from the machine id: `node.active.member.backup`. */
  id: string;
  key: string;
  /** Id of the enclosing state; null for the machine's root. */
  parent: string | null;
  type: GraphStateType;
  /** Id of the initial child of a compound state; null otherwise. */
  initial: string | null;
  entry: string[];
  exit: string[];
  /** The `src` of each invoked actor. */
  invokes: string[];
  /** The state's tags (`manager`, `voting`, …): what a reader and `snapshot.hasTag` go by. */
  tags: string[];
  /** `shallow` or `deep` for a history state. */
  history?: 'shallow' | 'deep';
  description?: string;
}

export interface GraphTransition {
  source: string;
  /** Empty for a targetless transition: actions run, the state is not left. */
  target: string[];
  /** The event type; `after <delay>` for a delayed transition, `always` for an eventless one. */
  event: string;
  guard?: string;
  actions: string[];
  /** The delay's name (`discovery`) or a number of milliseconds as a string. */
  delay?: string;
  /** Re-entering the state it targets (exit and entry actions run again). */
  reenter?: true;
}

export interface MachineGraph {
  id: string;
  states: GraphState[];
  transitions: GraphTransition[];
}

/** The fields of XState's StateNode (5.33) this walk reads. */
interface StateNodeLike {
  key: string;
  path: string[];
  type: GraphStateType;
  states: Record<string, StateNodeLike>;
  entry: unknown[];
  exit: unknown[];
  invoke: Array<{ src: unknown; id: string }>;
  tags: string[];
  history?: 'shallow' | 'deep' | false;
  description?: string;
  initial?: { target: StateNodeLike[] };
  transitions: Map<string, TransitionLike[]>;
  always?: TransitionLike[];
}

interface TransitionLike {
  eventType: string;
  target?: StateNodeLike[];
  guard?: unknown;
  actions: unknown[];
  delay?: string | number;
  reenter?: boolean;
}

export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const graph: MachineGraph = { id: machine.id, states: [], transitions: [] };
  const idOf = (node: StateNodeLike) => [machine.id, ...node.path].join('.');
  const walk = (node: StateNodeLike, parent: string | null) => {
    const id = idOf(node);
    const initialTarget = node.type === 'compound' ? node.initial?.target[0] : undefined;
    graph.states.push({
      id,
      key: parent === null ? machine.id : node.key,
      parent,
      type: node.type,
      initial: initialTarget ? idOf(initialTarget) : null,
      entry: node.entry.filter((a) => !isDelayBookkeeping(a)).map(actionName),
      exit: node.exit.filter((a) => !isDelayBookkeeping(a)).map(actionName),
      invokes: node.invoke.map((inv) => (typeof inv.src === 'string' ? inv.src : inv.id)),
      tags: [...node.tags],
      ...(node.type === 'history' && node.history ? { history: node.history } : {}),
      ...(node.description !== undefined ? { description: node.description } : {}),
    });
    const all = [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
    for (const t of all) graph.transitions.push(transitionOf(id, t, idOf));
    for (const child of Object.values(node.states)) walk(child, id);
  };
  walk(machine.root as unknown as StateNodeLike, null);
  return graph;
}

/** `EVENT [guard] / action, action`; delayed ones read `after discovery`. */
export function transitionLabel(t: GraphTransition): string {
  let label = t.event;
  if (t.guard !== undefined) label += ` [${t.guard}]`;
  if (t.actions.length > 0) label += ` / ${t.actions.join(', ')}`;
  return label;
}

function transitionOf(source: string, t: TransitionLike, idOf: (n: StateNodeLike) => string): GraphTransition {
  const delay = t.delay === undefined ? undefined : String(t.delay);
  const event = delay !== undefined ? `after ${delay}` : t.eventType === '' ? 'always' : t.eventType;
  const out: GraphTransition = {
    source,
    target: (t.target ?? []).map(idOf),
    event,
    ...(t.guard !== undefined ? { guard: guardName(t.guard) } : {}),
    actions: t.actions.map(actionName),
  };
  if (delay !== undefined) out.delay = delay;
  if (t.reenter) out.reenter = true;
  return out;
}

/** XState adds a raise on entry and a cancel on exit for every `after`; they are not the author's actions. */
function isDelayBookkeeping(action: unknown): boolean {
  const a = action as { type?: string; id?: unknown; sendId?: unknown };
  if (typeof action !== 'function') return false;
  if (a.type === 'xstate.raise') return typeof a.id === 'string' && a.id.startsWith('xstate.after.');
  if (a.type === 'xstate.cancel') return typeof a.sendId === 'string' && a.sendId.startsWith('xstate.after.');
  return false;
}

/** Named actions keep their names; built-ins (`assign`, `enqueueActions`, …) are named by kind. */
export function actionName(action: unknown): string {
  if (typeof action === 'string') return action;
  const a = action as { type?: unknown; name?: string };
  if (typeof a?.type === 'string') return a.type.replace(/^xstate\./, '');
  if (typeof action === 'function') return a.name || 'inline';
  return 'inline';
}

/** Guards by name; `and`/`or`/`not` spelled out with their operands. */
export function guardName(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  const g = guard as { type?: unknown; name?: string; guards?: unknown[] };
  if (typeof guard === 'function' && Array.isArray(g.guards)) return `${g.name}(${g.guards.map(guardName).join(', ')})`;
  if (typeof g?.type === 'string') return g.type;
  if (typeof guard === 'function') return g.name || 'inline';
  return 'inline';
}
