// A program as a user writes it after `npm install glup`: plain ESM, no TypeScript, no tsx.
// test/package/pack.test.ts copies it into a fresh project that holds only the installed
// tarball and runs it with `node`. Every step asserts; any failure exits non-zero.
// It exercises SPEC section 11 on three nodes with virtual time: update, cas (and
// CAS_FAILED), process groups, hosted actors, a crash of the manager and the failover.
import assert from 'node:assert/strict';
import { createNode, memoryNetwork, memoryStore, GlupError } from 'glup';
import { assign, setup } from 'xstate';

const net = memoryNetwork({ seed: 1, virtualTime: true });
const ids = ['n1', 'n2', 'n3'];
const nodes = ids.map((id, i) =>
  createNode({
    cluster: 'pkg', id, priority: ids.length - i, transport: net.transport(id), store: memoryStore(),
    heartbeatMs: 100, missedHeartbeats: 3, initialMembers: ids,
  }),
);
const [n1, n2, n3] = nodes;
const within = (promise, timeoutMs = 5000) => net.settle(promise, { timeoutMs });

await within(Promise.all(nodes.map((n) => n.start({ timeoutMs: 5000 }))));
assert.equal(nodes.filter((n) => n.role === 'manager').length, 1, 'one manager after start');
console.log(`started: manager ${n1.manager}, backup ${n1.backup}, epoch ${n1.epoch}`);

// update: committed and read back (read your writes at the submitter).
const { seq } = await within(n3.update({ set: { path: 'config.color', value: 'blue' } }));
assert.deepEqual(n3.db.data.config, { color: 'blue' });

// cas: the first claim wins, the second is refused with CAS_FAILED and changes nothing.
await within(n2.update({ cas: { path: 'lock.owner', expect: null, value: 'n2' } }));
const refused = await within(n3.update({ cas: { path: 'lock.owner', expect: null, value: 'n3' } })).then(
  () => null,
  (err) => err,
);
assert.ok(refused instanceof GlupError, `cas on a taken lock must reject with a GlupError, got ${refused}`);
assert.equal(refused.code, 'CAS_FAILED');
await net.runUntil(() => nodes.every((n) => n.db.data.lock?.owner === 'n2'), { timeoutMs: 2000 });
console.log(`update seq ${seq}; cas: n2 holds the lock, n3 got ${refused.code}`);

// Process groups: two members; a send from a node outside the group reaches both.
const received = [];
const onMessage = (who) => (msg) => received.push(`${who}:${msg.text}`);
const a = await within(n1.joinGroup('workers', 'pA', { onMessage: onMessage('pA') }));
await within(n2.joinGroup('workers', 'pB', { onMessage: onMessage('pB') }));
await within(n3.send('workers', { text: 'hello' }, { mode: 'all' }));
a.send({ text: 'from-pA' });
await net.runUntil(() => received.length === 4, { timeoutMs: 2000 });
assert.deepEqual([...received].sort(), ['pA:from-pA', 'pA:hello', 'pB:from-pA', 'pB:hello']);
console.log(`group messages: ${received.length}`);

// Hosted actors: an XState machine (xstate comes with glup) run by the cluster, sharded by
// key and as a singleton; asks resolve once the new state is committed.
const counter = setup({ types: { context: {} }, }).createMachine({
  context: { count: 0 },
  on: { INC: { actions: assign(({ context }) => ({ count: context.count + 1 })) } },
});
for (const n of nodes) {
  n.actors.define('counter', counter, { placement: 'sharded' });
  n.actors.define('sched', counter, { placement: 'singleton' });
}
const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
for (const key of keys) {
  for (let i = 0; i < 2; i++) await within(nodes[i].actors.ref('counter', key).ask({ type: 'INC' }));
}
await within(n3.actors.ref('sched').ask({ type: 'INC' }));
const onManager = nodes.find((n) => n.role === 'manager').actors.list().map((x) => `${x.type}/${x.key}`);
assert.ok(onManager.includes('sched/default'), `the singleton lives on the manager: ${onManager}`);
const movedKey = keys.find((k) => onManager.includes(`counter/${k}`));
console.log(`actors on the manager: ${onManager.join(', ')}`);
const unknown = await within(n2.actors.ref('nosuch', 'x').ask({ type: 'INC' }, { timeoutMs: 500 })).then(() => null, (err) => err);
assert.equal(unknown?.code, 'UNKNOWN_ACTOR');

// Crash the manager: the backup takes over with the committed data, and updates go on.
const manager = nodes.find((n) => n.role === 'manager');
const epochBefore = manager.epoch;
await manager.kill();
const survivors = nodes.filter((n) => n !== manager);
await net.runUntil(() => survivors.some((n) => n.role === 'manager') && survivors.some((n) => n.role === 'backup'), {
  timeoutMs: 5000,
});
const next = survivors.find((n) => n.role === 'manager');
assert.ok(next.epoch > epochBefore, `the new manager's epoch ${next.epoch} must exceed ${epochBefore}`);
assert.deepEqual(next.db.data.config, { color: 'blue' });
const after = await within(survivors[1].update({ set: { path: 'config.size', value: 3 } }));
assert.equal(after.epoch, next.epoch);
console.log(`failover: ${manager.id} killed, ${next.id} manager in epoch ${next.epoch}`);

// Both kinds of actor kept their committed state on their new hosts.
const sched = await within(survivors[1].actors.ref('sched').ask({ type: 'INC' }));
assert.equal(sched.context.count, 2, 'the singleton kept its count across the failover');
assert.ok(next.actors.list().some((x) => x.type === 'sched'), 'the singleton moved to the new manager');
for (const key of keys) {
  const r = await within(survivors[0].actors.ref('counter', key).ask({ type: 'INC' }));
  assert.equal(r.context.count, 3, `counter ${key} kept its two acknowledged INCs`);
}
console.log(`actors after the failover: sched ${sched.context.count}, ${movedKey ? `counter/${movedKey} moved off ${manager.id}` : 'no counter was on the manager'}`);

await within(Promise.all(survivors.map((n) => n.leave())));
console.log('consumer ok');
