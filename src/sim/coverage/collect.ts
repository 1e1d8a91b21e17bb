/**
 * Which chart transitions a run took, from the nodes' inspection stream. Two shapes arrive:
 * - XState's own microstep events (`@xstate.microstep` with `_transitions`): each names the
 *   transitions it took, so every kind is counted exactly, actions-only ones included;
 * - glup's reduced events `{actor, type: 'transition', event, from, to}` (state values):
 *   a transition counts as taken when its event matches, its source was active in `from`
 *   and its targets are active in `to` (or reached from them by an `always` transition,
 *   counted too). A value that does not change (actions only, re-entering the same state)
 *   leaves no reduced event, so those transitions need the XState events.
 * The actor an event comes from is matched to a chart by the chart's logic when XState gives
 * it, else by name (list name or machine id, also before a `:` as in `group:g`), else by
 * the first chart whose states its values fit.
 */
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';
import type { NamedMachine } from './machines.js';
import { ALWAYS, enumerateTransitions, transitionKey, type ChartTransition } from './transitions.js';

interface Chart {
  name: string;
  machine: AnyStateMachine;
  transitions: ChartTransition[];
  byEvent: Map<string, ChartTransition[]>;
  always: ChartTransition[];
}

export interface CoverageCollector {
  /** Feed one inspection event (either shape); others are ignored. */
  observe(e: unknown): void;
  /** Keys taken so far, as `<machine>:<transition key>`. */
  taken(): Set<string>;
  /** Keys taken since the last call (what a worker reports per seed). */
  drain(): string[];
  /** Whether XState's own microstep events arrived (else only value changes were seen). */
  sawMicrosteps(): boolean;
}

export function createCoverageCollector(machines: readonly NamedMachine[]): CoverageCollector {
  const charts: Chart[] = machines.map(({ name, machine }) => {
    const transitions = enumerateTransitions(name, machine);
    const byEvent = new Map<string, ChartTransition[]>();
    for (const t of transitions) {
      if (t.event === ALWAYS) continue;
      let l = byEvent.get(t.event);
      if (!l) byEvent.set(t.event, (l = []));
      l.push(t);
    }
    return { name, machine, transitions, byEvent, always: transitions.filter((t) => t.event === ALWAYS) };
  });
  const taken = new Set<string>();
  let fresh: string[] = [];
  let microsteps = false;
  const actorChart = new Map<string, Chart | null>();
  const mark = (chart: Chart, key: string) => {
    const k = `${chart.name}:${key}`;
    if (taken.has(k)) return;
    taken.add(k);
    fresh.push(k);
  };

  const chartOfLogic = (logic: unknown): Chart | undefined => {
    const m = logic as AnyStateMachine | undefined;
    if (!m || typeof m !== 'object') return undefined;
    return charts.find((c) => c.machine === m || c.machine.config === m.config) ?? charts.find((c) => c.machine.id === m.id);
  };

  const chartOfActor = (actor: string, from: unknown, to: unknown): Chart | null => {
    const known = actorChart.get(actor);
    if (known !== undefined) return known;
    const base = actor.split(':')[0]!;
    const chart =
      charts.find((c) => c.name === actor || c.machine.id === actor) ??
      charts.find((c) => c.name === base || c.machine.id === base) ??
      charts.find((c) => activeIds(c.machine, to) && (from === null || from === undefined || activeIds(c.machine, from))) ??
      null;
    actorChart.set(actor, chart);
    return chart;
  };

  const observeMicrostep = (e: { actorRef?: { logic?: unknown }; _transitions?: AnyTransitionDefinition[] }) => {
    const chart = chartOfLogic(e.actorRef?.logic);
    if (!chart) return;
    for (const def of e._transitions ?? []) mark(chart, transitionKey(def));
  };

  const observeReduced = (e: { actor: string; event: string; from?: unknown; to?: unknown }) => {
    if (e.from === null || e.from === undefined) return;
    const chart = chartOfActor(e.actor, e.from, e.to);
    if (!chart) return;
    const from = activeIds(chart.machine, e.from);
    const to = activeIds(chart.machine, e.to);
    if (!from || !to) return;
    for (const t of chart.byEvent.get(e.event) ?? []) {
      if (!from.has(t.source) || !t.targets.length) continue;
      if (t.targets.every((id) => to.has(id))) {
        mark(chart, t.key);
        continue;
      }
      // the target was left at once by an eventless transition that ended where `to` is
      const via = chart.always.filter((a) => t.targets.some((id) => a.source === id || a.source.startsWith(`${id}.`)) && a.targets.length && a.targets.every((id) => to.has(id)));
      if (via.length) {
        mark(chart, t.key);
        for (const a of via) mark(chart, a.key);
      }
    }
  };

  return {
    observe(e) {
      if (!e || typeof e !== 'object') return;
      const ev = e as { type?: unknown };
      if (ev.type === '@xstate.microstep') {
        microsteps = true;
        observeMicrostep(e as never);
      }
      else if (ev.type === 'transition' && typeof (e as { actor?: unknown }).actor === 'string') observeReduced(e as never);
    },
    taken: () => taken,
    drain() {
      const out = fresh;
      fresh = [];
      return out;
    },
    sawMicrosteps: () => microsteps,
  };
}

/** Ids of every state node active in `value` (root included), or null when the value is not one of this chart's. */
export function activeIds(machine: AnyStateMachine, value: unknown): Set<string> | null {
  const ids = new Set<string>([machine.root.id]);
  const walk = (node: AnyStateNode, v: unknown): boolean => {
    if (typeof v === 'string') {
      const child = node.states[v];
      if (!child) return false;
      ids.add(child.id);
      return true;
    }
    if (!v || typeof v !== 'object') return false;
    for (const [key, sub] of Object.entries(v as Record<string, unknown>)) {
      const child = node.states[key];
      if (!child) return false;
      ids.add(child.id);
      // an empty object is an atomic child written as a record (rare, but valid)
      if (sub !== undefined && !(typeof sub === 'object' && sub !== null && Object.keys(sub).length === 0) && !walk(child, sub)) return false;
    }
    return true;
  };
  return walk(machine.root, value) ? ids : null;
}
