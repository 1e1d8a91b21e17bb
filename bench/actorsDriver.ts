/**
 * The `glup node --actors` module of bench/actors.ts (issue 12's benchmark). Every node
 * defines the demo counters (src/actors/hosted/demo.ts). The node whose id is
 * GLUP_BENCH_DRIVER runs the workload once every node in GLUP_BENCH_HOSTS has registered
 * them, and prints one stdout line per phase:
 *   {"event":"bench-phase","name":"oneActor",...figures}
 * For re-activation it asks the bench to kill a host:
 *   {"event":"bench-kill","victim":"n2","trial":1,"kind":"sharded"}
 * The bench kills it with SIGKILL and sends SIGUSR2; from then on the driver starts an ask
 * every PROBE_EVERY_MS and prints {"event":"bench-reactivated","trial":1} at the first answer
 * to an ask sent after the signal. The bench stamps the kill and that line (one clock).
 */
import type { NodeRuntime } from '../src/actors/runtime.js';
import { DEMO_TYPES } from '../src/actors/hosted/demo.js';
import { registrationsOf } from '../src/actors/hosted/records.js';
import { hostOf } from '../src/actors/hosted/placement.js';
import { closedLoop, latencySummary } from './stats.js';
import { until } from '../test/helpers/poll.js';

const PROBE_EVERY_MS = 5;

type Out = (event: Record<string, unknown>) => void;
interface Plan {
  cellMs: number;
  inFlight: number;
  actors: number;
  trials: number;
}

export default function driver(node: NodeRuntime, { out }: { out: Out }): void {
  for (const t of DEMO_TYPES) node.actors.define(t.type, t.machine, t.opts);
  if (node.id !== process.env.GLUP_BENCH_DRIVER) return;
  const hosts = (process.env.GLUP_BENCH_HOSTS ?? '').split(',').filter(Boolean);
  const plan = {
    cellMs: Number(process.env.GLUP_BENCH_CELL_MS ?? 5000),
    inFlight: Number(process.env.GLUP_BENCH_IN_FLIGHT ?? 64),
    actors: Number(process.env.GLUP_BENCH_ACTORS ?? 1000),
    trials: Number(process.env.GLUP_BENCH_TRIALS ?? 5),
  };
  const ready = () =>
    node.isMember() && node.db.meta.manager !== null && hosts.every((h) => node.db.nodes[h] && registrationsOf(node.db, 'counter')[h] && registrationsOf(node.db, 'singleton-counter')[h]);
  let started = false;
  const maybeStart = () => {
    if (started || !ready()) return;
    started = true;
    run(node, out, plan, ready).then(
      () => out({ event: 'bench-done' }),
      (e: Error) => out({ event: 'bench-error', message: e.message }),
    );
  };
  node.on('update', maybeStart);
  node.on('role', maybeStart);
}

