/**
 * Property: numbering a batch with sequenceOps (src/db/sequence.ts) on a database whose data
 * writes wait (src/db/pendingDb.ts) is numbering it with applyOp one op after the other.
 * Same refusals (code) and seqs; each record's patches, shipped through JSON and applied in
 * order, make the same database after every record; and the records' patches, left to wait
 * as a replica leaves them, make the same database in the end. Random batches over random
 * databases (members, ephemeral keys, groups), and batches of new keys under one object,
 * which should never need the database whole.
 */
import test from 'ava';
import { GlupError } from '../../src/errors.js';
import { createRandom, type Random } from '../../src/random.js';
import { applyOp, applyRecordPatches } from '../../src/db/ops.js';
import { sequenceOps, type SequenceItem } from '../../src/db/sequence.js';
import { PendingDb, writesDataOnly } from '../../src/db/pendingDb.js';
import { emptyDb, type ClusterDb, type Op } from '../../src/db/types.js';
import { pick, randomOp, randomValue } from '../helpers/randomOps.js';

const SEEDS = 200;
const BATCHES_PER_SEED = 12;

type Expected = { code: string } | { seq: number; db: ClusterDb };

/** The reference: applyOp one op after the other. */
function oneByOne(base: ClusterDb, items: SequenceItem[], firstSeq: number, epoch: number): { expected: Expected[]; db: ClusterDb } {
  let db = base;
  let seq = firstSeq;
  const expected = items.map((item): Expected => {
    try {
      db = applyOp(db, item.op, { origin: item.origin, seq, epoch }).db;
      return { seq: seq++, db };
    } catch (e) {
      if (!(e instanceof GlupError)) throw e;
      return { code: e.code };
    }
  });
  return { expected, db };
}

function randomItems(r: Random, db: ClusterDb, count: number): SequenceItem[] {
  const present = Object.keys(db.nodes);
  return Array.from({ length: count }, () => ({ op: randomOp(r, db), origin: present.length > 0 ? pick(r, present) : 'n1' }));
}

/** New keys and rewrites under one object, with the odd delete and cas: long runs. */
function keyItems(r: Random, count: number, from: number): SequenceItem[] {
  return Array.from({ length: count }, (_, i): SequenceItem => {
    const key = r.next() < 0.8 ? `k${from + i}` : `k${Math.floor(r.next() * (from + i))}`;
    const k = r.next();
    const op: Op = k < 0.7 ? { set: { path: ['bench', key], value: randomValue(r) } } : k < 0.8 ? { delete: { path: ['bench', key] } } : k < 0.9 ? { merge: { path: ['bench'], value: { [key]: 1 } } } : { cas: { path: ['bench', key], expect: null, value: 2 } };
    return { op, origin: 'n1' };
  });
}

/** A replica's tentative database: data records wait, the others are applied (counting the times it is made whole). */
class CountingView {
  gets = 0;
  constructor(readonly pending: PendingDb) {}
  get shape() {
    return this.pending.shape;
  }
  touches(segs: readonly string[]) {
    return this.pending.touches(segs);
  }
  get(): ClusterDb {
    this.gets++;
    return this.pending.get();
  }
  stage(patches: readonly import('immer').Patch[]) {
    if (writesDataOnly(patches)) this.pending.defer(patches);
    else this.pending.set(applyRecordPatches(this.pending.get(), patches));
  }
}

test(`sequenceOps numbers a batch as applyOp one by one, over ${SEEDS} seeds × ${BATCHES_PER_SEED} batches`, (t) => {
  let records = 0;
  let waited = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = createRandom(seed);
    let db = applyOp(emptyDb('seq'), { set: { path: ['bench'], value: {} } }, { origin: 'n1', seq: 1, epoch: 1 }).db;
    const view = new CountingView(new PendingDb(db));
    let seq = 2;
    for (let b = 0; b < BATCHES_PER_SEED; b++) {
      const items = r.next() < 0.5 ? randomItems(r, db, 1 + Math.floor(r.next() * 12)) : keyItems(r, 1 + Math.floor(r.next() * 40), seq);
      const epoch = db.meta.epoch;
      // each side gets its own copy of the ops: a database holds the values of the ops that made it
      const { expected, db: after } = oneByOne(db, structuredClone(items), seq, epoch);
      const outcomes = sequenceOps(view, structuredClone(items), seq, epoch);
      const where = `seed ${seed} batch ${b}`;
      t.deepEqual(
        outcomes.map((o) => ('error' in o ? { code: o.error.code } : { seq: o.seq })),
        expected.map((e) => ('code' in e ? { code: e.code } : { seq: e.seq })),
        `${where}: refusals and seqs`,
      );
      // a member applies each record's patches, as shipped, in order
      let member = db;
      outcomes.forEach((o, i) => {
        if ('error' in o) return;
        member = applyRecordPatches(member, JSON.parse(JSON.stringify(o.patches)));
        t.deepEqual(member, (expected[i] as { db: ClusterDb }).db, `${where}: the database after seq ${o.seq}`);
        records++;
        if (writesDataOnly(o.patches)) waited++;
        view.stage(o.patches);
      });
      // the waiting view is read whole only now and then: compare every other batch
      if (b % 2 === 1) t.deepEqual(view.get(), after, `${where}: the database the waiting patches make`);
      db = after;
      seq = outcomes.reduce((s, o) => ('error' in o ? s : o.seq + 1), seq);
    }
    t.deepEqual(view.get(), db, `seed ${seed}: the end`);
  }
  t.log(`${records} records, ${waited} of them left to wait`);
  t.true(waited > records / 2, 'most records are plain data writes');
});

test('new keys under one object never need the database whole; a write that reads an earlier one does', (t) => {
  const db = applyOp(emptyDb('seq'), { set: { path: ['bench'], value: {} } }, { origin: 'n1', seq: 1, epoch: 1 }).db;
  const view = new CountingView(new PendingDb(db));
  const items: SequenceItem[] = Array.from({ length: 64 }, (_, i) => ({ op: { set: { path: ['bench', `k${i}`], value: i } }, origin: 'n1' }));
  const outcomes = sequenceOps(view, items, 2, 1);
  t.is(view.gets, 0, 'distinct keys: nothing made whole');
  t.is(outcomes.filter((o) => !('error' in o)).length, 64);
  for (const o of outcomes) if (!('error' in o)) view.stage(o.patches);
  // the same key again, a cas on what the first batch wrote (waiting in the view): made whole once
  const again = sequenceOps(view, [{ op: { cas: { path: ['bench', 'k0'], expect: 0, value: 'x' } }, origin: 'n1' }, { op: { set: { path: ['bench', 'k64'], value: 64 } }, origin: 'n1' }], 66, 1);
  t.is(view.gets, 1);
  t.true(again.every((o) => !('error' in o)));
  for (const o of again) if (!('error' in o)) view.stage(o.patches);
  const whole = view.get();
  t.is(Object.keys(whole.data.bench as object).length, 65);
  t.is((whole.data.bench as Record<string, unknown>).k0, 'x');
  t.is(whole.meta.seq, 67);
  t.true(Object.isFrozen(whole.data.bench), 'what waited is frozen once applied, like any database');
});
