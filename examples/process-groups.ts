/**
 * Process groups: two processes on different nodes join the group "workers"; messages go
 * to every member (send), to one member picked by key (sendToOne), or to every member in
 * the GLUP commit order (broadcastOrdered, which waits for the commit).
 * Run: npx tsx examples/process-groups.ts (the asserts make it exit non-zero if glup misbehaves)
 */
import assert from 'node:assert/strict';
import { createNode, memoryNetwork, memoryStore } from '../src/index.js';

const net = memoryNetwork({ seed: 1, virtualTime: true });
const ids = ['n1', 'n2', 'n3'];
const nodes = ids.map((id) =>
  createNode({ cluster: 'groups-demo', id, transport: net.transport(id), store: memoryStore(), heartbeatMs: 100, initialMembers: ids }),
);
const [n1, n2, n3] = nodes;
await net.settle(Promise.all(nodes.map((n) => n.start())), { timeoutMs: 5000 });

const received: string[] = [];
const onMessage = (who: string) => (msg: unknown, from: string) => received.push(`${who} got ${JSON.stringify(msg)} from ${from}`);

// joinGroup resolves once the join is committed; onView reports each new group view.
const a = await net.settle(
  n1.joinGroup('workers', 'pA', {
    onMessage: onMessage('pA'),
    onView: (v) => console.log(`pA sees view ${v.view}: [${v.members.join(', ')}]`),
  }),
  { timeoutMs: 2000 },
);
const b = await net.settle(n2.joinGroup('workers', 'pB', { onMessage: onMessage('pB') }), { timeoutMs: 2000 });
console.log(`members: ${a.memberId}, ${b.memberId}`);

a.send({ hello: 'all' }); // every member, including the sender
a.sendToOne({ job: 42 }, 'job-42'); // one member, picked by the key
await net.settle(b.broadcastOrdered({ step: 1 }), { timeoutMs: 2000 }); // committed through GLUP
await net.settle(n3.send('workers', { from: 'a node outside the group' }), { timeoutMs: 2000 });
await net.advance(100); // let in-flight messages arrive

for (const line of received) console.log(line);
const receivers = (msg: unknown) => received.filter((l) => l.includes(` got ${JSON.stringify(msg)} from `)).length;
assert.equal(receivers({ hello: 'all' }), 2, 'send reaches every member');
assert.equal(receivers({ job: 42 }), 1, 'sendToOne reaches exactly one member');
assert.equal(receivers({ step: 1 }), 2, 'broadcastOrdered reaches every member');
assert.equal(receivers({ from: 'a node outside the group' }), 2, 'node.send reaches every member');

await net.settle(b.leave(), { timeoutMs: 2000 });
await net.advance(100);
await net.settle(Promise.all(nodes.map((n) => n.leave())), { timeoutMs: 5000 });
assert.ok(nodes.every((n) => n.role === 'stopped'));
console.log('done');
