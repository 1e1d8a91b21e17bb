/**
 * Pure `transition()` tests of the charts (xstate v5 `initialTransition` / `transition`):
 * no actor runs, no timer fires, no effect happens. A step returns the next snapshot and the
 * actions it asks for, so a test reads as "in this state, on this event, the chart asks for
 * this". Three things a pure step cannot do by itself, done here:
 *   - delays: `after` transitions fire on `fire(machine, snap, 'heartbeatInterval')`, the
 *     event XState would schedule;
 *   - reports to the parent: a chart started without a parent cannot resolve `sendParent`,
 *     so `pure(machine)` turns each named `sendParent` action into a no-op of the same
 *     name, and `asked` shows the event it would have sent;
 *   - xstate 5.33's `initialTransition` also starts the machine once without input (its
 *     inert `self` actor); a delay read from that empty context is undefined, which XState
 *     takes as 0, and a chart whose `after` re-enters its own state then loops for ever
 *     (liveness, joining). `pure` makes a delay that is not a number a very long one;
 *   - invoked promises: `done(machine, snap, src, output)` is the done event of the child
 *     invoked from `src`.
 */
import { getNextTransitions, transition, type AnyMachineSnapshot, type AnyStateMachine, type EventFromLogic, type SnapshotFrom } from 'xstate';

type Expr = (args: unknown, params: unknown) => unknown;
/** Per machine: the events its parent-bound actions send, by action name. */
const parentBound = new WeakMap<AnyStateMachine, Map<string, unknown>>();

/** The machine to step purely: named `sendParent` actions become no-ops `asked` can read; delays are always numbers. */
export function pure<M extends AnyStateMachine>(machine: M): M {
  const bound = new Map<string, unknown>();
  const actions: Record<string, () => void> = {};
  for (const [name, impl] of Object.entries(machine.implementations.actions ?? {})) {
    const send = impl as { type?: string; to?: unknown; event?: unknown };
    if (send?.type !== 'xstate.sendTo' || send.to !== '#_parent') continue;
    bound.set(name, send.event);
    actions[name] = () => {};
  }
  const delays: Record<string, Expr> = {};
  for (const [name, impl] of Object.entries(machine.implementations.delays ?? {})) {
    if (typeof impl !== 'function') continue;
    delays[name] = (args, params) => {
      const ms = (impl as Expr)(args, params);
      return typeof ms === 'number' && Number.isFinite(ms) ? ms : 2 ** 31 - 1;
    };
  }
  const provided = machine.provide({ actions, delays } as never) as M;
  parentBound.set(provided, bound);
  return provided;
}

export interface Asked {
  type: string;
  params?: unknown;
  /** What a `sendParent` action would send, or a `sendTo` action sends. */
  event?: unknown;
  /** The child a `sendTo` action sends to. */
  to?: string;
}

/**
 * The effects a step asks for, in order, as plain data: named actions with their params,
 * reports to the parent with their event, and events sent to children. XState's own
 * bookkeeping (timers, spawning, stopping children) is left out.
 */
export function asked(machine: AnyStateMachine, actions: readonly { type: string; params?: unknown; info?: unknown }[]): Asked[] {
  const bound = parentBound.get(machine);
  const out: Asked[] = [];
  for (const a of actions) {
    if (bound?.has(a.type)) {
      const expr = bound.get(a.type);
      out.push({ type: a.type, event: typeof expr === 'function' ? (expr as Expr)(a.info, a.params) : expr });
    } else if (a.type === 'xstate.sendTo') {
      const p = a.params as { to: { id: string } | string; event: unknown; delay?: number };
      if (p.delay !== undefined) continue;
      out.push({ type: 'sendTo', to: typeof p.to === 'string' ? p.to : p.to.id, event: p.event });
    } else if (!a.type.startsWith('xstate.')) {
      out.push(a.params === undefined ? { type: a.type } : { type: a.type, params: a.params });
    }
  }
  return out;
}

/** Only the names of what a step asks for. */
export const names = (machine: AnyStateMachine, actions: readonly { type: string; params?: unknown; info?: unknown }[]) => asked(machine, actions).map((a) => a.type);

/** The delays that could fire now (`after` transitions of the active states), by their names. */
export function pendingDelays(snap: AnyMachineSnapshot): string[] {
  return getNextTransitions(snap)
    .map((t) => t.eventType)
    .filter((e) => e.startsWith('xstate.after.'))
    .map((e) => e.split('.')[2]!);
}

/** Fires the `after` delay `delay` of the deepest active state that has one. */
export function fire<M extends AnyStateMachine>(machine: M, snap: SnapshotFrom<M>, delay: string) {
  const events = getNextTransitions(snap as AnyMachineSnapshot)
    .map((t) => t.eventType)
    .filter((e) => e.startsWith(`xstate.after.${delay}.`));
  if (!events.length) throw new Error(`no '${delay}' delay is pending in ${JSON.stringify((snap as AnyMachineSnapshot).value)}`);
  return transition(machine, snap, { type: events[0]! } as EventFromLogic<M>);
}

/** The done event of the child invoked from `src` (its output), as XState raises it. */
export function done<M extends AnyStateMachine>(machine: M, snap: SnapshotFrom<M>, src: string, output?: unknown) {
  const s = snap as AnyMachineSnapshot;
  const id = Object.keys(s.children).find((k) => (s.children[k] as { src?: unknown })?.src === src) ?? Object.keys(s.children).find((k) => k === src);
  if (!id) throw new Error(`no child invoked from '${src}' in ${JSON.stringify(s.value)} (children: ${Object.keys(s.children).join(', ')})`);
  return transition(machine, snap, { type: `xstate.done.actor.${id}`, output, actorId: id } as EventFromLogic<M>);
}

/** The error event of the child invoked from `src`. */
export function failed<M extends AnyStateMachine>(machine: M, snap: SnapshotFrom<M>, src: string, error: unknown = new Error('failed')) {
  const s = snap as AnyMachineSnapshot;
  const id = Object.keys(s.children).find((k) => (s.children[k] as { src?: unknown })?.src === src) ?? Object.keys(s.children).find((k) => k === src);
  if (!id) throw new Error(`no child invoked from '${src}' in ${JSON.stringify(s.value)}`);
  return transition(machine, snap, { type: `xstate.error.actor.${id}`, error, actorId: id } as EventFromLogic<M>);
}
