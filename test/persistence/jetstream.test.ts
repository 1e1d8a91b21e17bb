import test from 'ava';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { jetstreamStore, type JetStreamStore } from '../../src/persistence/index.js';
import { startNatsServer, type NatsServer } from '../helpers/natsServer.js';
import { eventually } from '../helpers/poll.js';
import { rec, recs, seqsOf, snap } from './fixtures.js';

let nats: NatsServer;
const open: JetStreamStore[] = [];

test.before(async () => {
  nats = await startNatsServer();
});

test.after.always(async () => {
  for (const s of open) await s.close().catch(() => {});
  await nats?.stop();
});

function store(cluster: string, node = 'n1'): JetStreamStore {
  const s = jetstreamStore({ servers: nats.url, cluster, node });
  open.push(s);
  return s;
}

test.serial('records and snapshot survive a nats-server restart', async (t) => {
  const a = store('restart');
  await a.open();
  await a.append(recs(1, 8));
  await a.writeSnapshot(snap(4));
  await a.setIncarnation(3);
  await a.close();

  await nats.restart();

  const b = store('restart');
  const state = await eventually('the store opens after the restart', () => b.open(), { timeoutMs: 20_000 });
  t.deepEqual(state.snapshot, snap(4));
  t.deepEqual(state.records, recs(5, 8));
  t.is(state.incarnation, 3);
  await b.append([rec(9)]);
  t.deepEqual(seqsOf(await b.readRange(5, 9)), [5, 6, 7, 8, 9]);
  await b.close();
});

test.serial('an open store keeps appending after the server restarts under it', async (t) => {
  const a = store('reconnect');
  await a.open();
  await a.append(recs(1, 3));
  await nats.restart();
  await eventually('an append succeeds after the restart', () => a.append([rec(4)]), { timeoutMs: 20_000 });
  const b = store('reconnect', 'n1');
  await a.close();
  t.deepEqual(seqsOf((await b.open()).records), [1, 2, 3, 4]);
});

test('nodes of one cluster share the stream but not their logs', async (t) => {
  const n1 = store('shared', 'n1');
  const n2 = store('shared', 'n2');
  await Promise.all([n1.open(), n2.open()]);
  await Promise.all([n1.append(recs(1, 5)), n2.append(recs(1, 3, 2))]);
  await n1.truncateAfter(2);
  t.deepEqual(await n2.readRange(1, 10), recs(1, 3, 2));
  t.deepEqual(seqsOf(await n1.readRange(1, 10)), [1, 2]);
});

test('a second writer for the same node is refused instead of interleaving', async (t) => {
  const a = store('zombie');
  const b = store('zombie');
  await a.open();
  await a.append(recs(1, 2));
  await b.open();
  await b.append([rec(3)]);
  await t.throwsAsync(a.append([rec(3, 2)]), { message: /another writer/ });
});

test('a snapshot larger than one message is stored in chunks', async (t) => {
  const a = store('bigsnap');
  await a.open();
  await a.append(recs(1, 2));
  const big = snap(2);
  big.db.data = { blob: 'x'.repeat(2_500_000) };
  await a.writeSnapshot(big);
  await a.close();
  const b = store('bigsnap');
  const state = await b.open();
  t.deepEqual(state.snapshot, big);
  t.deepEqual(state.records, []);
});

test('destroy deletes the stream and the bucket', async (t) => {
  const a = store('gone');
  await a.open();
  await a.append(recs(1, 2));
  await a.destroy();
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  await t.throwsAsync(jsm.streams.info('GLUP_LOG_gone'));
  const names: string[] = [];
  for await (const s of new Kvm(nc).list()) names.push(s.bucket);
  t.false(names.includes('glup_gone_snap'));
  await nc.close();
});
