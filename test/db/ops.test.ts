import test from 'ava';
import { GlupError } from '../../src/errors.js';
import { affectedPaths, applyOp, applyRecordPatches, checkCas } from '../../src/db/ops.js';
import { emptyDb, type ClusterDb, type NodeInfo, type Op } from '../../src/db/types.js';

const node = (id: string, over: Partial<NodeInfo> = {}): NodeInfo => ({ id, qualified: true, priority: 0, incarnation: 1, ...over });

/** Applies ops one after the other from seq db.meta.seq + 1, as a coordinator would. */
function run(db: ClusterDb, ops: Op[], origin = 'n1'): ClusterDb {
  for (const op of ops) db = applyOp(db, op, { origin, seq: db.meta.seq + 1, epoch: db.meta.epoch }).db;
  return db;
}

/** A cluster of n1 (manager), n2 (backup), n3 at seq 1. */
function cluster(): ClusterDb {
  return run(emptyDb('demo'), [{ membership: { epoch: 1, manager: 'n1', backup: 'n2', add: [node('n1'), node('n2'), node('n3')] } }]);
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof GlupError ? err.code : `not a GlupError: ${String(err)}`;
  }
  return undefined;
}

test('set writes under data, creates missing parents as objects and takes the seq', (t) => {
  const db = run(cluster(), [{ set: { path: 'config.color', value: 'blue' } }, { set: { path: ['a', 'b', 'c'], value: [1, { x: null }] } }]);
  t.deepEqual(db.data, { config: { color: 'blue' }, a: { b: { c: [1, { x: null }] } } });
  t.is(db.meta.seq, 3);
});

test('set refuses to write through a value that is not an object, and changes nothing', (t) => {
  const db = run(cluster(), [{ set: { path: 'a', value: 5 } }]);
  t.is(code(() => applyOp(db, { set: { path: 'a.b', value: 1 } }, { origin: 'n1', seq: 3, epoch: 1 })), 'INVALID_OP');
  t.deepEqual(db.data, { a: 5 });
});

test('delete removes a key; a missing path is a no-op that still commits', (t) => {
  let db = run(cluster(), [{ set: { path: 'a.b', value: 1 } }, { set: { path: 'a.c', value: 2 } }]);
  db = run(db, [{ delete: { path: 'a.b' } }]);
  t.deepEqual(db.data, { a: { c: 2 } });
  const before = db.data;
  const { db: after, patches } = applyOp(db, { delete: { path: 'x.y.z' } }, { origin: 'n1', seq: 5, epoch: 1 });
  t.is(after.data, before);
  t.is(after.meta.seq, 5);
  t.deepEqual(patches, [{ op: 'replace', path: ['meta', 'seq'], value: 5 }]);
  t.deepEqual(run(after, [{ delete: { path: 'a.c.deeper' } }]).data, { a: { c: 2 } });
});

test('merge is shallow, merges a missing path into {} and refuses a non-object target', (t) => {
  let db = run(cluster(), [{ set: { path: 'cfg', value: { a: 1, nested: { x: 1, y: 2 } } } }]);
  db = run(db, [{ merge: { path: 'cfg', value: { b: 2, nested: { z: 3 } } } }]);
  t.deepEqual(db.data.cfg, { a: 1, b: 2, nested: { z: 3 } });
  db = run(db, [{ merge: { path: 'new.obj', value: { k: true } } }]);
  t.deepEqual(db.data.new, { obj: { k: true } });
  db = run(db, [{ set: { path: 'n', value: null } }, { set: { path: 'arr', value: [1] } }]);
  for (const path of ['cfg.a', 'n', 'arr']) {
    t.is(code(() => applyOp(db, { merge: { path, value: { q: 1 } } }, { origin: 'n1', seq: 99, epoch: 1 })), 'INVALID_OP', path);
  }
});

