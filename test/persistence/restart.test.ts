/**
 * SPEC section 6 end to end: `glup node` processes killed with SIGKILL and restarted on their
 * data. Updates come from an in-test node (non-qualified, memory store) that joins the same
 * cluster over the same nats-server; what a restarted process holds is read back with the
 * runtime's own recovery (Replica over its data directory) once it has stopped, and its
 * progress while it runs from its /status endpoint (--metrics-port 0).
 */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNode } from '../../src/actors/createNode.js';
import { Replica } from '../../src/actors/replica.js';
import type { NodeRuntime } from '../../src/actors/runtime.js';
import { natsTransport } from '../../src/bus/nats.js';
import { realClock } from '../../src/clock.js';
import type { ClusterDb } from '../../src/db/types.js';
import { silentLogger } from '../../src/log.js';
import { fileStore } from '../../src/persistence/file.js';
import { memoryStore } from '../../src/persistence/memory.js';
import { spawnGlupNode, type GlupNodeProcess as NodeProcess } from '../helpers/glupNodeProcess.js';
import { startNatsServer, type NatsServer } from '../helpers/natsServer.js';
import { until } from '../helpers/poll.js';

const MEMBER_ROLES = ['manager', 'backup', 'client'];
/** Cluster-wide: 100 ms heartbeats, a failure declared after 1 s (2 cores shared by four processes). */
const TIMING = ['--heartbeat-ms', '100', '--missed-heartbeats', '10'];

let nats: NatsServer;
const dataRoot = mkdtempSync(join(tmpdir(), 'glup-restart-test-'));
const children: NodeProcess[] = [];
const inTestNodes: NodeRuntime[] = [];

test.before(async () => {
  nats = await startNatsServer();
});

test.after.always(async () => {
  for (const p of children) p.child.kill('SIGKILL');
  await Promise.all(children.map((p) => p.exited));
  await Promise.all(inTestNodes.map((n) => n.kill().catch(() => undefined)));
  await nats?.stop();
  rmSync(dataRoot, { recursive: true, force: true });
});

function spawnNode(cluster: string, id: string, persistence: 'file' | 'jetstream' = 'file'): NodeProcess {
  const args = ['--cluster', cluster, '--id', id, '--nats', nats.url, '--persistence', persistence, '--metrics-port', '0', ...TIMING];
  if (persistence === 'file') args.push('--data', join(dataRoot, cluster, id));
  const p = spawnGlupNode(id, args);
  children.push(p);
  return p;
}

const isMember = (p: NodeProcess) => () => MEMBER_ROLES.includes(p.role ?? '');

async function kill9(p: NodeProcess): Promise<void> {
  p.child.kill('SIGKILL');
  await p.exited;
}

async function processStatus(p: NodeProcess): Promise<{ role: string; committedSeq: number }> {
  const res = await fetch(`http://127.0.0.1:${p.metricsPort}/status`);
  return (await res.json()) as { role: string; committedSeq: number };
}

/** A non-qualified in-test member: it submits updates or observes, and never leads. */
async function inTestMember(cluster: string, id: string): Promise<NodeRuntime> {
  const transport = await natsTransport({ servers: nats.url, name: id, reconnectTimeWaitMs: 100 });
  const node = createNode({ cluster, id, transport, store: memoryStore(), qualified: false, heartbeatMs: 100, missedHeartbeats: 10 });
  inTestNodes.push(node);
  await node.start({ timeoutMs: 30_000 });
  return node;
}

