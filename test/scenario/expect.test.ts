import test from 'ava';
import { evaluateConditions } from '../../src/scenario/expect.js';
import type { Conditions } from '../../src/scenario/types.js';
import { db, healthy, node } from './views.js';

const holds = (t: import('ava').ExecutionContext, c: Conditions, view = healthy()) => {
  const r = evaluateConditions(c, view);
  t.deepEqual(r.failures, []);
  t.true(r.ok);
};
const fails = (t: import('ava').ExecutionContext, c: Conditions, view: ReturnType<typeof healthy>, message: string | RegExp) => {
  const r = evaluateConditions(c, view);
  t.false(r.ok);
  t.is(r.failures.length, 1, r.failures.join(' | '));
  if (typeof message === 'string') t.is(r.failures[0], message);
  else t.regex(r.failures[0]!, message);
};

test('manager: X holds when X is the only manager and every live node names it', (t) => {
  holds(t, { manager: 'n1' });
  holds(t, { manager: 'any' });
  fails(t, { manager: 'n2' }, healthy(), 'manager: expected n2, the manager is n1');
  fails(t, { manager: 'n1' }, healthy({ n3: { manager: 'n2' } }), 'manager: expected n1, n3 names n2');
  fails(t, { manager: 'any' }, healthy({ n2: { role: 'manager' } }), 'manager: expected any, n1 and n2 are all manager');
  // A joining node names no manager and blocks agreement.
  fails(t, { manager: 'n1' }, healthy({ n3: { role: 'joining', manager: null } }), 'manager: expected n1, n3 names no manager');
});

test('manager ignores killed and isolated nodes', (t) => {
  // n1 was killed: its stale fields do not count; n2 took over and everyone names it.
  const view = healthy({ n1: { status: 'killed' }, n2: { role: 'manager', manager: 'n2' }, n3: { manager: 'n2' } });
  holds(t, { manager: 'n2' }, view);
  // A deposed manager that is isolated is left out.
  const split = healthy({ n1: { isolated: true, role: 'isolated' }, n2: { role: 'manager', manager: 'n2' }, n3: { manager: 'n2' } });
  holds(t, { manager: 'n2' }, split);
  holds(t, { roles: { n1: 'isolated', n2: 'manager' } }, split);
});

test('manager: none holds when no live non-isolated node is manager', (t) => {
  holds(t, { manager: 'none' }, healthy({ n1: { status: 'killed' } }));
  fails(t, { manager: 'none' }, healthy(), 'manager: expected none, n1 is manager');
});

test('backup, epoch, seq and members are read at the agreed manager', (t) => {
  holds(t, { backup: 'n2', epoch: 1, seq: 5, members: 3 });
  fails(t, { backup: 'n3' }, healthy(), 'backup: expected n3, manager n1 has n2');
  fails(t, { backup: 'none' }, healthy(), 'backup: expected none, manager n1 has n2');
  holds(t, { backup: 'none' }, healthy({ n1: { backup: null } }));
  fails(t, { epoch: 2 }, healthy(), 'epoch: expected 2, manager n1 has 1');
  fails(t, { seq: 6 }, healthy(), 'seq: expected 6, manager n1 has 5');
  fails(t, { members: 3 }, healthy({ n1: { status: 'killed' } }), /members: expected 3, but there is no agreed manager \(no live node is manager\)/);
});

test('members counts a killed node until its removal commits', (t) => {
  const view = healthy({ n3: { status: 'killed' } });
  holds(t, { members: 3, roles: { n3: 'down' } }, view);
  const removed = db(6, ['n1', 'n2']);
  holds(t, { members: 2 }, healthy({ n1: { db: removed, members: ['n1', 'n2'], committedSeq: 6 }, n3: { status: 'killed' } }));
});

test('roles: joining, isolated and down', (t) => {
  const view = healthy({ n3: { role: 'joining', manager: null }, n4: { status: 'stopped', role: 'client' } });
  holds(t, { roles: { n1: 'manager', n2: 'backup', n3: 'joining', n4: 'down' } }, view);
  fails(t, { roles: { n3: 'client' } }, view, 'roles: expected n3 client, it is joining');
  fails(t, { roles: { n4: 'client' } }, view, 'roles: expected n4 client, it is down');
  // A node not started yet is down too.
  holds(t, { roles: { n9: 'down' } }, view);
});