test('cas compares deeply, and expect null means absent or null', (t) => {
  let db = cluster();
  db = run(db, [{ cas: { path: 'lock.owner', expect: null, value: 'n1' } }]);
  t.is((db.data.lock as { owner: string }).owner, 'n1');
  t.is(code(() => applyOp(db, { cas: { path: 'lock.owner', expect: null, value: 'n2' } }, { origin: 'n2', seq: 3, epoch: 1 })), 'CAS_FAILED');
  db = run(db, [{ set: { path: 'lock.owner', value: null } }, { cas: { path: 'lock.owner', expect: null, value: 'n3' } }]);
  t.is((db.data.lock as { owner: string }).owner, 'n3');
  db = run(db, [{ set: { path: 'obj', value: { a: [1, 2], b: { c: 'x' } } } }]);
  db = run(db, [{ cas: { path: 'obj', expect: { b: { c: 'x' }, a: [1, 2] }, value: 'swapped' } }]);
  t.is(db.data.obj, 'swapped');
  t.is(code(() => checkCas(db, { cas: { path: 'obj', expect: 'other', value: 1 } })), 'CAS_FAILED');
  t.is(code(() => checkCas(db, { cas: { path: 'missing', expect: 0, value: 1 } })), 'CAS_FAILED');
  t.is(code(() => checkCas(db, { cas: { path: 'obj', expect: 'swapped', value: 1 } })), undefined);
  t.is(code(() => checkCas(db, { cas: { path: 'obj', expect: 'swapped', value: 1, ephemeral: true } })), undefined, 'judges only the condition');
});

test('a failed cas throws CAS_FAILED and leaves the database as it was', (t) => {
  const db = run(cluster(), [{ set: { path: 'v', value: 1 } }]);
  const err = t.throws(() => applyOp(db, { cas: { path: 'v', expect: 2, value: 3 } }, { origin: 'n1', seq: 3, epoch: 1 }), { instanceOf: GlupError });
  t.is(err?.code, 'CAS_FAILED');
  t.regex(err!.message, /cas at v: expected 2, found 1/);
  t.is(db.data.v, 1);
  t.is(db.meta.seq, 2);
});

test('batch is all or nothing', (t) => {
  const db = run(cluster(), [{ set: { path: 'v', value: 1 } }]);
  const ok = run(db, [{ batch: { ops: [{ set: { path: 'a', value: 1 } }, { cas: { path: 'a', expect: 1, value: 2 } }, { delete: { path: 'v' } }] } }]);
  t.deepEqual(ok.data, { a: 2 });
  const failing: Op = { batch: { ops: [{ set: { path: 'a', value: 1 } }, { cas: { path: 'v', expect: 7, value: 2 } }] } };
  t.is(code(() => applyOp(db, failing, { origin: 'n1', seq: 3, epoch: 1 })), 'CAS_FAILED');
  t.is(code(() => checkCas(db, failing)), 'CAS_FAILED');
  // a cas that depends on an earlier op of the same batch is judged after it
  t.is(code(() => checkCas(db, { batch: { ops: [{ set: { path: 'v', value: 7 } }, { cas: { path: 'v', expect: 7, value: 8 } }] } })), undefined);
  t.deepEqual(db.data, { v: 1 });
});

test('every applied op records its seq in meta.seq', (t) => {
  const db = cluster();
  for (const op of [{ groupMessage: { group: 'g', msg: 'hi' } }, { set: { path: 'a', value: 1 } }] as Op[]) {
    const { db: next, patches } = applyOp(db, op, { origin: 'n1', seq: 42, epoch: 1 });
    t.is(next.meta.seq, 42);
    t.true(patches.some((p) => p.path.join('.') === 'meta.seq'));
  }
  const { patches } = applyOp(db, { groupMessage: { group: 'g', msg: 'hi' } }, { origin: 'n1', seq: 42, epoch: 1 });
  t.deepEqual(patches, [{ op: 'replace', path: ['meta', 'seq'], value: 42 }]);
});

