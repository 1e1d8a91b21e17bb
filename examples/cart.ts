/**
 * Hosted actors, sharded (docs/actors.md): shopping carts as XState machines spread over
 * five nodes by their key. Items are added from several nodes, the node hosting one cart
 * is killed, and the cart comes back on another node with every acknowledged item.
 * Run: npx tsx examples/cart.ts (the asserts make it exit non-zero if glup misbehaves)
 */
import assert from 'node:assert/strict';
import { assign, setup } from 'xstate';
import { createNode, memoryNetwork, memoryStore } from '../src/index.js';

// An ordinary XState machine: glup runs it, persists it and moves it, but knows nothing of carts.
const cartMachine = setup({
  types: {
    context: {} as { items: string[] },
    events: {} as { type: 'ADD'; item: string } | { type: 'CHECKOUT' },
  },
}).createMachine({
  id: 'cart',
  context: { items: [] },
  initial: 'shopping',
  states: {
    shopping: {
      on: {
        ADD: { actions: assign(({ context, event }) => ({ items: [...context.items, event.item] })) },
        CHECKOUT: { target: 'checkedOut' },
      },
    },
    checkedOut: { type: 'final' },
  },
});

const net = memoryNetwork({ seed: 1, virtualTime: true });
const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
const nodes = ids.map((id) =>
  createNode({ cluster: 'shop', id, transport: net.transport(id), store: memoryStore(), heartbeatMs: 100, missedHeartbeats: 3, initialMembers: ids }),
);
// every node that may host carts defines the type, before or after start
for (const node of nodes) node.actors.define('cart', cartMachine, { placement: 'sharded', idleMs: 30_000 });
await net.settle(Promise.all(nodes.map((n) => n.start({ timeoutMs: 5000 }))), { timeoutMs: 5000 });

const [n1, n2, n3] = nodes;
// a ref works from any node; the first message activates the cart on the node its key hashes to
n1.actors.ref('cart', 'alice').send({ type: 'ADD', item: 'apple' }); // fire and forget, FIFO per sender
await net.settle(n2.actors.ref('cart', 'alice').ask({ type: 'ADD', item: 'pear' }), { timeoutMs: 2000 });
const before = await net.settle(n3.actors.ref('cart', 'alice').ask({ type: 'ADD', item: 'fig' }), { timeoutMs: 2000 });
console.log(`alice's cart at version ${before.version}:`, before.context);
assert.deepEqual((before.context as { items: string[] }).items.sort(), ['apple', 'fig', 'pear']);

// other carts land on other nodes: rendezvous hashing of the key over the nodes that defined the type
for (const user of ['bob', 'carol', 'dave', 'erin']) await net.settle(n1.actors.ref('cart', user).ask({ type: 'ADD', item: 'milk' }), { timeoutMs: 2000 });
for (const n of nodes) console.log(`${n.id} hosts`, n.actors.list().map((a) => a.key));

// kill the node that hosts alice's cart: no goodbye
const host = nodes.find((n) => n.actors.list().some((a) => a.key === 'alice'))!;
console.log(`killing ${host.id}, alice's host`);
await host.kill();
const asker = nodes.find((n) => n !== host)!;
// the ask waits while the cluster removes the dead node, then goes to the cart's new host,
// which re-activates it from the state committed in the cluster database
const after = await net.settle(asker.actors.ref('cart', 'alice').ask({ type: 'CHECKOUT' }), { timeoutMs: 5000 });
const newHost = nodes.find((n) => n.actors.list().some((a) => a.key === 'alice'));
console.log(`alice's cart on ${newHost?.id ?? '(stopped: final state)'}:`, after.value, after.context, after.status);
assert.equal(after.value, 'checkedOut');
assert.equal(after.status, 'done');
// what an ask answers is read-only (frozen): sort a copy
assert.deepEqual([...(after.context as { items: string[] }).items].sort(), ['apple', 'fig', 'pear'], 'every acknowledged item survived');

await net.settle(Promise.all(nodes.filter((n) => n !== host).map((n) => n.leave())), { timeoutMs: 5000 });
console.log('done');
