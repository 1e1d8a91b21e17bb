/**
 * createNode({ inspect }) (SPEC 11): one XState inspection observer sees every actor of the
 * node — the node chart, its coordinator (on the manager) and its process groups.
 */
import test from 'ava';
import type { InspectionEvent } from 'xstate';
import { createNode, memoryNetwork, memoryStore } from '../../src/index.js';

test('an observer given to createNode({ inspect }) sees the node, coordinator and process-group actors', async (t) => {
  const net = memoryNetwork({ seed: 1, virtualTime: true });
  const ids = ['n1', 'n2', 'n3'];
  const seen = new Set<string>();
  const inspect = (e: InspectionEvent) => {
    // which machine the actor runs: its logic's id
    if (e.type === '@xstate.snapshot') seen.add(String((e.actorRef as unknown as { logic: { id?: string } }).logic.id));
  };
  const nodes = ids.map((id, i) =>
    createNode({ cluster: 'obs', id, priority: 3 - i, transport: net.transport(id), store: memoryStore(), heartbeatMs: 100, initialMembers: ids, ...(id === 'n1' && { inspect }) }),
  );
  await net.settle(Promise.all(nodes.map((n) => n.start({ timeoutMs: 5000 }))), { timeoutMs: 5000 });
  t.is(nodes[0]!.role, 'manager');
  await net.settle(nodes[0]!.joinGroup('workers', 'p1'), { timeoutMs: 5000 });
  for (const actor of ['node', 'coordinator', 'liveness', 'processGroup']) t.true(seen.has(actor), `saw ${actor}; all seen: ${[...seen].join(', ')}`);
  for (const n of nodes) await n.kill();
});