test('ephemeral keys are deleted in the same update that removes their node', (t) => {
  let db = cluster();
  db = run(db, [{ set: { path: 'svc.n2', value: { port: 1 }, ephemeral: true } }], 'n2');
  db = run(db, [{ cas: { path: 'lock', expect: null, value: 'n2', ephemeral: true } }], 'n2');
  db = run(db, [{ set: { path: 'svc.n3', value: { port: 2 }, ephemeral: true } }], 'n3');
  db = run(db, [{ set: { path: 'plain', value: 1 } }], 'n2');
  t.deepEqual(db.nodes.n2?.ephemeral, ['svc.n2', 'lock']);
  const removal: Op = { membership: { remove: [{ id: 'n2', reason: 'failed' }] } };
  t.deepEqual(affectedPaths(removal, db).sort(), ['lock', 'svc.n2']);
  db = run(db, [removal]);
  t.deepEqual(db.data, { svc: { n3: { port: 2 } }, plain: 1 });
  t.false('n2' in db.nodes);
  t.is(db.meta.backup, null, 'a removed backup is no longer named backup');
});

test('a key overwritten without ephemeral no longer belongs to its former owner', (t) => {
  let db = cluster();
  db = run(db, [{ set: { path: 'svc.a', value: 1, ephemeral: true } }], 'n2');
  db = run(db, [{ set: { path: 'svc', value: { a: 'n3 owns this now' } } }], 'n3');
  t.is(db.nodes.n2?.ephemeral, undefined);
  db = run(db, [{ membership: { remove: [{ id: 'n2', reason: 'leave' }] } }]);
  t.deepEqual(db.data, { svc: { a: 'n3 owns this now' } });
});

test('an ephemeral key needs a member node as its owner', (t) => {
  t.is(code(() => applyOp(cluster(), { set: { path: 'k', value: 1, ephemeral: true } }, { origin: 'ghost', seq: 2, epoch: 1 })), 'INVALID_OP');
});

test('membership adds rows with joinedSeq and keeps roles consistent with meta', (t) => {
  let db = cluster();
  t.deepEqual(db.nodes.n1, { id: 'n1', qualified: true, priority: 0, role: 'manager', status: 'up', incarnation: 1, joinedSeq: 1 });
  t.is(db.nodes.n2?.role, 'backup');
  t.is(db.nodes.n3?.role, 'client');
  db = run(db, [{ membership: { add: [node('n4', { priority: 5, qualified: false })] } }]);
  t.like(db.nodes.n4, { joinedSeq: 2, role: 'client', priority: 5, qualified: false });
  // takeover: n2 becomes manager with a new epoch, n1 removed, n3 backup, in one update
  db = run(db, [{ membership: { epoch: 2, manager: 'n2', backup: 'n3', remove: [{ id: 'n1', reason: 'failed' }] } }]);
  t.like(db.meta, { epoch: 2, manager: 'n2', backup: 'n3', seq: 3 });
  t.deepEqual(Object.fromEntries(Object.values(db.nodes).map((r) => [r.id, r.role])), { n2: 'manager', n3: 'backup', n4: 'client' });
  db = run(db, [{ membership: { settings: { heartbeatMs: 50 } } }]);
  t.deepEqual(db.meta.settings, { heartbeatMs: 50 });
});

test('membership refuses roles for non-members, a manager that is also backup, and a lower epoch', (t) => {
  const db = cluster();
  const ctx = { origin: 'n1', seq: 2, epoch: 1 };
  t.is(code(() => applyOp(db, { membership: { backup: 'n9' } }, ctx)), 'INVALID_OP');
  t.is(code(() => applyOp(db, { membership: { backup: 'n1' } }, ctx)), 'INVALID_OP');
  t.is(code(() => applyOp(db, { membership: { epoch: 0 } }, ctx)), 'INVALID_OP');
});

