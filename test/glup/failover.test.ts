/**
 * GLUP atomicity under a manager crash (SPEC 4 "Atomicity under failure", invariant 12.3):
 * - an update acked to its submitter is on every survivor when the manager dies right after the ack;
 * - an update the backup holds survives a manager crash that happens before any client got it;
 * - an update only the manager held is on nobody; its submitter gets an error, or its retry
 *   (same submission id) is applied exactly once by the new manager.
 * Each runs on the memory network over several seeds and once on a real nats-server.
 */
import test, { type ExecutionContext } from 'ava';
import { startNatsServer, type NatsServer } from '../helpers/natsServer.js';
import { memoryCluster, natsCluster, type ProtocolCluster } from '../helpers/protocolCluster.js';
import { countInLog, lastHeld, outcomeOf, type Outcome } from '../helpers/glupChecks.js';

const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];

/** Waits until a survivor other than `dead` manages a converged cluster that no longer lists `dead`. */
async function waitForTakeover(c: ProtocolCluster, dead: string): Promise<void> {
  await c.runUntil(() => {
    const m = c.managers();
    return m.length === 1 && m[0]!.id !== dead && !(dead in m[0]!.db.nodes) && c.converged();
  }, 15_000);
}

async function ackedUpdateSurvivesManagerDeath(t: ExecutionContext, c: ProtocolCluster): Promise<void> {
  await c.startAll();
  const manager = c.managers()[0]!.id;
  c.faults.set({ delayMs: [0, 20] });
  let killed: Promise<void> | undefined;
  // several submitters at once: the first ack kills the manager while the others are in flight
  const submissions = ['n3', 'n4', 'n5', 'n2'].map((id, i) => {
    const p = c.node(id).update({ set: { path: `acked.${id}`, value: i } });
    void p.then(() => {
      killed ??= c.kill(manager);
    }, () => {});
    return outcomeOf(p);
  });
  await c.runUntil(() => killed !== undefined, 5000);
  await killed;
  c.faults.clear();
  await waitForTakeover(c, manager);
  const outcomes = await c.settle(Promise.all(submissions), 20_000);
  await c.runUntil(() => c.converged(), 10_000);
  t.true(outcomes.some((o) => o.ok), 'at least the first submission was acked');
  ['n3', 'n4', 'n5', 'n2'].forEach((submitter, i) => {
    const o = outcomes[i]!;
    for (const n of c.live()) {
      const value = (n.db.data.acked as Record<string, number> | undefined)?.[submitter];
      if (o.ok) {
        t.is(value, i, `${submitter}'s acked update (seq ${o.seq}) is on ${n.id}`);
        t.is(n.replica.recordAt(o.seq)?.origin, submitter, `${n.id} holds it at the acked seq`);
      }
    }
    if (!o.ok) {
      const present = new Set(c.live().map((n) => (n.db.data.acked as Record<string, number> | undefined)?.[submitter] === i));
      t.is(present.size, 1, `${submitter}'s failed update is on every survivor or on none`);
    }
  });
}

async function backupHeldUpdateSurvives(t: ExecutionContext, c: ProtocolCluster): Promise<void> {
  await c.startAll();
  const manager = c.managers()[0]!;
  const backup = c.node(manager.db.meta.backup!);
  const clients = ids.filter((id) => id !== manager.id && id !== backup.id);
  // the clients never get the update from this manager (nor it their acks)
  c.faults.set({ drop: 1, between: clients.map((id) => [manager.id, id] as [string, string]) });
  const before = backup.replica.lastSeq;
  const submitted = outcomeOf(backup.update({ set: { path: 'held', value: 'by-backup' } }));
  await c.runUntil(() => backup.replica.lastSeq > before, 5000);
  const record = lastHeld(backup)!;
  t.is(record.origin, backup.id);
  t.true(clients.every((id) => countInLog(c.node(id), record.id) === 0), 'no client got it before the crash');
  await c.kill(manager.id);
  // faults are applied on arrival: clearing them before the takeover would let the dead
  // manager's copies still in flight through, which no real crash does
  await waitForTakeover(c, manager.id);
  c.faults.clear();
  const outcome = await c.settle(submitted, 20_000);
  await c.runUntil(() => c.converged() && c.live().every((n) => n.db.data.held === 'by-backup'), 10_000);
  t.true(outcome.ok, `the backup's submission resolved (${JSON.stringify(outcome)})`);
  for (const n of c.live()) {
    t.is(n.db.data.held, 'by-backup', `${n.id} has the update`);
    t.is(countInLog(n, record.id), 1, `${n.id} logged it once`);
    t.is(n.replica.recordAt(record.seq)?.id, record.id, `${n.id} holds it at seq ${record.seq}`);
  }
}

