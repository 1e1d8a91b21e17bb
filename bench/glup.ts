/**
 * GLUP throughput and commit latency (GLUP issue) over NATS loopback, all nodes in this
 * process, each with its own NATS connection. For 3, 5 and 9 nodes, glup unicast and
 * multicast, one update at a time and 64 in flight, submitted from a client node and from
 * the manager: committed updates/s and the latency of `node.update` (submit → resolved,
 * which on the submitter means committed and applied to its node.db).
 * Each update is a `set` of a small number; the 64 submitters write 64 distinct keys so the
 * database stays small. memoryStore for the table; one extra row with fileStore
 * (fsync always, temp dir) shows the cost of durable appends.
 * Goal (issue): multicast, 64 in flight, 5 nodes ≥ 5,000 updates/s.
 *
 * `npx tsx bench/glup.ts` writes bench/results/glup.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createNode, fileStore, memoryStore, natsTransport } from '../src/index.js';
import type { NodeRuntime } from '../src/actors/runtime.js';
import type { Store } from '../src/persistence/store.js';
import { realRunUntil } from '../src/bus/realTime.js';
import { startNatsServer } from '../test/helpers/natsServer.js';
import { isMain, latencySummary, round, writeBenchResults } from './run.js';
import { closedLoop } from './stats.js';

const HEARTBEAT_MS = 100;
const CELL_MS = 3_000;
const WARMUP_MS = 500;

type GlupMode = 'multicast' | 'unicast';
type Submitter = 'client' | 'manager';

export interface NatsCluster {
  nodes: NodeRuntime[];
  manager(): NodeRuntime;
  client(): NodeRuntime;
  stop(): Promise<void>;
}

/** `size` nodes on one nats-server, started together; resolves once all are members. */
export async function natsCluster(
  url: string,
  cluster: string,
  size: number,
  opts: { glup?: GlupMode; store?: (id: string) => Store } = {},
): Promise<NatsCluster> {
  const ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
  const nodes: NodeRuntime[] = [];
  for (const id of ids) {
    nodes.push(
      createNode({
        cluster,
        id,
        transport: await natsTransport({ servers: url, name: id }),
        store: opts.store?.(id) ?? memoryStore(),
        heartbeatMs: HEARTBEAT_MS,
        glup: opts.glup ?? 'multicast',
        initialMembers: ids,
      }),
    );
  }
  const startErrors: string[] = [];
  for (const n of nodes) void n.start().catch((e) => startErrors.push(`${n.id}: ${String(e)}`));
  try {
    await realRunUntil(
      () => nodes.every((n) => n.isMember() && Object.keys(n.db.nodes).length === size && n.db.meta.backup !== null),
      { timeoutMs: 30_000 },
    );
  } catch {
    const roles = nodes.map((n) => `${n.id}:${n.role}@${n.epoch} members ${Object.keys(n.db.nodes).length}`).join(' ');
    await Promise.all(nodes.map((n) => n.kill().catch(() => {})));
    throw new Error(`cluster ${cluster} of ${size} did not form within 30 s: ${roles}; start errors: ${startErrors.join('; ') || 'none'}`);
  }
  return {
    nodes,
    manager: () => nodes.find((n) => n.role === 'manager')!,
    // the last client in id order: never the manager or the backup
    client: () => [...nodes].reverse().find((n) => n.role === 'client') ?? nodes.find((n) => n.role === 'backup')!,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.kill().catch(() => {})));
    },
  };
}

/**
 * `inFlight` submit loops on `node` for `durationMs` after a warm-up; each loop awaits its
 * update before the next. Errors are counted, not thrown: a stalled cell shows as errors.
 */
