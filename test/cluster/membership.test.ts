import test from 'ava';
import { simCluster } from '../helpers/simCluster.js';
import { GlupError } from '../../src/errors.js';

test('seven nodes started at once end with one manager and the rule\'s backup', async (t) => {
  const c = simCluster(['n1', 'n2', 'n3', { id: 'n4', priority: 5 }, 'n5', { id: 'n6', priority: 5 }, 'n10']);
  await c.startAll();
  const managers = c.managers();
  t.is(managers.length, 1);
  t.is(managers[0]!.id, 'n4', 'highest priority, then smallest id');
  t.is(c.node('n1').db.meta.backup, 'n6');
  t.is(Object.keys(c.node('n1').db.nodes).length, 7);
  for (const n of c.nodes.values()) t.is(n.manager, 'n4');
  t.is(c.node('n4').epoch, 1, 'the first manager of a cluster has epoch 1');
});

test('nodes started one after another still elect in one round: the first manager has epoch 1', async (t) => {
  const c = simCluster(['n1', 'n2', 'n3', 'n4', 'n5']);
  // each node starts 50 ms after the previous one: the early ones never heard the late ones' start
  for (const n of c.nodes.values()) {
    void n.start().catch(() => {});
    await c.net.advance(50);
  }
  await c.net.runUntil(() => c.live().every((n) => n.isMember()), { timeoutMs: 5000 });
  t.is(c.managers().length, 1);
  t.is(c.managers()[0]!.epoch, 1);
});

test('backup takes over within (missed + 1) heartbeats of a manager crash', async (t) => {
  const c = simCluster(['n1', 'n2', 'n3', 'n4', 'n5']);
  await c.startAll();
  t.is(c.node('n1').role, 'manager');
  await c.net.settle(c.node('n3').update({ set: { path: 'config.color', value: 'blue' } }), { timeoutMs: 2000 });
  const killedAt = c.net.now();
  await c.node('n1').kill();
  await c.net.runUntil(() => c.node('n2').role === 'manager', { timeoutMs: 2000 });
  const failover = c.node('n2').lastTakeoverAt! - killedAt;
  t.true(failover <= 4 * 100 + 5, `failover took ${failover} ms`);
  await c.net.runUntil(() => c.converged() && Object.keys(c.node('n2').db.nodes).length === 4, { timeoutMs: 2000 });
  t.is(c.node('n2').db.meta.backup, 'n3');
  t.is(c.node('n2').epoch, 2);
  for (const n of c.live()) t.deepEqual(n.db.data, { config: { color: 'blue' } });
});

test('manager and backup lost together: the rest elect, unqualified nodes vote but never lead', async (t) => {
  const c = simCluster(['n1', 'n2', { id: 'n3', qualified: false }, 'n4', { id: 'n5', qualified: false }]);
  await c.startAll();
  t.is(c.node('n1').role, 'manager');
  t.is(c.node('n1').db.meta.backup, 'n2');
  await c.node('n1').kill();
  await c.node('n2').kill();
  // the election's first update changes roles only; the failure detector then removes the
  // two lost members one update at a time (SPEC section 3, membership changes)
  await c.net.runUntil(() => c.node('n4').role === 'manager' && c.converged() && Object.keys(c.node('n4').db.nodes).length === 3, { timeoutMs: 5000 });
  const db = c.node('n4').db;
  t.deepEqual(Object.keys(db.nodes).sort(), ['n3', 'n4', 'n5']);
  t.is(db.meta.backup, null, 'no qualified member is left for backup');
  t.is(c.node('n3').role, 'client');
  t.is(c.node('n5').role, 'client');
});

test('a broken link between backup and manager alone causes no failover', async (t) => {
  const c = simCluster(['n1', 'n2', 'n3', 'n4', 'n5']);
  await c.startAll();
  c.faults.set({ drop: 1, between: [['n1', 'n2']] });
  let twoManagers = false;
  await c.net.runUntil(() => {
    if (c.managers().filter((m) => m.role === 'manager').length > 1) twoManagers = true;
    return false;
  }, { timeoutMs: 2000 }).catch(() => {});
  t.false(twoManagers);
  t.is(c.node('n1').role, 'manager');
  t.is(c.node('n1').epoch, 1, 'no takeover happened');
});

