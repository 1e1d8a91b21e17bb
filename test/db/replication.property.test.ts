/**
 * Property: the coordinator's applyOp and a member's applyRecordPatches (on patches that
 * went through JSON, as on the wire) produce the same database, for random op sequences.
 * Refused ops (CAS_FAILED, INVALID_OP) take no seq and change nothing.
 */
import test from 'ava';
import { GlupError } from '../../src/errors.js';
import { createRandom, type Random } from '../../src/random.js';
import { applyOp, applyRecordPatches } from '../../src/db/ops.js';
import { getAt, parsePath } from '../../src/db/paths.js';
import { emptyDb, type ClusterDb, type DataOp, type Op } from '../../src/db/types.js';

const SEEDS = 300;
const OPS_PER_SEED = 120;
const NODES = ['n1', 'n2', 'n3', 'n4', 'n10'];
const KEYS = ['a', 'b', 'c', 'x.y'];

const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r.next() * xs.length)]!;
const chance = (r: Random, p: number) => r.next() < p;

function randomPath(r: Random): string[] {
  const len = 1 + Math.floor(r.next() * 3);
  return Array.from({ length: len }, () => pick(r, KEYS));
}

function randomValue(r: Random, depth = 0): unknown {
  const k = r.next();
  if (k < 0.25) return Math.floor(r.between(-100, 100));
  if (k < 0.4) return pick(r, ['', 'blue', 'ünïcødé', 'a.b']);
  if (k < 0.5) return null;
  if (k < 0.55) return r.next() < 0.5;
  if (depth > 2) return 0;
  if (k < 0.75) return Array.from({ length: Math.floor(r.next() * 3) }, () => randomValue(r, depth + 1));
  return randomObject(r, depth + 1);
}

function randomObject(r: Random, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = Math.floor(r.next() * 3);
  for (let i = 0; i < n; i++) o[pick(r, KEYS)] = randomValue(r, depth);
  return o;
}

function randomDataOp(r: Random, db: ClusterDb, nesting = 0): DataOp {
  const path = chance(r, 0.5) ? randomPath(r) : randomPath(r).join('.');
  const k = r.next();
  if (k < 0.35) return { set: { path, value: randomValue(r), ...(chance(r, 0.3) ? { ephemeral: true } : {}) } };
  if (k < 0.5) return { delete: { path } };
  if (k < 0.65) return { merge: { path, value: randomObject(r, 1) } };
  if (k < 0.85 || nesting > 0) {
    // mostly a cas that can succeed: expect the current value (or null for an absent one)
    const current = getAt(db.data, parsePath(path));
    const expect = chance(r, 0.7) ? (current === undefined ? null : current) : randomValue(r);
    return { cas: { path, expect, value: randomValue(r), ...(chance(r, 0.2) ? { ephemeral: true } : {}) } };
  }
  return { batch: { ops: Array.from({ length: Math.floor(r.next() * 4) }, () => randomDataOp(r, db, nesting + 1)) } };
}

function randomOp(r: Random, db: ClusterDb): Op {
  const k = r.next();
  const present = Object.keys(db.nodes);
  if (k < 0.6) return randomDataOp(r, db);
  if (k < 0.72) {
    const add = chance(r, 0.7) ? [{ id: pick(r, NODES), qualified: chance(r, 0.8), priority: Math.floor(r.next() * 3), incarnation: Math.floor(r.next() * 2) }] : [];
    const remove = present.length > 0 && chance(r, 0.4) ? [{ id: pick(r, present), reason: pick(r, ['leave', 'failed', 'removed'] as const) }] : [];
    const candidates = [...present, ...add.map((a) => a.id)];
    const manager = candidates.length > 0 && chance(r, 0.5) ? pick(r, candidates) : undefined;
    const backup = candidates.length > 0 && chance(r, 0.5) ? pick(r, candidates) : undefined;
    return {
      membership: {
        add,
        remove,
        ...(manager ? { manager } : {}),
        ...(backup ? { backup } : {}),
        ...(chance(r, 0.3) ? { epoch: db.meta.epoch + 1 } : {}),
      },
    };
  }
  const member = { group: pick(r, ['g1', 'g2']), process: pick(r, ['p1', 'p2']), node: present.length > 0 ? pick(r, present) : 'n1' };
  if (k < 0.85) return { groupJoin: member };
  if (k < 0.95) return { groupLeave: member };
  return { groupMessage: { group: member.group, msg: randomValue(r) } };
}

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