export async function measureUpdates(node: NodeRuntime, inFlight: number, durationMs: number, cluster: NodeRuntime[] = [node]) {
  const sentBy = () => cluster.reduce((a, n) => a + n.metrics.messagesSent, 0);
  let sentAtStart = 0;
  const r = await closedLoop((lane, i) => node.update({ set: { path: `bench.k${lane}`, value: i } }), { inFlight, warmupMs: WARMUP_MS, durationMs, onMeasure: () => (sentAtStart = sentBy()) });
  const messagesSent = sentBy() - sentAtStart;
  const committed = r.latencies.length;
  return {
    inFlight,
    seconds: round(r.seconds),
    committed,
    updatesPerSecond: Math.round(committed / r.seconds),
    latency: latencySummary(r.latencies),
    /** Bus messages sent by all nodes per committed update (heartbeats included): how much batching saves. */
    messagesPerUpdate: committed ? round(messagesSent / committed, 2) : null,
    errors: r.errors,
  };
}

interface Cell {
  nodes: number;
  glup: GlupMode;
  submitter: Submitter;
  store: string;
}

export async function benchGlup(): Promise<object> {
  const server = await startNatsServer();
  const table: (Cell & Awaited<ReturnType<typeof measureUpdates>>)[] = [];
  const show = (row: (typeof table)[number]) =>
    console.error(
      `${row.nodes} nodes ${row.glup.padEnd(9)} ${row.submitter.padEnd(7)} ${String(row.inFlight).padStart(2)} in flight ${row.store}: ` +
        `${row.updatesPerSecond} updates/s p50 ${row.latency.p50Ms} ms p99 ${row.latency.p99Ms} ms ${row.messagesPerUpdate} msgs/update ${JSON.stringify(row.errors)}`,
    );
  let clusterNo = 0;
  try {
    for (const size of [3, 5, 9]) {
      for (const glup of ['unicast', 'multicast'] as const) {
        const c = await natsCluster(server.url, `glup-${++clusterNo}`, size, { glup });
        try {
          for (const submitter of ['client', 'manager'] as const) {
            for (const inFlight of [1, 64]) {
              const node = submitter === 'manager' ? c.manager() : c.client();
              const row = { nodes: size, glup, submitter, store: 'memory', ...(await measureUpdates(node, inFlight, CELL_MS, c.nodes)) };
              show(row);
              table.push(row);
            }
          }
        } finally {
          await c.stop();
        }
      }
    }
    // the cost of durability: the same 5-node multicast cluster on fileStore, fsync always
    const dir = mkdtempSync(join(tmpdir(), 'glup-bench-glup-'));
    try {
      const c = await natsCluster(server.url, `glup-${++clusterNo}`, 5, {
        glup: 'multicast',
        store: (id) => fileStore(join(dir, id), { fsync: 'always' }),
      });
      try {
        for (const submitter of ['client', 'manager'] as const) {
          for (const inFlight of [1, 64]) {
            const node = submitter === 'manager' ? c.manager() : c.client();
            const row = { nodes: 5, glup: 'multicast' as const, submitter, store: 'file fsync always', ...(await measureUpdates(node, inFlight, CELL_MS, c.nodes)) };
            show(row);
            table.push(row);
          }
        }
      } finally {
        await c.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await server.stop();
  }
  const goalRow = table.find((r) => r.nodes === 5 && r.glup === 'multicast' && r.inFlight === 64 && r.store === 'memory' && r.submitter === 'client');
  return {
    settings: { heartbeatMs: HEARTBEAT_MS, retransmitMs: HEARTBEAT_MS, cellMs: CELL_MS, warmupMs: WARMUP_MS, op: 'set bench.k<loop> = <counter>' },
    goal: { what: 'multicast, 64 in flight, 5 nodes >= 5000 updates/s', measuredFromClient: goalRow?.updatesPerSecond, met: (goalRow?.updatesPerSecond ?? 0) >= 5000 },
    table,
    notes:
      'NATS loopback (nats-server 2.9.10 on 127.0.0.1), all nodes in one Node process with one connection each, so the figures include every node\'s CPU on a 2-core machine shared with other work. ' +
      'Latency = node.update() call to resolution on the submitter (committed and applied there). "client" submits from a client node (forwarded to the manager), "manager" from the manager itself. ' +
      'file fsync always: fileStore in a temp dir per node (same disk), every node fsyncs before acking.',
  };
}

if (isMain(import.meta.url)) {
  writeBenchResults('glup', await benchGlup());
  process.exit(0);
}