test('a minority side goes isolated and answers NO_QUORUM; the majority elects; heal converges', async (t) => {
  const c = simCluster(['n1', 'n2', 'n3', 'n4', 'n5']);
  await c.startAll();
  await c.net.settle(c.node('n1').update({ set: { path: 'a', value: 1 } }), { timeoutMs: 1000 });
  c.faults.partition([['n1', 'n2'], ['n3', 'n4', 'n5']]);
  let overlap = false;
  await c.net.runUntil(
    () => {
      const active = c.managers().filter((m) => m.role === 'manager');
      if (active.length > 1) overlap = true;
      return c.node('n3').role === 'manager' && c.node('n1').role === 'isolated' && c.node('n2').role === 'isolated';
    },
    { timeoutMs: 5000 },
  );
  t.false(overlap, 'never two non-isolated managers');
  const err = await t.throwsAsync(c.node('n1').update({ set: { path: 'b', value: 2 } }));
  t.is((err as GlupError).code, 'NO_QUORUM');
  await c.net.settle(c.node('n4').update({ set: { path: 'c', value: 3 } }), { timeoutMs: 2000 });
  c.faults.heal();
  await c.net.runUntil(() => c.live().every((n) => n.isMember()) && c.converged() && Object.keys(c.node('n3').db.nodes).length === 5, { timeoutMs: 10000 });
  for (const n of c.live()) t.deepEqual(n.db.data, { a: 1, c: 3 });
  t.is(c.managers().length, 1);
});

test('a two-node cluster with quorum none fails over', async (t) => {
  const c = simCluster(['n1', 'n2'], { quorum: 'none' });
  await c.startAll();
  t.is(c.node('n1').role, 'manager');
  await c.node('n1').kill();
  await c.net.runUntil(() => c.node('n2').role === 'manager', { timeoutMs: 2000 });
  const r = await c.net.settle(c.node('n2').update({ set: { path: 'x', value: 1 } }), { timeoutMs: 2000 });
  t.is(r.epoch, 2);
});

test('a graceful leave of the manager hands over to the backup within one heartbeat', async (t) => {
  const c = simCluster(['n1', 'n2', 'n3']);
  await c.startAll();
  const at = c.net.now();
  await c.net.settle(c.node('n1').leave(), { timeoutMs: 3000 });
  await c.net.runUntil(() => c.node('n2').role === 'manager', { timeoutMs: 2000 });
  t.true(c.node('n2').lastTakeoverAt! - at <= 100 + 5);
  await c.net.runUntil(() => c.converged() && c.node('n2').db.meta.backup === 'n3', { timeoutMs: 2000 });
  t.deepEqual(Object.keys(c.node('n2').db.nodes).sort(), ['n2', 'n3']);
});

test('switchover hands the manager role to a chosen member', async (t) => {
  const c = simCluster(['n1', 'n2', 'n3']);
  await c.startAll();
  await c.net.settle(c.node('n1').switchover('n3'), { timeoutMs: 3000 });
  await c.net.runUntil(() => c.node('n3').role === 'manager' && c.converged(), { timeoutMs: 2000 });
  t.is(c.node('n1').role !== 'manager', true);
  t.is(c.node('n3').db.meta.manager, 'n3');
});

test('a member removed while alive rejoins with the same incarnation', async (t) => {
  const c = simCluster(['n1', 'n2', 'n3', 'n4']);
  await c.startAll();
  c.faults.partition([['n1', 'n2', 'n3'], ['n4']]);
  await c.net.runUntil(() => !('n4' in c.node('n1').db.nodes), { timeoutMs: 3000 });
  const incarnation = c.node('n4').replica.incarnation;
  c.faults.heal();
  await c.net.runUntil(() => 'n4' in c.node('n1').db.nodes && c.node('n4').isMember() && c.converged(), { timeoutMs: 5000 });
  t.is(c.node('n1').db.nodes.n4!.incarnation, incarnation);
  // and a second time: the same manager removes and re-adds it again
  c.faults.partition([['n1', 'n2', 'n3'], ['n4']]);
  await c.net.runUntil(() => !('n4' in c.node('n1').db.nodes), { timeoutMs: 3000 });
  c.faults.heal();
  await c.net.runUntil(() => 'n4' in c.node('n1').db.nodes && c.node('n4').isMember() && c.converged(), { timeoutMs: 5000 });
  t.is(c.node('n1').role, 'manager');
});
