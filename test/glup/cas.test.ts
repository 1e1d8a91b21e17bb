/**
 * `cas` under contention (SPEC 4): five nodes race a compare-and-set on one absent key;
 * the coordinator sequences one and rejects the rest with CAS_FAILED before sequencing,
 * so exactly one wins and every node agrees on the winner.
 */
import test, { type ExecutionContext } from 'ava';
import { startNatsServer, type NatsServer } from '../helpers/natsServer.js';
import { memoryCluster, natsCluster, type ProtocolCluster } from '../helpers/protocolCluster.js';
import { outcomeOf } from '../helpers/glupChecks.js';

const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];

async function exactlyOneCasWins(t: ExecutionContext, c: ProtocolCluster): Promise<void> {
  await c.startAll();
  c.faults.set({ delayMs: [0, 20], duplicate: 0.3 });
  const before = c.node('n1').committedSeq;
  const outcomes = await c.settle(
    Promise.all(ids.map((id) => outcomeOf(c.node(id).update({ cas: { path: 'lock.owner', expect: null, value: id } })))),
    20_000,
  );
  c.faults.clear();
  const winners = ids.filter((_, i) => outcomes[i]!.ok);
  t.is(winners.length, 1, `exactly one winner, got ${JSON.stringify(outcomes)}`);
  const losers = outcomes.filter((o) => !o.ok);
  t.deepEqual(losers.map((o) => (o.ok ? 'ok' : o.code)), ['CAS_FAILED', 'CAS_FAILED', 'CAS_FAILED', 'CAS_FAILED']);
  await c.runUntil(() => c.converged(), 10_000);
  for (const n of c.live()) {
    t.deepEqual(n.db.data.lock, { owner: winners[0] }, `${n.id} sees the winner`);
    // rejected before sequencing: they take no seq
    const casRecords = n.replica.range(before + 1, n.replica.committedSeq).filter((r) => 'cas' in r.op);
    t.is(casRecords.length, 1, `${n.id} logged one cas`);
  }
}

for (let seed = 1; seed <= 10; seed++) {
  test(`memory seed ${seed}: five nodes racing a cas on one key: one wins, four get CAS_FAILED`, async (t) => {
    await exactlyOneCasWins(t, memoryCluster(ids, { seed }));
  });
}

let server: NatsServer;
test.before(async () => {
  server = await startNatsServer();
});
test.after.always(async () => {
  await server?.stop();
});

test.serial('nats: five nodes racing a cas on one key: one wins, four get CAS_FAILED', async (t) => {
  const c = await natsCluster(ids, { servers: server.url });
  try {
    await exactlyOneCasWins(t, c);
  } finally {
    await c.close();
  }
});
