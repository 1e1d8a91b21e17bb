/**
 * broadcastOrdered (SPEC 7): messages sent through GLUP from several senders at once,
 * under reordering and duplication, reach every member of the group exactly once and in
 * the same order — the order of their seqs in the committed log.
 */
import test, { type ExecutionContext } from 'ava';
import { startNatsServer, type NatsServer } from '../helpers/natsServer.js';
import { memoryCluster, natsCluster, type ProtocolCluster } from '../helpers/protocolCluster.js';
import type { GroupHandle } from '../../src/actors/types.js';

const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
const perSender = 6;

async function orderedBroadcastsArriveInOneOrder(t: ExecutionContext, c: ProtocolCluster, faults: boolean): Promise<void> {
  await c.startAll();
  const received = new Map<string, string[]>();
  const handles = new Map<string, GroupHandle>();
  // one member per node, and a second one on n2 (two local members get the same order too)
  const joins = [...ids.map((id) => [id, 'w'] as const), ['n2', 'extra'] as const].map(async ([id, process]) => {
    const list: string[] = [];
    const h = await c.node(id).joinGroup('room', process, { onMessage: (msg) => list.push(String(msg)) });
    received.set(h.memberId, list);
    handles.set(h.memberId, h);
  });
  await c.settle(Promise.all(joins), 10_000);
  if (faults) c.faults.set({ delayMs: [0, 30], duplicate: 0.3 });
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < perSender; i++) {
    for (const sender of ['w@n1', 'w@n3', 'w@n5']) sends.push(handles.get(sender)!.broadcastOrdered(`${sender}#${i}`));
    // from a node through node.send, member or not
    sends.push(c.node('n4').send('room', `n4-send#${i}`, { mode: 'ordered' }));
  }
  await c.settle(Promise.all(sends), 20_000);
  c.faults.clear();
  const total = perSender * 4;
  await c.runUntil(() => c.converged() && [...received.values()].every((l) => l.length >= total), 10_000);

  const manager = c.managers()[0]!;
  const logOrder = manager.replica
    .range(1, manager.committedSeq)
    .filter((r) => 'groupMessage' in r.op)
    .map((r) => String((r.op as { groupMessage: { msg: unknown } }).groupMessage.msg));
  t.is(logOrder.length, total, 'every broadcast is in the log once');
  for (const [member, list] of received) t.deepEqual(list, logOrder, `${member} got every message once, in log order`);
}

for (let seed = 1; seed <= 6; seed++) {
  test(`memory seed ${seed}: ordered broadcasts from several senders arrive in one order at every member`, async (t) => {
    await orderedBroadcastsArriveInOneOrder(t, memoryCluster(ids, { seed }), false);
  });
}

for (let seed = 1; seed <= 6; seed++) {
  test(`memory seed ${seed}: under reorder and duplication, ordered broadcasts arrive once each in one order at every member`, async (t) => {
    await orderedBroadcastsArriveInOneOrder(t, memoryCluster(ids, { seed }), true);
  });
}

let server: NatsServer;
test.before(async () => {
  server = await startNatsServer();
});
test.after.always(async () => {
  await server?.stop();
});

test.serial('nats: ordered broadcasts from several senders arrive in one order at every member', async (t) => {
  const c = await natsCluster(ids, { servers: server.url });
  try {
    await orderedBroadcastsArriveInOneOrder(t, c, false);
  } finally {
    await c.close();
  }
});
