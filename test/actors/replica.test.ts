/**
 * The replica lets the data writes of records wait until a database is read whole, and keeps
 * the database made by each record that changes members, roles or groups (issue 14: applying
 * patches next to a big container costs in proportion to it). These tests pin what must not
 * change: the committed database, and the view after each record, are the log's, also after
 * a commit or a cut inside a batch, a divergent tail cut, or a snapshot installed.
 */
import test from 'ava';
import { Replica } from '../../src/actors/replica.js';
import { realClock } from '../../src/clock.js';
import { applyOp, applyRecordPatches } from '../../src/db/ops.js';
import { emptyDb, type ClusterDb, type Op, type UpdateRecord } from '../../src/db/types.js';
import { silentLogger } from '../../src/log.js';
import { memoryStore } from '../../src/persistence/memory.js';

/** A record that sets `path` on top of `db` (as the coordinator makes it), with its database. */
function record(db: ClusterDb, seq: number, op: Op, epoch = 1): { rec: UpdateRecord; after: ClusterDb } {
  const { db: after, patches } = applyOp(db, op, { origin: 'n1', seq, epoch });
  return { rec: { epoch, seq, origin: 'n1', id: `n1:1:${seq}:${epoch}`, op, patches, ts: 0 }, after };
}

/** Records setting k<seq> = value<seq> from `db` onward. */
function chain(db: ClusterDb, from: number, count: number, tag: string, epoch = 1): UpdateRecord[] {
  const out: UpdateRecord[] = [];
  for (let seq = from; seq < from + count; seq++) {
    const { rec, after } = record(db, seq, { set: { path: ['kv', `k${seq}`], value: `${tag}${seq}` } }, epoch);
    out.push(rec);
    db = after;
  }
  return out;
}

/** The database the log's records make from empty, applied one by one (the reference). */
function replay(cluster: string, records: UpdateRecord[]): ClusterDb {
  return records.reduce((db, r) => applyRecordPatches(db, r.patches), emptyDb(cluster));
}

async function opened(snapshotEvery = 1000): Promise<Replica> {
  const r = new Replica('c', memoryStore(), realClock, silentLogger(), snapshotEvery);
  await r.open();
  return r;
}

test('the committed database equals the replayed log, before, at and after the commit point', async (t) => {
  const r = await opened();
  const recs = chain(r.db, 1, 5, 'v');
  await r.append(recs);
  const tentative3 = r.tentativeAfter(3);
  t.deepEqual(r.commitTo(3).map((x) => x.seq), [1, 2, 3]);
  t.deepEqual(r.db, tentative3!);
  t.is((r.committedDbAt(2).data.kv as Record<string, unknown>).k3, undefined, 'per-record views stay per record');
  t.deepEqual(r.committedDbAt(2), replay('c', recs.slice(0, 2)));
  t.deepEqual(r.db, replay('c', recs.slice(0, 3)));
  r.commitTo(5);
  t.deepEqual(r.db, r.tentativeDb);
  t.deepEqual(r.db, replay('c', recs));
});

test('the coordinator stages with the database it produced; the replica uses it as the tentative state', async (t) => {
  const r = await opened();
  const { rec, after } = record(r.tentativeDb, 1, { set: { path: 'a', value: 1 } });
  r.stage(rec, after);
  t.is(r.tentativeDb, after);
  r.commitTo(1);
  t.is(r.db, after);
});

test('a follower that cuts a divergent tail commits the new tail, not a database cached for the old one', async (t) => {
  const r = await opened();
  const common = chain(r.db, 1, 2, 'v');
  await r.append(common);
  r.commitTo(2);
  // an old manager's tail (epoch 1), cached as tentative databases, then cut
  const divergent = chain(r.tentativeDb, 3, 3, 'old');
  await r.append(divergent);
  t.is((r.tentativeDb.data.kv as Record<string, unknown>).k5, 'old5');
  await r.truncateAfter(2);
  t.deepEqual(r.tentativeDb, r.db, 'the tentative state is back at the committed one');
  t.is(r.tentativeAfter(4), undefined);
  // the new manager's records (epoch 2) for the same seqs
  const winner = chain(r.tentativeDb, 3, 2, 'new', 2);
  await r.append(winner);
  r.commitTo(4);
  t.deepEqual(r.db, replay('c', [...common, ...winner]));
  t.is((r.db.data.kv as Record<string, unknown>).k3, 'new3');
  t.false(Object.hasOwn(r.db.data.kv as object, 'k5'));
});

test('installing a snapshot drops every cached database of the tail it replaces', async (t) => {
  const r = await opened();
  await r.append(chain(r.db, 1, 4, 'old'));
  r.commitTo(1);
  const source = await opened();
  const theirs = chain(source.db, 1, 6, 'snap', 2);
  await source.append(theirs);
  source.commitTo(6);
  await r.resetTo(source.committedSnapshot());
  t.is(r.tentativeAfter(3), undefined);
  const next = chain(r.tentativeDb, 7, 1, 'after', 2);
  await r.append(next);
  r.commitTo(7);
  t.deepEqual(r.db, replay('c', [...theirs, ...next]));
});