test('a node re-added with a new incarnation loses its old group members and ephemeral keys', (t) => {
  let db = cluster();
  db = run(db, [{ set: { path: 'e', value: 1, ephemeral: true } }, { groupJoin: { group: 'g', process: 'p', node: 'n3' } }], 'n3');
  db = run(db, [{ membership: { add: [node('n3', { incarnation: 1, priority: 4 })] } }]);
  t.like(db.nodes.n3, { priority: 4, joinedSeq: 1 });
  t.truthy(db.groups.g);
  db = run(db, [{ membership: { add: [node('n3', { incarnation: 2 })] } }]);
  t.like(db.nodes.n3, { incarnation: 2, joinedSeq: db.meta.seq });
  t.false('g' in db.groups);
  t.deepEqual(db.data, {});
});

test('group join and leave give views of the seq of the change', (t) => {
  let db = cluster();
  db = run(db, [{ groupJoin: { group: 'workers', process: 'p1', node: 'n1' } }]);
  t.deepEqual(db.groups.workers, { view: 2, members: { 'p1@n1': { node: 'n1', process: 'p1', since: 2 } } });
  db = run(db, [{ groupJoin: { group: 'workers', process: 'p2', node: 'n2' } }]);
  t.is(db.groups.workers?.view, 3);
  db = run(db, [{ groupJoin: { group: 'workers', process: 'p2', node: 'n2' } }]);
  t.is(db.meta.seq, 4, 'joining twice still commits');
  t.is(db.groups.workers?.view, 3, 'joining twice changes no view');
  db = run(db, [{ groupLeave: { group: 'workers', process: 'nobody', node: 'n2' } }, { groupLeave: { group: 'none', process: 'p', node: 'n2' } }]);
  t.is(db.meta.seq, 6);
  t.is(db.groups.workers?.view, 3);
  db = run(db, [{ groupLeave: { group: 'workers', process: 'p1', node: 'n1' } }]);
  t.deepEqual(Object.keys(db.groups.workers!.members), ['p2@n2']);
  t.is(db.groups.workers?.view, 7);
  db = run(db, [{ groupLeave: { group: 'workers', process: 'p2', node: 'n2' } }]);
  t.false('workers' in db.groups, 'a group with no members is deleted');
  t.is(code(() => applyOp(db, { groupJoin: { group: 'g', process: 'p', node: 'ghost' } }, { origin: 'n1', seq: 9, epoch: 1 })), 'INVALID_OP');
});

test("a removed node's group members leave in the same update", (t) => {
  let db = cluster();
  db = run(db, [
    { groupJoin: { group: 'a', process: 'p1', node: 'n3' } },
    { groupJoin: { group: 'a', process: 'p2', node: 'n1' } },
    { groupJoin: { group: 'b', process: 'p1', node: 'n3' } },
    { groupJoin: { group: 'c', process: 'p1', node: 'n1' } },
  ]);
  db = run(db, [{ membership: { remove: [{ id: 'n3', reason: 'failed' }] } }]);
  t.deepEqual(db.groups.a, { view: 6, members: { 'p2@n1': { node: 'n1', process: 'p2', since: 3 } } });
  t.false('b' in db.groups);
  t.is(db.groups.c?.view, 5, 'groups without members on the node keep their view');
});

test('patches after a JSON round trip rebuild the same database on a member', (t) => {
  const ops: Op[] = [
    { membership: { epoch: 1, manager: 'n1', add: [node('n1'), node('n2')] } },
    { set: { path: 'a.b.c', value: { deep: [1, 2, { x: 'y' }] }, ephemeral: true } },
    { merge: { path: 'a.b', value: { m: 1 } } },
    { batch: { ops: [{ delete: { path: 'a.b.c' } }, { cas: { path: 'z', expect: null, value: 0 } }] } },
    { groupJoin: { group: 'g', process: 'p', node: 'n2' } },
    { membership: { backup: 'n2' } },
    { membership: { remove: [{ id: 'n2', reason: 'leave' }] } },
  ];
  let coordinator = emptyDb('demo');
  let member = emptyDb('demo');
  ops.forEach((op, i) => {
    const res = applyOp(coordinator, op, { origin: 'n1', seq: i + 1, epoch: 1 });
    coordinator = res.db;
    member = applyRecordPatches(member, JSON.parse(JSON.stringify(res.patches)));
    t.deepEqual(member, coordinator, `after seq ${i + 1}`);
  });
});

