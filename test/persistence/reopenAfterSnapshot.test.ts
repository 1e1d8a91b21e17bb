/**
 * A node restarted on its own store after a snapshot was taken reopens its log and rejoins
 * (the log index starts at the snapshot, not at 0). Memory transport, virtual time.
 */
import test from 'ava';
import { createNode, memoryNetwork, memoryStore } from '../../src/index.js';

test('a client restarted after snapshots rejoins with its log', async (t) => {
  const net = memoryNetwork({ seed: 1, virtualTime: true });
  const ids = ['n1', 'n2', 'n3'];
  const stores = new Map(ids.map((id) => [id, memoryStore()]));
  const make = (id: string) => createNode({ cluster: 'reopen', id, transport: net.transport(id), store: stores.get(id)!, heartbeatMs: 100, initialMembers: ids, snapshotEvery: 5 });
  const nodes = ids.map(make);
  for (const n of nodes) void n.start();
  await net.runUntil(() => nodes.every((n) => n.isMember()) && nodes.some((n) => n.role === 'client'), { timeoutMs: 10_000 });
  const client = nodes.find((n) => n.role === 'client')!;
  // one at a time, so that records stay in the log after the newest snapshot
  for (let i = 0; i < 12; i++) {
    let done = false;
    void client.update({ set: { path: ['k', String(i)], value: i } }).then(() => (done = true));
    await net.runUntil(() => done, { timeoutMs: 10_000 });
  }
  const seq = client.committedSeq;
  t.true(seq > 10, `the log is past two snapshots (seq ${seq})`);
  await client.kill();
  const again = make(client.id);
  let failure: unknown = null;
  again.start().catch((e) => (failure = e));
  await net.runUntil(() => (again.isMember() && again.committedSeq >= seq) || failure !== null, { timeoutMs: 10_000 });
  t.is(failure, null);
  t.deepEqual(again.db.data, client.db.data);
});
