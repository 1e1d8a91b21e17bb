/**
 * Hosted actors over NATS (issue 12's benchmark): three `glup node --actors
 * bench/actorsDriver.ts` processes (fileStore, fsync always) on one nats-server, heartbeat
 * 100 ms × 3 missed. The driver (n3, a client) measures, from inside its node:
 * - `ask` latency p50/p99 and events/s to one actor hosted on another node, sequential and
 *   with 64 asks in flight;
 * - the same over 1,000 actors (their first asks activate them);
 * - re-activation after kill -9 of the host: from the SIGKILL (stamped here) to the first
 *   answer to an ask sent after it, for a sharded actor on a non-manager node and for the
 *   singleton on the manager (a core failover first).
 * Results: bench/results/actors.json. Run: `npx tsx bench/actors.ts`.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNatsServer } from '../test/helpers/natsServer.js';
import { GlupProcCluster, type GlupProc } from './glupProcs.js';
import { isMain, writeBenchResults } from './run.js';
import { latencySummary } from './stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const HEARTBEAT_MS = 100;
// 10 missed (1 s): with 3, three node processes that saturate two cores under 64 asks in
// flight to 1,000 actors missed heartbeats and re-formed the cluster over and over
const MISSED = Number(process.env.GLUP_BENCH_MISSED ?? 10);

export async function benchActors(): Promise<object> {
  const nats = await startNatsServer();
  const phases: Record<string, unknown> = {};
  const reactivations: { trial: number; kind: string; victim: string; ms: number; newHost: unknown }[] = [];
  let cluster: GlupProcCluster | undefined;
  try {
    cluster = await GlupProcCluster.start(nats.url, {
      cluster: 'bench-actors',
      size: 3,
      heartbeatMs: HEARTBEAT_MS,
      missedHeartbeats: MISSED,
      args: ['--actors', join(HERE, 'actorsDriver.ts')],
      env: { GLUP_BENCH_DRIVER: 'n3', GLUP_BENCH_HOSTS: 'n1,n2,n3' },
    });
    const c = cluster;
    const driver = c.nodes.find((n) => n.id === 'n3')!;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bench actors: not done within 20 minutes')), 20 * 60_000);
      let killedAt = 0;
      let victim: GlupProc | undefined;
      c.onEvent((n, ev, at) => {
        if (ev.event === 'role') console.error(`[${Math.round(at)}] ${n.id} ${ev.role} epoch ${ev.epoch}`);
        if (n !== driver) return;
        if (ev.event === 'bench-phase') {
          phases[String(ev.name)] = ev;
          console.log(JSON.stringify(ev));
        } else if (ev.event === 'bench-kill') {
          victim = c.nodes.find((x) => x.id === ev.victim)!;
          killedAt = performance.now();
          c.kill(victim);
          driver.process!.kill('SIGUSR2');
        } else if (ev.event === 'bench-reactivated') {
          const r = { trial: Number(ev.trial), kind: String(ev.kind), victim: victim!.id, ms: Math.round(at - killedAt), newHost: ev.host };
          reactivations.push(r);
          console.log(JSON.stringify(r));
          c.restart(victim!);
        } else if (ev.event === 'bench-done') {
          clearTimeout(timer);
          resolve();
        } else if (ev.event === 'bench-error') {
          clearTimeout(timer);
          reject(new Error(`bench actors driver: ${ev.message}`));
        }
      });
    });
  } finally {
    await cluster?.stop();
    await nats.stop();
  }
  const of = (kind: string) => latencySummary(reactivations.filter((r) => r.kind === kind).map((r) => r.ms));
  return {
    setup: `3 glup node processes (fileStore, fsync always) on one nats-server, heartbeat ${HEARTBEAT_MS} ms × ${MISSED} missed; asks from n3 (a client) with 64 in flight for the concurrent figures`,
    ...phases,
    reactivation: {
      note: 'from kill -9 of the host to the first answer to an ask sent after it; the singleton lives on the manager, so its figure includes the core failover',
      sharded: of('sharded'),
      singleton: of('singleton'),
      trials: reactivations,
    },
  };
}

if (isMain(import.meta.url)) {
  writeBenchResults('actors', await benchActors());
  process.exit(0);
}
