/**
 * The admin client (src/admin/client.ts) against in-process nodes over a real nats-server,
 * and the status summary it builds from the replies of several nodes.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterStatus, removeNode, summarize, switchover, type StatusReply } from '../../src/admin/client.js';
import { prometheusText } from '../../src/admin/metrics.js';
import { createNode } from '../../src/actors/createNode.js';
import type { NodeRuntime } from '../../src/actors/runtime.js';
import { natsTransport } from '../../src/bus/nats.js';
import { GlupError } from '../../src/errors.js';
import { startNatsServer, type NatsServer } from '../helpers/natsServer.js';

const reply = (over: Partial<StatusReply> & { id: string; role: string }): StatusReply => ({
  epoch: 1,
  manager: 'n1',
  backup: 'n2',
  committedSeq: 3,
  lastSeq: 3,
  metrics: { invalidMessages: 0, messagesSent: 1 },
  ...over,
});

test('the summary takes the tables of the highest-epoch manager, adds unlisted nodes as they see themselves and sums metrics', (t) => {
  const s = summarize('c', [
    reply({ id: 'n1', role: 'manager', epoch: 1, nodes: { n1: { role: 'manager', status: 'up' } }, metrics: { invalidMessages: 2, messagesSent: 5 } }),
    reply({ id: 'n2', role: 'manager', epoch: 2, backup: 'n3', committedSeq: 9, nodes: { n2: { role: 'manager', status: 'up' }, n3: { role: 'backup', status: 'up' } }, groups: { g: ['p@n2'] } }),
    reply({ id: 'n3', role: 'backup', epoch: 2, metrics: { invalidMessages: 1, messagesSent: 7 } }),
    reply({ id: 'n4', role: 'joining', epoch: 2 }),
  ]);
  t.deepEqual(s, {
    cluster: 'c',
    manager: 'n2',
    backup: 'n3',
    epoch: 2,
    seq: 9,
    nodes: {
      n2: { role: 'manager', status: 'up' },
      n3: { role: 'backup', status: 'up' },
      n1: { role: 'manager', status: 'up' },
      n4: { role: 'joining', status: 'up' },
    },
    groups: { g: ['p@n2'] },
    metrics: { invalidMessages: 3, messagesSent: 14 },
  });
});

test('a summary without any manager reply is a TIMEOUT naming the cluster', (t) => {
  const e = t.throws(() => summarize('c', [reply({ id: 'n1', role: 'isolated' })]), { instanceOf: GlupError });
  t.is(e.code, 'TIMEOUT');
  t.regex(e.message, /cluster c/);
});

test('the metrics text has one glup_role sample per role and the counters under their Prometheus names', (t) => {
  const text = prometheusText({
    cluster: 'c',
    status: () => ({ id: 'n1', role: 'backup', epoch: 4, committedSeq: 7, lastSeq: 8, metrics: { invalidMessages: 2, messagesSent: 10 } }),
  });
  t.true(text.includes('glup_role{cluster="c",node="n1",role="backup"} 1'));
  t.true(text.includes('glup_role{cluster="c",node="n1",role="manager"} 0'));
  t.true(text.includes('glup_epoch{cluster="c",node="n1"} 4'));
  t.true(text.includes('glup_committed_seq{cluster="c",node="n1"} 7'));
  t.true(text.includes('# TYPE glup_invalid_messages_total counter\nglup_invalid_messages_total{cluster="c",node="n1"} 2'));
  t.true(text.includes('glup_messages_sent_total{cluster="c",node="n1"} 10'));
});

let nats: NatsServer;
const nodes: NodeRuntime[] = [];

let dataRoot: string;

test.before(async () => {
  nats = await startNatsServer();
  dataRoot = await mkdtemp(join(tmpdir(), 'glup-admin-'));
});

test.after.always(async () => {
  await Promise.all(nodes.map((n) => n.kill().catch(() => undefined)));
  await nats?.stop();
  await rm(dataRoot, { recursive: true, force: true });
});

async function startCluster(cluster: string, ids: string[]): Promise<NodeRuntime[]> {
  const started = await Promise.all(
    ids.map(async (id) => {
      const transport = await natsTransport({ servers: nats.url, name: id, reconnectTimeWaitMs: 100 });
      // a fresh data directory per run: the default (.glup-data in the working directory) would carry state between runs
      const node = createNode({ cluster, id, transport, dataDir: dataRoot, heartbeatMs: 100, missedHeartbeats: 30, initialMembers: ids });
      nodes.push(node);
      return node;
    }),
  );
  await Promise.all(started.map((n) => n.start({ timeoutMs: 20_000 })));
  return started;
}

async function until<T>(fn: () => Promise<T>, pred: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (pred(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

test.serial('clusterStatus, switchover and removeNode act on a running cluster', async (t) => {
  const cluster = 'admin-client';
  const all = await startCluster(cluster, ['a1', 'a2', 'a3', 'a4']);
  const opts = { cluster, nats: nats.url };
  let s = await until(() => clusterStatus(opts), (x) => Object.keys(x.nodes).length === 4 && x.backup !== null);
  const manager = all.find((n) => n.role === 'manager')!;
  t.is(s.manager, manager.id);
  t.is(s.seq, manager.committedSeq);
  t.is(Object.keys(s.nodes).length, 4);

  const target = all.find((n) => n.role === 'client')!;
  await switchover({ ...opts, to: target.id });
  s = await until(() => clusterStatus(opts), (x) => x.manager === target.id);
  t.is(s.manager, target.id);

  const victim = all.find((n) => n.role === 'client')!;
  await victim.kill();
  await removeNode({ ...opts, id: victim.id });
  s = await clusterStatus(opts);
  t.false(victim.id in s.nodes);

  const refused = await t.throwsAsync(removeNode({ ...opts, id: victim.id }), { instanceOf: GlupError });
  t.is(refused.code, 'INVALID_OP');
  t.regex(refused.message, new RegExp(`${victim.id} is not a member`));
});

test.serial('the admin commands reject with TIMEOUT when no manager answers', async (t) => {
  const opts = { cluster: 'no-such-cluster', nats: nats.url };
  t.is((await t.throwsAsync(clusterStatus(opts), { instanceOf: GlupError })).code, 'TIMEOUT');
  t.is((await t.throwsAsync(switchover({ ...opts, to: 'x' }), { instanceOf: GlupError })).code, 'TIMEOUT');
  t.is((await t.throwsAsync(removeNode({ ...opts, id: 'x' }), { instanceOf: GlupError })).code, 'TIMEOUT');
});
