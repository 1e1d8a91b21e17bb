/**
 * Property: the coordinator's applyOp and a member's applyRecordPatches (on patches that
 * went through JSON, as on the wire) produce the same database, for random op sequences.
 * Refused ops (CAS_FAILED, INVALID_OP) take no seq and change nothing.
 */
import test from 'ava';
import { GlupError } from '../../src/errors.js';
import { createRandom } from '../../src/random.js';
import { applyOp, applyRecordPatches } from '../../src/db/ops.js';
import { getAt, parsePath } from '../../src/db/paths.js';
import { emptyDb, type ClusterDb } from '../../src/db/types.js';
import { pick, randomOp } from '../helpers/randomOps.js';

const SEEDS = 300;
const OPS_PER_SEED = 120;

/** Structural invariants every committed database keeps. */
function checkInvariants(db: ClusterDb): string | null {
  for (const row of Object.values(db.nodes)) {
    const role = row.id === db.meta.manager ? 'manager' : row.id === db.meta.backup ? 'backup' : 'client';
    if (row.role !== role) return `${row.id} has role ${row.role}, meta says ${role}`;
  }
  const owners = new Map<string, string>();
  for (const row of Object.values(db.nodes)) {
    for (const p of row.ephemeral ?? []) {
      if (getAt(db.data, parsePath(p)) === undefined) return `${row.id} owns the ephemeral key ${p}, which is absent`;
      if (owners.has(p)) return `ephemeral key ${p} is owned by ${owners.get(p)} and ${row.id}`;
      owners.set(p, row.id);
    }
  }
  for (const id of [db.meta.manager, db.meta.backup]) if (id !== null && !db.nodes[id]) return `meta names ${id}, not a node`;
  for (const [name, g] of Object.entries(db.groups)) {
    if (Object.keys(g.members).length === 0) return `group ${name} is empty but present`;
    for (const m of Object.values(g.members)) if (!db.nodes[m.node]) return `group ${name} holds a member of removed node ${m.node}`;
  }
  return null;
}

test(`applyOp and JSON-shipped patches agree over ${SEEDS} seeds × ${OPS_PER_SEED} ops`, (t) => {
  let committed = 0;
  let refused = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = createRandom(seed);
    let coordinator = emptyDb('prop');
    let member = emptyDb('prop');
    let seq = 0;
    for (let i = 0; i < OPS_PER_SEED; i++) {
      const op = randomOp(r, coordinator);
      const present = Object.keys(coordinator.nodes);
      const origin = present.length > 0 ? pick(r, present) : 'n1';
      let result: ReturnType<typeof applyOp>;
      try {
        result = applyOp(coordinator, op, { origin, seq: seq + 1, epoch: coordinator.meta.epoch });
      } catch (err) {
        if (!(err instanceof GlupError) || (err.code !== 'CAS_FAILED' && err.code !== 'INVALID_OP')) {
          t.fail(`seed ${seed} op ${i}: unexpected ${String(err)} for ${JSON.stringify(op)}`);
          return;
        }
        refused++;
        continue;
      }
      seq++;
      committed++;
      coordinator = result.db;
      member = applyRecordPatches(member, JSON.parse(JSON.stringify(result.patches)));
      const broken = checkInvariants(coordinator);
      if (broken) {
        t.fail(`seed ${seed} seq ${seq}: ${broken} after ${JSON.stringify(op)}`);
        return;
      }
    }
    t.deepEqual(member, coordinator, `seed ${seed}`);
    t.is(coordinator.meta.seq, seq, `seed ${seed}: one seq per committed op, none for refused ones`);
    t.deepEqual(JSON.parse(JSON.stringify(coordinator)), coordinator, `seed ${seed}: the database is plain JSON`);
  }
  t.log(`${committed} committed, ${refused} refused`);
  t.true(refused > 0 && committed > refused, 'the workload exercises both outcomes');
});
