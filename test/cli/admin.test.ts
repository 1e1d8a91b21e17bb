/**
 * The admin client (src/admin/client.ts) against in-process nodes over a real nats-server,
 * and the status summary it builds from the replies of several nodes.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterStatus, removeNode, summarize, switchover, type StatusReply } from '../../src/admin/client.js';
import { createNode } from '../../src/actors/createNode.js';
import type { NodeRuntime } from '../../src/actors/runtime.js';
import { natsTransport } from '../../src/bus/nats.js';
import { GlupError } from '../../src/errors.js';
import { startNatsServer, type NatsServer } from '../helpers/natsServer.js';
import { untilValue } from '../helpers/poll.js';

const reply = (over: Partial<StatusReply> & { id: string; role: string }): StatusReply => ({
  epoch: 1,
  manager: 'n1',
  backup: 'n2',
  committedSeq: 3,
  lastSeq: 3,
  metrics: { invalidMessages: 0, messagesSent: 1 },
  ...over,
});

test('the summary takes the tables of the highest-epoch manager, shows each answering node as it sees itself, with seq and lag, and sums metrics', (t) => {
  const s = summarize('c', [
    reply({ id: 'n1', role: 'manager', epoch: 1, committedSeq: 4, nodes: { n1: { role: 'manager', status: 'up' } }, metrics: { invalidMessages: 2, messagesSent: 5 } }),
    reply({ id: 'n2', role: 'manager', epoch: 2, backup: 'n3', committedSeq: 9, nodes: { n2: { role: 'manager', status: 'up' }, n3: { role: 'backup', status: 'up' }, n5: { role: 'client', status: 'up' } }, groups: { g: ['p@n2'] } }),
    reply({ id: 'n3', role: 'backup', epoch: 2, committedSeq: 7, metrics: { invalidMessages: 1, messagesSent: 7 } }),
    reply({ id: 'n4', role: 'joining', epoch: 2 }),
  ]);
  t.deepEqual(s, {
    cluster: 'c',
    manager: 'n2',
    backup: 'n3',
    epoch: 2,
    seq: 9,
    nodes: {
      n1: { role: 'manager', status: 'up', seq: 4, lag: 5 },
      n2: { role: 'manager', status: 'up', seq: 9, lag: 0 },
      n3: { role: 'backup', status: 'up', seq: 7, lag: 2 },
      n4: { role: 'joining', status: 'joining', seq: null, lag: null },
      n5: { role: 'client', status: 'unreachable', seq: null, lag: null },
    },
    groups: { g: ['p@n2'] },
    metrics: { invalidMessages: 3, messagesSent: 14 },
  });
});

test('without a manager the summary shows the survivors as they answered and the silent members as unreachable', (t) => {
  const table = { n1: { role: 'manager', status: 'up' }, n2: { role: 'backup', status: 'up' }, n3: { role: 'client', status: 'up' } };
  const s = summarize('c', [reply({ id: 'n2', role: 'isolated', epoch: 3, committedSeq: 11, nodes: table }), reply({ id: 'n3', role: 'isolated', epoch: 3, committedSeq: 10, nodes: table })]);
  t.is(s.manager, null);
  t.is(s.backup, null);
  t.is(s.epoch, 3);
  t.is(s.seq, 11);
  t.deepEqual(s.nodes, {
    n1: { role: 'manager', status: 'unreachable', seq: null, lag: null },
    n2: { role: 'isolated', status: 'isolated', seq: 11, lag: 0 },
    n3: { role: 'isolated', status: 'isolated', seq: 10, lag: 1 },
  });
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

test.serial('clusterStatus, switchover and removeNode act on a running cluster', async (t) => {
  const cluster = 'admin-client';
  const all = await startCluster(cluster, ['a1', 'a2', 'a3', 'a4']);
  const opts = { cluster, nats: nats.url };
  let s = await untilValue('four nodes and a backup', () => clusterStatus(opts), (x) => Object.keys(x.nodes).length === 4 && x.backup !== null, { timeoutMs: 10_000 });
  const manager = all.find((n) => n.role === 'manager')!;
  t.is(s.manager, manager.id);
  t.is(s.seq, manager.committedSeq);
  t.is(Object.keys(s.nodes).length, 4);

  const target = all.find((n) => n.role === 'client')!;
  await switchover({ ...opts, to: target.id });
  s = await untilValue(`${target.id} is manager`, () => clusterStatus(opts), (x) => x.manager === target.id, { timeoutMs: 10_000 });
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

test.serial('the admin commands reject with TIMEOUT when no node answers', async (t) => {
  const opts = { cluster: 'no-such-cluster', nats: nats.url };
  t.is((await t.throwsAsync(clusterStatus(opts), { instanceOf: GlupError })).code, 'TIMEOUT');
  t.is((await t.throwsAsync(switchover({ ...opts, to: 'x' }), { instanceOf: GlupError })).code, 'TIMEOUT');
  t.is((await t.throwsAsync(removeNode({ ...opts, id: 'x' }), { instanceOf: GlupError })).code, 'TIMEOUT');
});