async function run(node: NodeRuntime, out: Out, plan: Plan, ready: () => boolean): Promise<void> {
  const ask = (type: string, key: string, timeoutMs = 10_000) => node.actors.ref(type, key).ask({ type: 'INC' }, { timeoutMs });
  // one actor hosted on another node than this one and not on the manager: the plain case,
  // an ask that crosses the bus to the host, whose state commit goes through the manager
  const remote = firstKey((k) => {
    const h = hostOf(node.db, 'counter', k);
    return h !== node.id && h !== node.db.meta.manager;
  }, 'hot');
  const oneHost = hostOf(node.db, 'counter', remote);
  const oneSeq = await cell(plan, 1, () => ask('counter', remote));
  const oneConc = await cell(plan, plan.inFlight, () => ask('counter', remote));
  out({ event: 'bench-phase', name: 'oneActor', host: oneHost, manager: node.db.meta.manager, from: node.id, sequential: oneSeq, inFlight: oneConc });

  // 1,000 actors spread over the three nodes: the first ask to each activates it
  const keys = Array.from({ length: plan.actors }, (_, i) => `a${i}`);
  const activation = await activateAll(keys, plan.inFlight, (key) => ask('counter', key));
  const byHost: Record<string, number> = {};
  for (const k of keys) byHost[hostOf(node.db, 'counter', k)!] = (byHost[hostOf(node.db, 'counter', k)!] ?? 0) + 1;
  const manySeq = await cell(plan, 1, (_, i) => ask('counter', keys[(i * 7) % keys.length]!));
  const manyConc = await cell(plan, plan.inFlight, (lane, i) => ask('counter', keys[(lane * 997 + i * 13) % keys.length]!));
  out({ event: 'bench-phase', name: 'thousandActors', actors: keys.length, byHost, firstAsks: activation, sequential: manySeq, inFlight: manyConc });

  // re-activation after kill -9 of the host: a sharded actor on a non-manager host, then the
  // singleton on the manager (its failover included); the bench restarts the node in between
  for (let trial = 1; trial <= plan.trials * 2; trial++) {
    await until(`all hosts registered before trial ${trial}`, ready, { timeoutMs: 120_000, everyMs: 20 });
    const kind = trial <= plan.trials ? 'sharded' : 'singleton';
    if (kind === 'singleton' && node.db.meta.manager === node.id) {
      // the driver must survive: hand the manager role to another node first
      const other = Object.keys(node.db.nodes).find((id) => id !== node.id)!;
      await node.switchover(other);
      await until('the switchover', () => ready() && node.db.meta.manager === other, { timeoutMs: 60_000, everyMs: 20 });
    }
    const victim = kind === 'singleton' ? node.db.meta.manager! : Object.keys(node.db.nodes).find((id) => id !== node.id && id !== node.db.meta.manager)!;
    const type = kind === 'singleton' ? 'singleton-counter' : 'counter';
    const key = kind === 'singleton' ? 'default' : firstKey((k) => hostOf(node.db, 'counter', k) === victim, `r${trial}-`);
    await ask(type, key); // active on the victim before the kill
    const signalled = new Promise<void>((resolve) => process.once('SIGUSR2', () => resolve()));
    out({ event: 'bench-kill', victim, trial, kind, key });
    await signalled;
    await probe(() => ask(type, key, 5_000));
    out({ event: 'bench-reactivated', trial, kind, host: hostOf(node.db, type, key) });
  }
}

/** The first key `<prefix><i>` that `ok` accepts. */
function firstKey(ok: (key: string) => boolean, prefix: string): string {
  for (let i = 0; ; i++) if (ok(`${prefix}${i}`)) return `${prefix}${i}`;
}

/** Asks for plan.cellMs after a one-second warm-up, `inFlight` at a time (bench/stats.ts closedLoop). */
async function cell(plan: Plan, inFlight: number, op: (lane: number, i: number) => Promise<unknown>) {
  const r = await closedLoop(op, { inFlight, warmupMs: 1000, durationMs: plan.cellMs });
  return { inFlight, eventsPerSecond: Math.round(r.latencies.length / r.seconds), ...latencySummary(r.latencies), errors: r.errors };
}

/** One ask to each key, `inFlight` at a time: the first message activates each actor. */
async function activateAll(keys: string[], inFlight: number, op: (key: string) => Promise<unknown>) {
  const samples: number[] = [];
  let next = 0;
  let failed = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (next < keys.length) {
      const key = keys[next++]!;
      const t = performance.now();
      await op(key).then(() => samples.push(performance.now() - t), () => failed++);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return { actors: keys.length, seconds: Math.round(performance.now() - t0) / 1000, failed, ...latencySummary(samples) };
}

/** Starts an ask every PROBE_EVERY_MS until one answers; resolves at the first answer. */
function probe(op: () => Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const fire = () => {
      if (done) return;
      op().then(
        () => {
          if (done) return;
          done = true;
          clearInterval(timer);
          resolve();
        },
        () => {},
      );
    };
    const timer = setInterval(fire, PROBE_EVERY_MS);
    fire();
  });
}
