/**
 * Three nodes on the in-process bus with virtual time: start them, commit an update,
 * read the replicated database, crash the manager and watch the backup take over.
 * Run: npx tsx examples/embed.ts (the asserts make it exit non-zero if glup misbehaves)
 */
import assert from 'node:assert/strict';
import { createNode, memoryNetwork, memoryStore } from '../src/index.js';

const net = memoryNetwork({ seed: 1, virtualTime: true });
const ids = ['n1', 'n2', 'n3'];
const nodes = ids.map((id, i) =>
  createNode({
    cluster: 'demo',
    id,
    priority: ids.length - i, // n1 is preferred as manager, then n2
    transport: net.transport(id),
    store: memoryStore(),
    heartbeatMs: 100,
    missedHeartbeats: 3,
    initialMembers: ids,
  }),
);
const [n1, n2, n3] = nodes;

for (const node of nodes) node.on('role', (role) => console.log(`t=${net.now().toFixed(1)}ms ${node.id} -> ${role}`));

// Virtual time moves only inside settle/runUntil/advance.
await net.settle(Promise.all(nodes.map((n) => n.start({ timeoutMs: 5000 }))), { timeoutMs: 5000 });
console.log(`manager ${n1.manager}, backup ${n1.backup}, epoch ${n1.epoch}`);
assert.equal(nodes.filter((n) => n.role === 'manager').length, 1, 'exactly one manager');
assert.equal(nodes.filter((n) => n.role === 'backup').length, 1, 'exactly one backup');

// An update submitted at a client goes through the manager and is committed on every node.
const { seq, epoch } = await net.settle(n3.update({ set: { path: 'config.color', value: 'blue' } }), { timeoutMs: 2000 });
console.log(`committed seq ${seq} in epoch ${epoch}`);
// update() resolves once the submitter's own db holds the update (read your writes);
// the other members apply the commit notice moments later.
console.log('config on n3:', n3.db.data.config);
assert.deepEqual(n3.db.data.config, { color: 'blue' });
await net.runUntil(() => n2.committedSeq >= seq, { timeoutMs: 1000 });
console.log('config on n2:', n2.db.data.config);
assert.deepEqual(n2.db.data.config, { color: 'blue' });

// Crash the manager: no goodbye. The backup notices the missed heartbeats and takes over.
const manager = nodes.find((n) => n.role === 'manager')!;
const epochBefore = manager.epoch;
await manager.kill();
const survivors = nodes.filter((n) => n !== manager);
await net.runUntil(() => survivors.some((n) => n.role === 'manager') && survivors.some((n) => n.role === 'backup'), {
  timeoutMs: 5000,
});
const next = survivors.find((n) => n.role === 'manager')!;
console.log(`t=${net.now().toFixed(1)}ms new manager ${next.id}, backup ${next.backup}, epoch ${next.epoch}`);
console.log('config on the new manager:', next.db.data.config);
assert.ok(next.epoch > epochBefore, 'the takeover starts a new epoch');
assert.deepEqual(next.db.data.config, { color: 'blue' }, 'the committed update survives the crash');

await net.settle(Promise.all(survivors.map((n) => n.leave())), { timeoutMs: 5000 });
assert.ok(nodes.every((n) => n.role === 'stopped'));
console.log('done');
