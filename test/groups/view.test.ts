import test from 'ava';
import { diffViews, groupViewFromDb } from '../../src/groups/view.js';
import { applyOp } from '../../src/db/ops.js';
import { emptyDb, type ClusterDb, type Op } from '../../src/db/types.js';

function run(ops: Op[], db: ClusterDb = emptyDb('demo')): ClusterDb {
  for (const op of ops) db = applyOp(db, op, { origin: 'n1', seq: db.meta.seq + 1, epoch: 1 }).db;
  return db;
}

test('diffViews lists who joined and who left, in id order', (t) => {
  t.deepEqual(diffViews(['a@n1', 'b@n2'], ['b@n2', 'c@n10', 'c@n3']), { joined: ['c@n3', 'c@n10'], left: ['a@n1'] });
  t.deepEqual(diffViews([], []), { joined: [], left: [] });
});

test('groupViewFromDb reads the committed view of a group', (t) => {
  const add = { id: 'n1', qualified: true, priority: 0, incarnation: 1 };
  let db = run([{ membership: { epoch: 1, manager: 'n1', add: [add, { ...add, id: 'n2' }] } }]);
  db = run([{ groupJoin: { group: 'g', process: 'p', node: 'n2' } }, { groupJoin: { group: 'g', process: 'p', node: 'n1' } }], db);
  const first = groupViewFromDb(db, 'g');
  t.deepEqual(first, { group: 'g', view: 3, members: ['p@n1', 'p@n2'], joined: ['p@n1', 'p@n2'], left: [] });
  db = run([{ groupLeave: { group: 'g', process: 'p', node: 'n1' } }], db);
  t.deepEqual(groupViewFromDb(db, 'g', first), { group: 'g', view: 4, members: ['p@n2'], joined: [], left: ['p@n1'] });
  db = run([{ membership: { remove: [{ id: 'n2', reason: 'failed' }] } }], db);
  t.deepEqual(groupViewFromDb(db, 'g', { members: ['p@n2'] }), { group: 'g', view: 5, members: [], joined: [], left: ['p@n2'] });
});
