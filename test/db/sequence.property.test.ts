/**
 * Property: numbering a batch with sequenceOps (src/db/sequence.ts) is numbering it with
 * applyOp one op after the other. Same refusals (code) and seqs; each record's patches,
 * shipped through JSON and applied in order, make the same database after every record; and
 * the database of each run is the one after its last op. Random batches over random
 * databases (members, ephemeral keys, groups), and batches of new keys under one object,
 * where the runs are long.
 */
import test from 'ava';
import { GlupError } from '../../src/errors.js';
import { createRandom, type Random } from '../../src/random.js';
import { applyOp, applyRecordPatches } from '../../src/db/ops.js';
import { sequenceOps, type SequenceItem } from '../../src/db/sequence.js';
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

test(`sequenceOps numbers a batch as applyOp one by one, over ${SEEDS} seeds × ${BATCHES_PER_SEED} batches`, (t) => {
  let inLongRuns = 0;
  let records = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = createRandom(seed);
    let db = applyOp(emptyDb('seq'), { set: { path: ['bench'], value: {} } }, { origin: 'n1', seq: 1, epoch: 1 }).db;
    let seq = 2;
    for (let b = 0; b < BATCHES_PER_SEED; b++) {
      const items = r.next() < 0.5 ? randomItems(r, db, 1 + Math.floor(r.next() * 12)) : keyItems(r, 1 + Math.floor(r.next() * 40), seq);
      const epoch = db.meta.epoch;
      // each side gets its own copy of the ops: a database holds the values of the ops that made it
      const { expected, db: after } = oneByOne(db, structuredClone(items), seq, epoch);
      const { outcomes, runs } = sequenceOps(db, structuredClone(items), seq, epoch);
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
      });
      t.deepEqual(
        runs.flatMap((run) => Array.from({ length: run.to - run.from }, (_, k) => run.from + k)),
        items.map((_, i) => i),
        `${where}: the runs cover the batch in order`,
      );
      for (const run of runs) {
        const last = expected.slice(0, run.to).reverse().find((e): e is { seq: number; db: ClusterDb } => 'db' in e);
        t.deepEqual(run.db, last?.db ?? db, `${where}: the database of the run [${run.from}, ${run.to})`);
        if (run.to - run.from > 1) inLongRuns += run.to - run.from;
      }
      t.deepEqual(runs.at(-1)?.db ?? db, after);
      db = after;
      seq = outcomes.reduce((s, o) => ('error' in o ? s : o.seq + 1), seq);
    }
  }
  t.log(`${records} records, ${inLongRuns} of the ops in runs of more than one`);
  t.true(inLongRuns > records / 4, 'runs of several ops are exercised');
});

test('a run copies the object its ops write into once: every key written lands, and the runs are few', (t) => {
  let db = applyOp(emptyDb('seq'), { set: { path: ['bench'], value: {} } }, { origin: 'n1', seq: 1, epoch: 1 }).db;
  const items: SequenceItem[] = Array.from({ length: 64 }, (_, i) => ({ op: { set: { path: ['bench', `k${i}`], value: i } }, origin: 'n1' }));
  const { outcomes, runs } = sequenceOps(db, items, 2, 1);
  t.is(runs.length, 1, 'distinct keys under one object: one run');
  t.is(outcomes.filter((o) => !('error' in o)).length, 64);
  db = runs[0]!.db;
  t.is(Object.keys(db.data.bench as object).length, 64);
  t.is(db.meta.seq, 65);
  t.true(Object.isFrozen(db.data.bench), 'what a run changed is frozen like any database');
  // the same key twice: the second write ends the run (it must see the first)
  const twice = sequenceOps(db, [items[0]!, { op: { cas: { path: ['bench', 'k0'], expect: 0, value: 'x' } }, origin: 'n1' }], 66, 1);
  t.is(twice.runs.length, 2);
  t.deepEqual((twice.runs[1]!.db.data.bench as Record<string, unknown>).k0, 'x');
});
