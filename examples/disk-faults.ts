/**
 * Disk faults on purpose: the manager's store fills up. The manager stops at once (a store
 * failure is a node failure: it acks and promises nothing more) and its backup takes over;
 * updates go on committing on the others; once space is freed, a new node on the same store
 * rejoins and catches up (`glup node` does this by itself, probing its data directory).
 * Run: npx tsx examples/disk-faults.ts (the asserts make it exit non-zero if glup misbehaves)
 */
import assert from 'node:assert/strict';
import { createNode, faultyStore, memoryNetwork, memoryStore, monitoredStore } from '../src/index.js';

const net = memoryNetwork({ seed: 1, virtualTime: true });
const ids = ['n1', 'n2', 'n3'];
// n1's "disk": 4 KiB, then every write fails with ENOSPC until heal()
const disk = faultyStore(memoryStore(), { failAfterBytes: 4096 });
const stores = { n1: monitoredStore(disk), n2: memoryStore(), n3: memoryStore() };
const nodeOn = (id: 'n1' | 'n2' | 'n3') =>
  createNode({
    cluster: 'disk',
    id,
    priority: id === 'n1' ? 3 : id === 'n2' ? 2 : 1,
    transport: net.transport(id),
    store: stores[id],
    heartbeatMs: 100,
    initialMembers: ids,
  });
let n1 = nodeOn('n1');
const n2 = nodeOn('n2');
const n3 = nodeOn('n3');
n1.on('store', (s) => console.log(`t=${net.now().toFixed(0)}ms n1 store ${s.state}${s.state === 'failing' ? `: ${s.fault?.code} on ${s.fault?.op}` : ''}`));
for (const n of [n1, n2, n3]) n.on('role', (r) => console.log(`t=${net.now().toFixed(0)}ms ${n.id} -> ${r}`));

await net.settle(Promise.all([n1, n2, n3].map((n) => n.start({ timeoutMs: 5000 }))), { timeoutMs: 5000 });
assert.equal(n1.role, 'manager');

// updates until the manager's disk is full: n1 steps down, n2 (its backup) takes over
let i = 0;
while ((n1.role as string) !== 'stopped') {
  await net.settle(n3.update({ set: { path: `k${++i}`, value: 'x'.repeat(64) } }).catch(() => undefined), { timeoutMs: 5000 });
}
assert.equal(n1.storeHealth.state, 'failing');
await net.runUntil(() => n2.role === 'manager', { timeoutMs: 5000 });
console.log(`t=${net.now().toFixed(0)}ms n2 manages after n1's disk filled (${i} updates in)`);
const { seq } = await net.settle(n3.update({ set: { path: 'after', value: true } }), { timeoutMs: 5000 });
console.log(`an update commits without n1: seq ${seq}`);

// space freed: a node on the same store rejoins and catches up
disk.heal();
n1 = nodeOn('n1');
await net.settle(n1.start({ timeoutMs: 10_000 }), { timeoutMs: 10_000 });
await net.runUntil(() => n1.committedSeq >= seq, { timeoutMs: 5000 });
console.log(`t=${net.now().toFixed(0)}ms n1 is ${n1.role} again, at seq ${n1.committedSeq}`);
assert.equal(n1.db.data.after, true);
assert.equal(n2.role, 'manager', 'a live manager is not replaced by a better node rejoining');

await net.settle(Promise.all([n1, n2, n3].map((n) => n.leave())), { timeoutMs: 5000 });
console.log('done');
