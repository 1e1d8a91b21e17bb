/**
 * Turns a seed into a scenario (SPEC section 10) for `glup sim`: the generated run is an
 * ordinary scenario, so a failing seed is reproduced by `glup run` of the written file.
 *
 * Fault model (what the generated steps inject):
 * - kill: a node crashes without goodbye. At most a minority of the membership is down at
 *   any moment, so a majority can always form once the network heals (invariant 4 stays
 *   meaningful).
 * - restart: a down node comes back from its persisted (memory) store; a live node may
 *   also be crashed and restarted at once.
 * - partition: the nodes split into two or three random sides, until the next heal.
 * - drop / duplicate / delay: message faults between all nodes (fault filter, receiving
 *   side), until cleared; a node's messages to itself are never touched.
 * Never touched: store contents (memory stores keep every write), message bytes.
 *
 * Workloads (src/sim/workloads/): data updates (set, merge, cas, delete, batch on a few
 * keys) from random live nodes and waits of random virtual time; churn (nodes added,
 * graceful leaves, rejoins, kills right after a membership change); process-group joins,
 * leaves and ordered sends; hosted actors (asks and tells to a sharded and a singleton
 * counter). The run ends with heal, `faults: none`, restart of every down
 * node and a settle period whose conditions encode invariant 4 (src/sim/closing.ts).
 *
 * With the `data` workload alone a seed generates exactly the run it generated before
 * churn and groups existed: their actions draw from streams of their own and are not in
 * the pick list when disabled.
 */
import { createRandom, type Random } from '../random.js';
import type { DataOp } from '../db/types.js';
import type { FaultsSpec, Scenario, Step } from '../scenario/types.js';
import { SIM_WORKLOADS, type SimFault, type SimWorkload } from './options.js';
import { closingSteps, setupSteps } from './closing.js';
import { churnActions } from './workloads/churn.js';
import { groupActions } from './workloads/groups.js';
import { actorActions, SIM_ACTOR_TYPES } from './workloads/actors.js';
import { oneOf, type GenContext, type GenAction } from './workloads/context.js';

export const SIM_HEARTBEAT_MS = 100;
/** Invariant 4's bound: after the final heal and restarts, the cluster settles within this. */
export const SETTLE_HEARTBEATS = 30;

export interface GenerateOptions {
  seed: number;
  nodes: number;
  steps: number;
  faults: readonly SimFault[];
  /** Default: every workload. */
  workloads?: readonly SimWorkload[];
  /** Bound of the final settle (invariant 4); tests shrink it to provoke a violation. */
  settleBoundMs?: number;
}

export interface GeneratedRun {
  scenario: Scenario;
  /** Faults injected by kind, counted from the generated steps. */
  faults: Record<string, number>;
  /** Churn and group operations by kind. */
  workload: Record<string, number>;
  /** Steps before the body (start, formation) and the first closing step: the shrinker keeps both ends. */
  bodyStart: number;
  closingStart: number;
  /** Index of the final waitFor (the settle) and of the closing expect: invariant 4 lives there. */
  settleStep: number;
  finalStep: number;
}

const KEYS = ['k0', 'k1', 'k2', 'k3'];