test('converged: same committed seq and same database on every live non-isolated node', (t) => {
  holds(t, { converged: true });
  fails(t, { converged: true }, healthy({ n3: { committedSeq: 4 } }), 'converged: expected one committed seq, n1, n2 at seq 5; n3 at seq 4');
  fails(t, { converged: true }, healthy({ n3: { db: db(5, ['n1', 'n2', 'n3'], { x: 1 }) } }), "converged: same seq 5, but the database of n3 differs from n1's");
  // Killed and isolated nodes do not count; a joining node at seq 0 does.
  holds(t, { converged: true }, healthy({ n3: { status: 'killed', committedSeq: 2 } }));
  holds(t, { converged: true }, healthy({ n3: { isolated: true, committedSeq: 2 } }));
  fails(t, { converged: true }, healthy({ n3: { role: 'joining', committedSeq: 0, db: null } }), /n3 at seq 0/);
});

test('db: the dotted path under data deep-equals on every live non-isolated node', (t) => {
  const d = db(5, ['n1', 'n2', 'n3'], { config: { color: 'blue', sizes: [1, 2] } });
  const view = healthy({ n1: { db: d }, n2: { db: d }, n3: { db: d } });
  holds(t, { db: { 'config.color': 'blue', config: { color: 'blue', sizes: [1, 2] }, 'config.sizes': [1, 2] } }, view);
  holds(t, { db: { 'config.missing': null, 'nope.deeper': null } }, view);
  const stale = healthy({ n1: { db: d }, n2: { db: d }, n3: { db: db(5, ['n1', 'n2', 'n3'], { config: { color: 'red' } }) } });
  fails(t, { db: { 'config.color': 'blue' } }, stale, 'db: expected config.color = "blue", n3 has "red"');
  fails(t, { db: { 'config.sizes': [2, 1] } }, view, /db: expected config.sizes = \[2,1\], n1 has \[1,2\], n2 has \[1,2\], n3 has \[1,2\]/);
});

test('group: committed members on every live non-isolated node, in any order', (t) => {
  const d = db(5, ['n1', 'n2', 'n3'], {}, { workers: ['p1@n1', 'p2@n2'] });
  const view = healthy({ n1: { db: d, groups: { workers: ['p1@n1', 'p2@n2'] } }, n2: { groups: { workers: ['p2@n2', 'p1@n1'] } }, n3: { groups: { workers: ['p1@n1', 'p2@n2'] } } });
  holds(t, { group: { name: 'workers', members: ['p2@n2', 'p1@n1'] } }, view);
  holds(t, { group: { name: 'empty', members: [] } }, view);
  const lagging = healthy({ n1: { groups: { workers: ['p1@n1', 'p2@n2'] } }, n2: { groups: { workers: ['p1@n1', 'p2@n2'] } }, n3: { groups: { workers: ['p1@n1'] } } });
  fails(t, { group: { name: 'workers', members: ['p1@n1', 'p2@n2'] } }, lagging, 'group: expected workers = [p1@n1, p2@n2], n3 has [p1@n1]');
});

test('delivered: messages of the group delivered to that member', (t) => {
  const view = healthy({ n2: { delivered: { workers: { 'p2@n2': 3 } } } });
  holds(t, { delivered: { group: 'workers', member: 'p2@n2', count: 3 } }, view);
  fails(t, { delivered: { group: 'workers', member: 'p2@n2', count: 4 } }, view, 'delivered: expected 4 messages of group workers delivered to p2@n2, got 3');
  holds(t, { delivered: { group: 'other', member: 'p9@n3', count: 0 } }, view);
});

test('failoverMs: the last failover within max', (t) => {
  holds(t, { failoverMs: { max: 500 } }, healthy({}, 310));
  fails(t, { failoverMs: { max: 300 } }, healthy({}, 310), 'failoverMs: expected at most 300 ms, the last failover took 310 ms');
  fails(t, { failoverMs: { max: 300 } }, healthy(), 'failoverMs: expected at most 300 ms, no failover was measured');
});

test('logLength: min and max on one node', (t) => {
  const view = healthy({ n3: { logLength: 7 } });
  holds(t, { logLength: { node: 'n3', min: 7, max: 7 } }, view);
  fails(t, { logLength: { node: 'n3', min: 8 } }, view, 'logLength: expected n3 to hold at least 8 records, it holds 7');
  fails(t, { logLength: { node: 'n3', max: 6 } }, view, 'logLength: expected n3 to hold at most 6 records, it holds 7');
});

test('all keys must hold at once; every failure is reported', (t) => {
  const r = evaluateConditions({ manager: 'n2', seq: 9, converged: true }, healthy({ n3: { committedSeq: 4 } }));
  t.false(r.ok);
  t.is(r.failures.length, 3);
  t.deepEqual(
    r.failures.map((f) => f.split(':')[0]),
    ['manager', 'seq', 'converged'],
  );
  t.true(evaluateConditions({}, healthy()).ok);
  t.truthy(node('x'));
});
