/**
 * Divergent tails (SPEC 4): a manager cut off in a minority logs an update it can never
 * commit; the majority elects and commits others at the same seqs. After the heal the old
 * manager (and the backup that logged the entry with it) rejoin with that tail replaced by
 * the majority's log, and the uncommitted update is nowhere — it was never acked to anyone.
 */
import test, { type ExecutionContext } from 'ava';
import { startNatsServer, type NatsServer } from '../helpers/natsServer.js';
import { memoryCluster, natsCluster, type ProtocolCluster } from '../helpers/protocolCluster.js';
import { countInLog, lastHeld, logMismatch, outcomeOf } from '../helpers/glupChecks.js';

const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];

async function minorityTailIsReplaced(t: ExecutionContext, c: ProtocolCluster): Promise<void> {
  await c.startAll();
  await c.settle(c.node('n3').update({ set: { path: 'before', value: 1 } }), 5000);
  const oldManager = c.managers()[0]!;
  const oldBackup = c.node(oldManager.db.meta.backup!);
  const minority = [oldManager.id, oldBackup.id];
  const majority = ids.filter((id) => !minority.includes(id));
  c.faults.partition([minority, majority]);
  const before = oldManager.replica.lastSeq;
  const lost = outcomeOf(oldManager.update({ set: { path: 'lost', value: true } }));
  await c.runUntil(() => oldManager.replica.lastSeq > before && oldBackup.replica.lastSeq > before, 5000);
  const entry = lastHeld(oldManager)!;
  t.true('set' in entry.op, 'the minority manager logged the update (and its backup acked it)');

  await c.runUntil(() => {
    const m = c.managers().filter((n) => majority.includes(n.id));
    return m.length === 1 && majority.every((id) => c.node(id).isMember() && c.node(id).epoch === m[0]!.epoch);
  }, 15_000);
  const newManager = c.managers().find((n) => majority.includes(n.id))!;
  for (let i = 0; i < 3; i++) await c.settle(c.node(majority[i % majority.length]!).update({ set: { path: `after.${i}`, value: i } }), 10_000);
  t.true(newManager.committedSeq >= entry.seq, 'the majority committed other updates at the divergent seq');
  // the minority can never commit it: its submitter gets an error before the heal
  const outcome = await c.settle(lost, 30_000);
  t.false(outcome.ok, 'the minority submission did not commit');

  c.faults.heal();
  await c.runUntil(() => ids.every((id) => c.node(id).isMember()) && c.converged() && Object.keys(newManager.db.nodes).length === 5, 20_000);
  for (const id of ids) {
    const n = c.node(id);
    t.is(logMismatch(n, newManager), null, `${id}'s log equals the majority's`);
    t.deepEqual(n.db, newManager.db, `${id}'s db equals the majority's`);
    t.is(countInLog(n, entry.id), 0, `the uncommitted update is not in ${id}'s log`);
    t.is(n.db.data.lost, undefined, `the uncommitted update is not in ${id}'s db`);
  }
  t.not(oldManager.replica.recordAt(entry.seq)?.id, entry.id, 'the old manager replaced its entry at that seq');
}

for (let seed = 1; seed <= 6; seed++) {
  test(`memory seed ${seed}: a deposed minority manager's uncommitted tail is replaced by the majority's log`, async (t) => {
    await minorityTailIsReplaced(t, memoryCluster(ids, { seed }));
  });
}

let server: NatsServer;
test.before(async () => {
  server = await startNatsServer();
});
test.after.always(async () => {
  await server?.stop();
});

test.serial("nats: a deposed minority manager's uncommitted tail is replaced by the majority's log", async (t) => {
  const c = await natsCluster(ids, { servers: server.url });
  try {
    await minorityTailIsReplaced(t, c);
  } finally {
    await c.close();
  }
});