async function managerOnlyUpdateIsOnNobody(t: ExecutionContext, c: ProtocolCluster): Promise<void> {
  await c.startAll();
  const manager = c.managers()[0]!;
  // cut off from everyone, the manager alone logs its own update
  c.faults.set({ drop: 1, between: ids.filter((id) => id !== manager.id).map((id) => [manager.id, id] as [string, string]) });
  const before = manager.replica.lastSeq;
  const submitted = outcomeOf(manager.update({ set: { path: 'once', value: manager.id } }));
  await c.runUntil(() => manager.replica.lastSeq > before, 5000);
  const record = lastHeld(manager)!;
  t.is(record.origin, manager.id);
  await c.kill(manager.id);
  // faults are applied on arrival: clearing them before the takeover would let the dead
  // manager's copies still in flight through, which no real crash does
  await waitForTakeover(c, manager.id);
  c.faults.clear();
  const outcome: Outcome = await c.settle(submitted, 20_000);
  t.false(outcome.ok, 'its submitter died with it');
  await c.runUntil(() => c.converged(), 10_000);
  for (const n of c.live()) t.is(countInLog(n, record.id), 0, `the dead manager's entry is not on ${n.id}`);
}

async function clientHeldUpdateIsOnAllOrNone(t: ExecutionContext, c: ProtocolCluster): Promise<void> {
  await c.startAll();
  const manager = c.managers()[0]!;
  const backup = manager.db.meta.backup!;
  const submitter = c.node(ids.find((id) => id !== manager.id && id !== backup)!);
  // the manager ships to the backup and the others at once (SPEC 4, revised): the clients get
  // the update, the backup does not, and it cannot commit without the backup's ack
  c.faults.set({ drop: 1, between: [[manager.id, backup]] });
  const before = manager.replica.lastSeq;
  const submitted = outcomeOf(submitter.update({ set: { path: 'once', value: submitter.id } }));
  await c.runUntil(() => manager.replica.lastSeq > before, 5000);
  const record = lastHeld(manager)!;
  t.is(record.origin, submitter.id);
  await c.kill(manager.id);
  await waitForTakeover(c, manager.id);
  c.faults.clear();
  const outcome: Outcome = await c.settle(submitted, 20_000);
  await c.runUntil(() => c.converged(), 10_000);
  const counts = c.live().map((n) => countInLog(n, record.id));
  if (outcome.ok) {
    t.deepEqual(counts, counts.map(() => 1), 'the update (or its retry) was applied exactly once on every survivor');
    for (const n of c.live()) t.is(n.db.data.once, submitter.id);
  } else {
    t.true(counts.every((k) => k === counts[0]) && counts[0]! <= 1, `after ${outcome.code} the update is on every survivor or on none`);
  }
}

const scenarios = [
  ['an update acked to its submitter is on every survivor after the manager dies right after the ack', ackedUpdateSurvivesManagerDeath],
  ['an update the backup holds survives a manager crash before any client got it', backupHeldUpdateSurvives],
  ['an update only the dead manager held is on nobody', managerOnlyUpdateIsOnNobody],
  ['an update the clients but not the backup got is, after a manager crash, on every survivor exactly once or on none', clientHeldUpdateIsOnAllOrNone],
] as const;

for (const [title, run] of scenarios) {
  for (const glup of ['multicast', 'unicast'] as const) {
    for (let seed = 1; seed <= 5; seed++) {
      test(`memory ${glup} seed ${seed}: ${title}`, async (t) => {
        await run(t, memoryCluster(ids, { seed, glup }));
      });
    }
  }
}

let server: NatsServer;
test.before(async () => {
  server = await startNatsServer();
});
test.after.always(async () => {
  await server?.stop();
});

for (const [title, run] of scenarios) {
  test.serial(`nats: ${title}`, async (t) => {
    const c = await natsCluster(ids, { servers: server.url });
    try {
      await run(t, c);
    } finally {
      await c.close();
    }
  });
}
