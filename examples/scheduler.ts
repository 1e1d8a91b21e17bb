/**
 * Hosted actors, singleton (docs/actors.md): one job scheduler for the whole cluster, an
 * XState machine that lives on the manager. A switchover hands it to the new manager, and
 * when that manager crashes it is re-activated on the next one, with its queue intact.
 * Run: npx tsx examples/scheduler.ts (the asserts make it exit non-zero if glup misbehaves)
 */
import assert from 'node:assert/strict';
import { assign, setup } from 'xstate';
import { createNode, memoryNetwork, memoryStore } from '../src/index.js';

const schedulerMachine = setup({
  types: {
    context: {} as { queue: string[]; started: string[] },
    events: {} as { type: 'SCHEDULE'; job: string } | { type: 'START_NEXT' } | { type: 'GET' },
  },
}).createMachine({
  id: 'scheduler',
  context: { queue: [], started: [] },
  on: {
    SCHEDULE: { actions: assign(({ context, event }) => ({ queue: [...context.queue, event.job] })) },
    START_NEXT: {
      guard: ({ context }) => context.queue.length > 0,
      actions: assign(({ context }) => ({ queue: context.queue.slice(1), started: [...context.started, context.queue[0]!] })),
    },
    GET: {},
  },
});

const net = memoryNetwork({ seed: 2, virtualTime: true });
const ids = ['n1', 'n2', 'n3'];
const nodes = ids.map((id, i) =>
  createNode({ cluster: 'jobs', id, priority: ids.length - i, transport: net.transport(id), store: memoryStore(), heartbeatMs: 100, missedHeartbeats: 3, initialMembers: ids }),
);
for (const node of nodes) node.actors.define('scheduler', schedulerMachine, { placement: 'singleton' });
await net.settle(Promise.all(nodes.map((n) => n.start({ timeoutMs: 5000 }))), { timeoutMs: 5000 });
const byId = (id: string) => nodes.find((n) => n.id === id)!;
const hostOfScheduler = () => nodes.find((n) => n.actors.list().some((a) => a.type === 'scheduler'))?.id;
// a singleton's key is 'default'; ask from any node
const ask = (from: string, event: { type: string; job?: string }) =>
  net.settle(byId(from).actors.ref('scheduler').ask(event), { timeoutMs: 5000 });

for (const job of ['backup-db', 'rotate-logs', 'send-report']) await ask('n3', { type: 'SCHEDULE', job });
await ask('n2', { type: 'START_NEXT' });
console.log(`scheduler on ${hostOfScheduler()} (manager ${byId('n3').manager})`);
assert.equal(hostOfScheduler(), byId('n3').manager);

// switchover: the manager role moves, and the scheduler with it (its new host activates it at once)
await net.settle(byId('n1').switchover('n2'), { timeoutMs: 5000 });
await net.runUntil(() => hostOfScheduler() === 'n2', { timeoutMs: 2000 });
let s = await ask('n3', { type: 'START_NEXT' });
console.log(`after the switchover, on ${hostOfScheduler()}:`, s.context);
assert.deepEqual(s.context, { queue: ['send-report'], started: ['backup-db', 'rotate-logs'] });

// failover: the manager crashes; the next manager re-activates the scheduler from its committed state
await byId('n2').kill();
s = await ask('n3', { type: 'SCHEDULE', job: 'reindex' });
console.log(`after n2 crashed, on ${hostOfScheduler()}:`, s.context);
assert.equal(hostOfScheduler(), 'n1');
assert.deepEqual(s.context, { queue: ['send-report', 'reindex'], started: ['backup-db', 'rotate-logs'] }, 'nothing acknowledged was lost');

await net.settle(Promise.all([byId('n1').leave(), byId('n3').leave()]), { timeoutMs: 5000 });
console.log('done');