/** Submits `k.k<i>` = i back to back until stopped; remembers every update whose promise resolved. */
function streamUpdates(writer: NodeRuntime) {
  const acked: { i: number; seq: number }[] = [];
  let stopped = false;
  const done = (async () => {
    for (let i = 0; !stopped && writer.role !== 'stopped'; i++) {
      try {
        const { seq } = await writer.update({ set: { path: `k.k${i}`, value: i } });
        acked.push({ i, seq });
      } catch {
        // TIMEOUT or NO_QUORUM while a member is down: not acked, so not promised
      }
    }
  })();
  return {
    acked,
    waitForMore: (n: number, timeoutMs = 30_000) => {
      const target = acked.length + n;
      return until(`${target} acked updates (have ${acked.length})`, () => acked.length >= target, { timeoutMs });
    },
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

/** What a stopped node's data directory holds, recovered the way the runtime recovers it. */
async function recoveredDb(cluster: string, id: string): Promise<ClusterDb> {
  const replica = new Replica(cluster, fileStore(join(dataRoot, cluster, id)), realClock, silentLogger(), 1000);
  await replica.open();
  const db = replica.db;
  await replica.store.close();
  return db;
}

async function startCluster(cluster: string, persistence: 'file' | 'jetstream' = 'file'): Promise<NodeProcess[]> {
  const nodes = ['n1', 'n2', 'n3'].map((id) => spawnNode(cluster, id, persistence));
  await Promise.all(nodes.map((n) => n.waitFor('a member', isMember(n))));
  return nodes;
}

test.serial('a glup node killed with SIGKILL while updates stream in restarts on its data and converges', async (t) => {
  const cluster = 'restart-one';
  const nodes = await startCluster(cluster);
  const writer = await inTestMember(cluster, 'w');
  const stream = streamUpdates(writer);
  await stream.waitForMore(30);

  const victim = nodes.find((n) => n.role === 'client') ?? nodes.find((n) => n.role === 'backup')!;
  await kill9(victim);
  await stream.waitForMore(30);
  const again = spawnNode(cluster, victim.id);
  await again.waitFor('a member again', isMember(again));
  await stream.waitForMore(30);
  await stream.stop();

  await until('the restarted node caught up', async () => (await processStatus(again)).committedSeq === writer.committedSeq);
  again.child.kill('SIGTERM');
  t.is(await again.exited, 0, again.stderr);
  const db = await recoveredDb(cluster, victim.id);
  t.deepEqual(db.data, writer.db.data);
  t.true(Object.keys((writer.db.data as { k: object }).k).length >= 90);
});

for (const persistence of ['file', 'jetstream'] as const) {
  test.serial(`a whole cluster killed with SIGKILL and restarted on ${persistence} persistence loses no acked update`, async (t) => {
    const cluster = `restart-all-${persistence}`;
    const nodes = await startCluster(cluster, persistence);
    const writer = await inTestMember(cluster, 'w');
    const stream = streamUpdates(writer);
    await stream.waitForMore(50);
    await Promise.all(nodes.map(kill9));
    await stream.stop();
    await writer.kill();
    const acked = [...stream.acked];
    t.true(acked.length >= 50);
    t.log(`${acked.length} acked before the kill, last seq ${acked.at(-1)!.seq}`);

    const restarted = ['n1', 'n2', 'n3'].map((id) => spawnNode(cluster, id, persistence));
    await Promise.all(restarted.map((n) => n.waitFor('a member after the restart', isMember(n))));
    const observer = await inTestMember(cluster, 'observer');
    const data = observer.db.data as { k?: Record<string, number> };
    const missing = acked.filter(({ i }) => data.k?.[`k${i}`] !== i);
    t.deepEqual(missing, [], `acked updates lost after the restart (of ${acked.length})`);
    t.true(observer.committedSeq >= Math.max(...acked.map((a) => a.seq)));
  });
}

test.serial('a corrupt last record is cut back with a warning naming the file and offset, then the node catches up', async (t) => {
  const cluster = 'restart-corrupt';
  const nodes = await startCluster(cluster);
  const writer = await inTestMember(cluster, 'w');
  const stream = streamUpdates(writer);
  await stream.waitForMore(20);
  await stream.stop();

  const victim = nodes.find((n) => n.role === 'client') ?? nodes.find((n) => n.role === 'backup')!;
  await kill9(victim);
  const logPath = join(dataRoot, cluster, victim.id, 'log.jsonl');
  const log = readFileSync(logPath);
  const lastLineStart = log.subarray(0, log.length - 1).lastIndexOf(0x0a) + 1;
  const flipAt = lastLineStart + Math.floor((log.length - 1 - lastLineStart) / 2);
  log[flipAt] = log[flipAt]! ^ 0x01;
  writeFileSync(logPath, log);

  // more updates while it is down, so catching up needs more than the one lost record
  const more = streamUpdates(writer);
  await more.waitForMore(10);
  await more.stop();

  const again = spawnNode(cluster, victim.id);
  await again.waitFor('warning about the corrupt tail', () => again.stderr.includes(logPath) && /offset \d+/.test(again.stderr));
  t.regex(again.stderr, new RegExp(`${logPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .* at offset ${lastLineStart}`));
  await again.waitFor('a member again', isMember(again));
  await until('the restarted node caught up', async () => (await processStatus(again)).committedSeq === writer.committedSeq);
  again.child.kill('SIGTERM');
  t.is(await again.exited, 0, again.stderr);
  t.deepEqual((await recoveredDb(cluster, victim.id)).data, writer.db.data);
});