export function generateRun(opts: GenerateOptions): GeneratedRun {
  const root = createRandom(opts.seed);
  const pickAction = root.fork('actions');
  const pickNode = root.fork('nodes');
  const pickOp = root.fork('workload');
  const pickTime = root.fork('time');
  const workloads = new Set(opts.workloads ?? SIM_WORKLOADS);
  const initial = Array.from({ length: opts.nodes }, (_, i) => `n${i + 1}`);
  // each seed also draws the cluster's shape: modes, priorities, an unqualified node
  const shape = root.fork('cluster');
  const glup = shape.next() < 0.5 ? ('multicast' as const) : ('unicast' as const);
  const heartbeat = shape.next() < 0.5 ? ('multicast' as const) : ('unicast' as const);
  const specs = initial.map((id) => ({ id, priority: shape.next() < 0.3 ? 1 + Math.floor(shape.next() * 3) : 0, qualified: true }));
  if (initial.length >= 3 && shape.next() < 0.3) specs[Math.floor(shape.next() * initial.length)]!.qualified = false;
  const enabled = new Set(opts.faults);
  const hb = SIM_HEARTBEAT_MS;
  const frame = { initial, heartbeatMs: hb, settleBoundMs: opts.settleBoundMs ?? SETTLE_HEARTBEATS * hb };

  const body: Step[] = [];
  const ctx: GenContext = {
    ids: [...initial],
    members: new Set(initial),
    down: new Set(),
    partitioned: false,
    steps: body,
    counts: Object.fromEntries(opts.faults.map((f) => [f, 0])),
    workload: {},
    faultsEnabled: enabled,
    heartbeatMs: hb,
    nodeGone: [],
    live: () => ctx.ids.filter((id) => ctx.members.has(id) && !ctx.down.has(id)),
    maxDown: () => Math.floor((ctx.members.size - 1) / 2),
    kill(id) {
      ctx.down.add(id);
      ctx.counts.kill = (ctx.counts.kill ?? 0) + 1;
      body.push({ kill: [id] });
      for (const fn of ctx.nodeGone) fn(id);
    },
  };
  let messageFaults: FaultsSpec = {};
  const written: { value: number | null }[] = KEYS.map(() => ({ value: null }));
  let nextValue = 1;

  const dataOp = (): DataOp => {
    const k = Math.floor(pickOp.next() * KEYS.length);
    const path = `sim.${KEYS[k]}`;
    const kind = pickOp.next();
    const value = nextValue++;
    if (kind < 0.4) {
      written[k]!.value = value;
      return { set: { path, value } };
    }
    if (kind < 0.55) return { merge: { path: 'sim.obj', value: { [KEYS[k]!]: value } } };
    if (kind < 0.75) {
      // expect the last value written here, or absent: right often enough to commit
      const expect = pickOp.next() < 0.7 ? written[k]!.value : null;
      written[k]!.value = value;
      return { cas: { path, expect, value } };
    }
    if (kind < 0.85) {
      written[k]!.value = null;
      return { delete: { path } };
    }
    const other = `sim.${KEYS[(k + 1) % KEYS.length]}`;
    return { batch: { ops: [{ set: { path, value } }, { set: { path: other, value: value + 0.5 } }] } };
  };

  const setMessageFaults = (kind: 'drop' | 'duplicate' | 'delay') => {
    // the fault filter's `set` replaces all settings: carry the other kinds along
    const next: FaultsSpec = { ...messageFaults };
    if (kind === 'drop') next.drop = round2(pickTime.between(0.02, 0.2));
    if (kind === 'duplicate') next.duplicate = round2(pickTime.between(0.02, 0.3));
    if (kind === 'delay') {
      const min = Math.floor(pickTime.between(0, 20));
      next.delayMs = [min, min + Math.floor(pickTime.between(1, 3 * hb))];
    }
    messageFaults = next;
    ctx.counts[kind]!++;
    body.push({ faults: next });
  };

  // The order and weights of this list are part of what a seed means: append, never reorder.
  const actions: GenAction[] = [
    {
      weight: 5,
      run: () => {
        const candidates = ctx.live();
        if (!candidates.length) return false;
        body.push({ update: { node: oneOf(pickNode, candidates), ...dataOp() } });
        return true;
      },
    },
    {
      weight: 2,
      run: () => {
        body.push({ wait: Math.floor(pickTime.between(1, 10 * hb)) });
        return true;
      },
    },
  ];
  if (enabled.has('kill')) {
    actions.push({
      weight: 2,
      run: () => {
        if (ctx.down.size >= ctx.maxDown()) return false;
        ctx.kill(oneOf(pickNode, ctx.live()));
        return true;
      },
    });
  }
  if (enabled.has('restart')) {
    actions.push({
      weight: 2,
      run: () => {
        // a down node comes back; with none down, a live node crashes and restarts at once
        const id = ctx.down.size && pickNode.next() < 0.8 ? oneOf(pickNode, [...ctx.down]) : oneOf(pickNode, ctx.live());
        ctx.down.delete(id);
        ctx.counts.restart!++;
        body.push({ restart: [id] });
        for (const fn of ctx.nodeGone) fn(id);
        return true;
      },
    });
  }
  if (enabled.has('partition')) {
    actions.push({
      weight: 2,
      run: () => {
        if (ctx.partitioned && pickAction.next() < 0.6) {
          ctx.partitioned = false;
          body.push({ heal: true });
          return true;
        }
        const sideCount = ctx.ids.length >= 5 && pickAction.next() < 0.3 ? 3 : 2;
        const sides: string[][] = Array.from({ length: sideCount }, () => []);
        const shuffled = shuffle(pickNode, ctx.ids);
        // every side gets one node first, the rest fall anywhere
        shuffled.forEach((id, i) => sides[i < sideCount ? i : Math.floor(pickNode.next() * sideCount)]!.push(id));
        if (sides.some((s) => s.length === 0)) return false;
        ctx.partitioned = true;
        ctx.counts.partition!++;
        body.push({ partition: sides });
        return true;
      },
    });
  }
  for (const kind of ['drop', 'duplicate', 'delay'] as const) {
    if (!enabled.has(kind)) continue;
    actions.push({
      weight: 1,
      run: () => {
        if (Object.keys(messageFaults).length && pickAction.next() < 0.4) {
          messageFaults = {};
          body.push({ faults: 'none' });
          return true;
        }
        setMessageFaults(kind);
        return true;
      },
    });
  }
  if (workloads.has('churn')) actions.push(...churnActions(ctx, root.fork('churn')));
  if (workloads.has('groups')) actions.push(...groupActions(ctx, root.fork('groups')));
  if (workloads.has('actors')) actions.push(...actorActions(ctx, root.fork('actors')));
  // without the data workload, updates are not drawn (waits and faults still are)
  if (!workloads.has('data')) actions[0]!.weight = 0;

  const total = actions.reduce((s, a) => s + a.weight, 0);
  for (let generated = 0; generated < opts.steps; ) {
    let x = pickAction.next() * total;
    const action = actions.find((a) => (x -= a.weight) < 0) ?? actions[0]!;
    if (action.weight > 0 && action.run()) generated++;
  }

  const setup = setupSteps(frame);
  const closing = closingSteps(body, frame);
  const steps = [...setup, ...body, ...closing.steps];
  const closingStart = setup.length + body.length;
  const scenario: Scenario = {
    name: `sim-${opts.seed}`,
    seed: opts.seed,
    description: `glup sim seed ${opts.seed}: ${opts.nodes} nodes, ${opts.steps} steps, faults ${opts.faults.join(',') || 'none'}, workload ${[...workloads].join(',')}, glup ${glup}, heartbeat ${heartbeat}`,
    cluster: {
      name: `sim-${opts.seed}`,
      nodes: specs,
      persistence: 'memory',
      heartbeatMs: hb,
      missedHeartbeats: 3,
      heartbeat,
      glup,
      quorum: 'majority',
      ...(workloads.has('actors') && { actors: SIM_ACTOR_TYPES }),
    },
    steps,
  };
  return {
    scenario,
    faults: ctx.counts,
    workload: ctx.workload,
    bodyStart: setup.length,
    closingStart,
    settleStep: closingStart + closing.settleAt,
    finalStep: closingStart + closing.finalAt,
  };
}

function shuffle<T>(r: Random, xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r.next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