test('a reopened replica rebuilds the cached databases from its log and commits them', async (t) => {
  const store = memoryStore();
  const a = new Replica('c', store, realClock, silentLogger(), 1000);
  await a.open();
  const recs = chain(a.db, 1, 6, 'v');
  await a.append(recs);
  a.commitTo(2);
  await a.serial(async () => undefined);
  const b = new Replica('c', store, realClock, silentLogger(), 1000);
  await b.open();
  t.is(b.committedSeq, 2);
  b.commitTo(6);
  t.deepEqual(b.db, replay('c', recs));
});

test('a snapshot taken while a tail is uncommitted keeps the tail and its databases', async (t) => {
  const r = await opened(3);
  const recs = chain(r.db, 1, 5, 'v');
  await r.append(recs);
  r.commitTo(3);
  t.is(r.snapshot?.seq, 3);
  t.deepEqual(r.snapshot?.db, replay('c', recs.slice(0, 3)));
  r.commitTo(5);
  t.deepEqual(r.db, replay('c', recs));
});

test('every database the replica holds is frozen all the way down, also one installed from a snapshot off the wire', async (t) => {
  const source = await opened();
  await source.append(chain(source.db, 1, 2, 'v'));
  source.commitTo(2);
  const wire = JSON.parse(JSON.stringify(source.committedSnapshot()));
  const r = await opened();
  await r.resetTo(wire);
  t.true(Object.isFrozen(r.db.data.kv));
  t.true(Object.isFrozen(r.db.meta));
  t.throws(() => {
    (r.db.data.kv as Record<string, unknown>).k1 = 'changed';
  });
});

test('the memory store keeps a frozen snapshot database without copying it, and still copies the rest', async (t) => {
  const store = memoryStore();
  const r = new Replica('c', store, realClock, silentLogger(), 2);
  await r.open();
  await r.append(chain(r.db, 1, 2, 'v'));
  r.commitTo(2);
  await r.serial(async () => undefined);
  const reopened = await store.open();
  t.is(reopened.snapshot?.seq, 2);
  t.deepEqual(reopened.snapshot?.db, r.db);
  const unfrozen = { seq: 3, epoch: 1, db: JSON.parse(JSON.stringify(r.db)), submissions: ['x'] };
  await store.writeSnapshot(unfrozen);
  unfrozen.db.data.kv.k1 = 'mutated after the write';
  unfrozen.submissions.push('y');
  const again = await store.open();
  t.is((again.snapshot?.db.data.kv as Record<string, unknown>).k1, 'v1');
  t.deepEqual(again.snapshot?.submissions, ['x']);
});

test('data records wait and are applied in one pass when read; a commit inside a batch and the per-record views equal the replayed log', async (t) => {
  const r = await opened();
  const recs = chain(r.db, 1, 6, 'v');
  r.stageBatch(recs);
  t.deepEqual(r.tentativeDb, replay('c', recs));
  t.deepEqual(r.commitTo(4).map((x) => x.seq), [1, 2, 3, 4]);
  t.deepEqual(r.db, replay('c', recs.slice(0, 4)), 'a commit that ends inside the batch');
  for (const seq of [1, 2, 3, 4]) t.deepEqual(r.committedDbAt(seq), replay('c', recs.slice(0, seq)), `the view after seq ${seq}`);
  r.commitTo(6);
  t.deepEqual(r.db, r.tentativeDb, 'the rest of the batch commits');
  t.deepEqual(r.committedDbAt(5), replay('c', recs.slice(0, 5)));
});

test('cutting a tail of waiting data records leaves the database of what remains', async (t) => {
  const r = await opened();
  const recs = chain(r.db, 1, 6, 'v');
  r.stageBatch(recs);
  r.commitTo(1);
  await r.truncateAfter(3);
  t.deepEqual(r.tentativeDb, replay('c', recs.slice(0, 3)));
  r.commitTo(3);
  t.deepEqual(r.db, replay('c', recs.slice(0, 3)));
});

test('a record that changes the membership is applied on its own among waiting data records: the change and the membership before it are its own', async (t) => {
  const r = await opened();
  const before = chain(r.db, 1, 2, 'v');
  let db = replay('c', before);
  const { rec: join, after } = record(db, 3, { membership: { add: [{ id: 'n1', qualified: true, priority: 1, incarnation: 1 }], manager: 'n1' } });
  db = after;
  const tail = chain(db, 4, 2, 'w');
  r.stageBatch([...before, join, ...tail]);
  t.is(r.lastChangeSeq, 3);
  t.deepEqual(r.previousMembers, []);
  t.deepEqual(Object.keys(r.newestMembers()), ['n1']);
  r.commitTo(5);
  t.is(r.committedChangeSeq, 3);
  t.deepEqual(Object.keys(r.committedDbAt(3).nodes), ['n1']);
  t.deepEqual(r.committedDbAt(2).nodes, {});
  t.deepEqual(r.db, replay('c', [...before, join, ...tail]));
});