test('affectedPaths names the data paths an op writes', (t) => {
  t.deepEqual(affectedPaths({ set: { path: ['a.b', 'c'], value: 1 } }), ['a\\.b.c']);
  t.deepEqual(affectedPaths({ merge: { path: 'cfg', value: { x: 1, y: 2 } } }), ['cfg.x', 'cfg.y']);
  t.deepEqual(affectedPaths({ merge: { path: 'cfg', value: {} } }), ['cfg']);
  t.deepEqual(
    affectedPaths({ batch: { ops: [{ delete: { path: 'a' } }, { cas: { path: 'b', expect: null, value: 1 } }, { delete: { path: 'a' } }] } }),
    ['a', 'b'],
  );
  t.deepEqual(affectedPaths({ groupJoin: { group: 'g', process: 'p', node: 'n1' } }), []);
});

test('the returned database is frozen, so nobody edits committed state by accident', (t) => {
  const db = run(cluster(), [{ set: { path: 'a', value: { b: 1 } } }]);
  t.true(Object.isFrozen(db));
  t.true(Object.isFrozen(db.data.a));
});

test('a member applying shipped patches gets a frozen database that shares what the update did not touch', (t) => {
  const before = run(cluster(), [{ set: { path: 'big.k0', value: 0 } }, { set: { path: 'other', value: { x: 1 } } }]);
  const { patches } = applyOp(before, { set: { path: 'big.k1', value: { deep: [{ y: 2 }] } } }, { origin: 'n1', seq: 4, epoch: 1 });
  const after = applyRecordPatches(before, JSON.parse(JSON.stringify(patches)));
  t.deepEqual(after.data.big, { k0: 0, k1: { deep: [{ y: 2 }] } });
  for (const v of [after, after.data, after.data.big, (after.data.big as any).k1, (after.data.big as any).k1.deep, (after.data.big as any).k1.deep[0]]) {
    t.true(Object.isFrozen(v));
  }
  t.is(after.data.other, before.data.other, 'an untouched subtree is the same object');
  t.is(after.nodes, before.nodes);
  t.throws(() => {
    (after.data.big as any).k2 = 1;
  });
  t.deepEqual(before.data.big, { k0: 0 }, 'the previous database did not change');
});

test('the coordinator database (applyOp) is frozen down to the values the op wrote', (t) => {
  const value = { list: [{ a: 1 }] };
  const db = run(cluster(), [{ merge: { path: 'cfg', value: { v: value, w: 2 } } }]);
  t.true(Object.isFrozen(db.data.cfg));
  t.true(Object.isFrozen((db.data.cfg as any).v.list[0]));
  t.true(Object.isFrozen(db.meta));
});

test('a batch that writes into a value it set itself copies it: the op is never changed, even when it arrived frozen from the bus', (t) => {
  const deepFreeze = <T>(o: T): T => {
    if (o && typeof o === 'object') {
      for (const v of Object.values(o)) deepFreeze(v);
      Object.freeze(o);
    }
    return o;
  };
  const op: Op = deepFreeze({
    batch: {
      ops: [
        { set: { path: 'a', value: { b: { c: 1 } } } },
        { merge: { path: 'a', value: { y: 2 } } },
        { set: { path: 'a.b.d', value: 3 } },
      ],
    },
  });
  const before = JSON.stringify(op);
  const base = cluster();
  const { db, patches } = applyOp(base, op, { origin: 'n1', seq: 2, epoch: 1 });
  t.deepEqual(db.data, { a: { b: { c: 1, d: 3 }, y: 2 } });
  t.is(JSON.stringify(op), before, 'the op is as it was submitted');
  t.deepEqual(applyRecordPatches(base, patches).data, db.data, 'a member applying the patches gets the same database');
  // the same op, not frozen: the caller's objects stay as they were
  const plain: Op = JSON.parse(before);
  applyOp(base, plain, { origin: 'n1', seq: 2, epoch: 1 });
  t.is(JSON.stringify(plain), before);
});
