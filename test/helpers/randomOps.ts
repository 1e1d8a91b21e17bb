/**
 * Random ops for the database property tests (test/db/replication.property.test.ts,
 * test/db/sequence.property.test.ts): data ops of every kind on a few short paths, ephemeral
 * keys, cas that mostly match, batches, membership changes and process-group ops.
 */
import { getAt, parsePath } from '../../src/db/paths.js';
import type { Random } from '../../src/random.js';
import type { ClusterDb, DataOp, Op } from '../../src/db/types.js';

export const NODES = ['n1', 'n2', 'n3', 'n4', 'n10'];
const KEYS = ['a', 'b', 'c', 'x.y'];

export const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r.next() * xs.length)]!;
const chance = (r: Random, p: number) => r.next() < p;

function randomPath(r: Random): string[] {
  const len = 1 + Math.floor(r.next() * 3);
  return Array.from({ length: len }, () => pick(r, KEYS));
}

export function randomValue(r: Random, depth = 0): unknown {
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

export function randomOp(r: Random, db: ClusterDb): Op {
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

