import test from 'ava';
import { createNode, memoryNetwork, memoryStore } from '../../src/index.js';
import { serveInspectionFeed, type InspectionFeed } from '../../src/actors/inspectFeed.js';
import type { NodeRuntime } from '../../src/actors/runtime.js';
import type { Transport } from '../../src/bus/transport.js';
import { connectLive, type LivePoll } from '../../src/dashboard/live.js';
import type { StatusLine } from '../../src/dashboard/data.js';
import type { InspectionLine, MessageLine } from '../../src/scenario/trace.js';

/** The live dashboard's data path on the memory network: nodes' inspection feeds and status, as a tool gets them. */
function cluster(ids: string[], history?: number) {
  const net = memoryNetwork({ seed: 5, virtualTime: true });
  const transports = new Map<string, Transport>(ids.map((id) => [id, net.transport(id)]));
  const nodes = new Map<string, NodeRuntime>();
  const feeds = new Map<string, InspectionFeed>();
  for (const id of ids) {
    const node = createNode({ cluster: 'feed', id, transport: transports.get(id)!, store: memoryStore(), heartbeatMs: 50, initialMembers: ids });
    nodes.set(id, node);
    feeds.set(id, serveInspectionFeed(node, { transport: transports.get(id)!, ...(history !== undefined && { history }) }));
  }
  return {
    net,
    nodes,
    feeds,
    async start() {
      for (const n of nodes.values()) void n.start().catch(() => {});
      await net.runUntil(() => [...nodes.values()].every((n) => n.isMember()), { timeoutMs: 5000 });
    },
  };
}

const lastState = (p: LivePoll, node: string, actor: string) =>
  p.events.filter((e): e is InspectionLine => e.kind === 'transition' && e.node === node && e.actor === actor).at(-1)?.to;
const lastStatus = (p: LivePoll, node: string) => p.events.filter((e): e is StatusLine => e.kind === 'status' && e.node === node).at(-1);

test('a tool gets every node status, actor state, message and database; a killed manager turns unreachable', async (t) => {
  const c = cluster(['n1', 'n2', 'n3']);
  await c.start();
  const live = connectLive({ transport: c.net.transport('tool'), cluster: 'feed', as: 'tool', pollMs: 100, leaseMs: 3000 });
  const poll = () => live.poll(0, 0);
  await c.net.runUntil(() => ['n1', 'n2', 'n3'].every((id) => lastStatus(poll(), id) && lastState(poll(), id, 'node') !== undefined) && Object.keys(poll().dbs).length > 0, { timeoutMs: 5000 });
  const p = poll();
  for (const [id, node] of c.nodes) {
    t.deepEqual(lastState(p, id, 'node'), JSON.parse(node.status().state), `${id} node actor`);
    t.like(lastStatus(p, id), { role: node.role, epoch: node.epoch, committedSeq: node.committedSeq, reachable: true, down: false });
  }
  const messages = p.events.filter((e): e is MessageLine => e.kind === 'message');
  t.true(messages.some((m) => m.msgType === 'heartbeat' && m.dir === 'send'));
  t.true(messages.some((m) => m.msgType === 'heartbeat-ack' && m.dir === 'receive'));
  const seq = Math.max(...Object.keys(p.dbs).map(Number));
  t.is(p.dbs[seq]!.meta.seq, seq);
  t.deepEqual(p.dbs[seq]!.nodes, c.nodes.get('n1')!.db.nodes, 'the database as the nodes hold it');
  for (const feed of c.feeds.values()) t.deepEqual(feed.subscribers, ['tool']);

  // a cursor returns only what is new
  const again = live.poll(p.cursor, p.dbCursor);
  t.true(again.events.length < p.events.length);

  const manager = [...c.nodes.values()].find((n) => n.role === 'manager')!;
  await manager.kill();
  c.net.kill(manager.id);
  await c.net.runUntil(() => lastStatus(poll(), manager.id)?.reachable === false && [...c.nodes.values()].some((n) => n !== manager && n.role === 'manager'), { timeoutMs: 5000 });
  const successor = [...c.nodes.values()].find((n) => n !== manager && n.role === 'manager')!;
  const roleSeen = () => poll().events.some((e) => e.kind === 'role' && e.node === successor.id && e.role === 'manager');
  await c.net.runUntil(() => lastStatus(poll(), successor.id)?.role === 'manager' && lastStatus(poll(), manager.id)?.down === true && roleSeen(), { timeoutMs: 5000 });
  t.is(lastStatus(poll(), manager.id)!.reachable, false);

  // closing the tool ends the leases at once
  live.close();
  await c.net.advance(200);
  for (const [id, feed] of c.feeds) if (id !== manager.id) t.deepEqual(feed.subscribers, [], id);
  for (const n of c.nodes.values()) await n.kill();
});

test('a tool that comes late still learns the current state of every actor', async (t) => {
  // a history of 5 events: the transitions into the current states are long gone from it
  const c = cluster(['n1', 'n2', 'n3'], 5);
  await c.start();
  await c.net.advance(500);
  const live = connectLive({ transport: c.net.transport('late'), cluster: 'feed', as: 'late', pollMs: 100 });
  await c.net.runUntil(() => ['n1', 'n2', 'n3'].every((id) => lastState(live.poll(0, 0), id, 'node') !== undefined), { timeoutMs: 2000 });
  for (const [id, node] of c.nodes) t.deepEqual(lastState(live.poll(0, 0), id, 'node'), JSON.parse(node.status().state), id);
  live.close();
  for (const n of c.nodes.values()) await n.kill();
});

test('a feed with no tool sends nothing, and a lease runs out without renewal', async (t) => {
  const c = cluster(['n1', 'n2', 'n3']);
  await c.start();
  const sent = c.nodes.get('n1')!.metrics.messagesSent;
  const tool = c.net.transport('tool');
  const { createBus } = await import('../../src/bus/bus.js');
  const { subjects } = await import('../../src/bus/transport.js');
  const bus = createBus({ transport: tool, cluster: 'feed', node: 'tool' });
  let batches = 0;
  bus.subscribe(subjects.nodeAll('feed', 'tool'), (env) => void (env.type === 'inspect-feed' && batches++));
  await c.net.advance(300);
  t.is(batches, 0);
  bus.publish(subjects.admin('feed', 'tool'), 'inspect-request', { leaseMs: 400 }, { epoch: 0 });
  await c.net.runUntil(() => batches >= 3, { timeoutMs: 1000 });
  await c.net.advance(1000);
  const after = batches;
  await c.net.advance(1000);
  t.is(batches, after, 'no renewal, no more batches');
  for (const feed of c.feeds.values()) t.deepEqual(feed.subscribers, []);
  t.true(c.nodes.get('n1')!.metrics.messagesSent > sent, 'the node itself went on as usual');
  bus.close();
  for (const n of c.nodes.values()) await n.kill();
});
