/**
 * The inspection stream of a node: its actors' transitions and the protocol messages it
 * sends and receives, as plain data (what traces record and the dashboard draws). Three
 * nodes on the in-process bus with virtual time; the manager crashes and n2 takes over.
 * Run: npx tsx examples/inspect.ts
 */
import assert from 'node:assert/strict';
import { createNode, machines, memoryNetwork, memoryStore } from '../src/index.js';

const net = memoryNetwork({ seed: 1, virtualTime: true });
const ids = ['n1', 'n2', 'n3'];
const nodes = ids.map((id, i) =>
  createNode({ cluster: 'demo', id, priority: ids.length - i, transport: net.transport(id), store: memoryStore(), heartbeatMs: 100, initialMembers: ids }),
);
const [n1, n2] = nodes;
await net.settle(Promise.all(nodes.map((n) => n.start({ timeoutMs: 5000 }))), { timeoutMs: 5000 });

// Every event n2 sees from now on: transitions of its actors, messages it sends and receives.
const seen = { transitions: new Set<string>(), sent: new Set<string>() };
n2!.inspect((e) => {
  if (e.type === 'transition') seen.transitions.add(e.actor);
  if (e.type === 'message' && e.dir === 'send') seen.sent.add(e.msgType);
  const t = `t=${e.t.toFixed(1)}`;
  if (e.type === 'message') {
    if (e.msgType === 'heartbeat-ack') return; // the answers to every heartbeat: left out here
    console.log(`${t} ${e.dir === 'send' ? 'sent    ' : 'received'} ${e.msgType} ${e.from} -> ${e.to ?? 'all'} ${JSON.stringify(e.summary)}`);
  } else if (e.type === 'transition') {
    console.log(`${t} ${e.actor}: ${JSON.stringify(e.from)} -> ${JSON.stringify(e.to)} on ${e.event}`);
  }
});

await n1!.kill();
net.kill('n1');
await net.runUntil(() => n2!.role === 'manager', { timeoutMs: 2000 });
console.log(`n2 is ${n2!.role} of epoch ${n2!.epoch}; the machines glup runs: ${Object.keys(machines).join(', ')}`);
// what a user watches for: the takeover ballot ran, and n2 now beats as manager
assert.ok(seen.transitions.has('takeover') && seen.transitions.has('coordinator'), `transitions seen of: ${[...seen.transitions].join(', ')}`);
assert.ok(seen.sent.has('heartbeat') && seen.sent.has('update'), `sent: ${[...seen.sent].join(', ')}`);
for (const n of nodes) await n.kill();
console.log('done');
