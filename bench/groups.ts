/**
 * Process-group messaging (process-groups issue) over NATS loopback: 5 nodes, one group of
 * 10 members (2 processes per node), all nodes in this process, one NATS connection each.
 *  - `send`: one publish on the group subject per message; a message counts once every one
 *    of the 10 members has it. The sender keeps at most WINDOW messages ahead of the slowest
 *    member (flow control of the bench, not of glup). Losses are reported (send is not retried).
 *  - `broadcastOrdered`: a GLUP update per message; 1 and 64 in flight; counts messages
 *    delivered to all 10 members, and checks that every member saw the same order.
 * The sender is a member on a client node (neither manager nor backup).
 *
 * `npx tsx bench/groups.ts` writes bench/results/groups.json.
 */
import { performance } from 'node:perf_hooks';
import type { GroupHandle } from '../src/actors/types.js';
import { startNatsServer } from '../test/helpers/natsServer.js';
import { natsCluster, type NatsCluster } from './glup.js';
import { isMain, latencySummary, round, writeBenchResults } from './run.js';

const NODES = 5;
const PROCESSES_PER_NODE = 2;
const CELL_MS = 3_000;
const WINDOW = 2_000;
const GROUP = 'workers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const yieldToIo = () => new Promise((r) => setImmediate(r));

interface Member {
  id: string;
  handle: GroupHandle;
  /** Messages received, in arrival order, per kind. */
  received: { all: number[]; ordered: string[] };
}

async function joinMembers(c: NatsCluster): Promise<Member[]> {
  const members: Member[] = [];
  for (const node of c.nodes) {
    for (let p = 1; p <= PROCESSES_PER_NODE; p++) {
      const received: Member['received'] = { all: [], ordered: [] };
      const handle = await node.joinGroup(GROUP, `p${p}`, {
        onMessage: (msg) => {
          const m = msg as { kind: 'all' | 'ordered'; i: number; w?: number };
          if (m.kind === 'all') received.all.push(m.i);
          else received.ordered.push(`${m.w}:${m.i}`);
        },
      });
      members.push({ id: handle.memberId, handle, received });
    }
  }
  // every node's view must hold all 10 before messages count
  const total = NODES * PROCESSES_PER_NODE;
  const deadline = Date.now() + 10_000;
  while (!c.nodes.every((n) => Object.keys(n.db.groups[GROUP]?.members ?? {}).length === total)) {
    if (Date.now() > deadline) throw new Error(`group ${GROUP} did not reach ${total} members on every node`);
    await sleep(5);
  }
  return members;
}

async function measureSend(sender: GroupHandle, members: Member[]) {
  const delivered = () => Math.min(...members.map((m) => m.received.all.length));
  let sent = 0;
  const startedAt = performance.now();
  while (performance.now() - startedAt < CELL_MS) {
    if (sent - delivered() >= WINDOW) {
      await sleep(1);
      continue;
    }
    for (let k = 0; k < 100; k++) sender.send({ kind: 'all', i: sent++ });
    await yieldToIo();
  }
  const sendingSeconds = (performance.now() - startedAt) / 1000;
  // drain: wait for what was sent, up to 2 s of silence
  let last = -1;
  let quietSince = performance.now();
  while (delivered() < sent && performance.now() - quietSince < 2_000) {
    if (delivered() !== last) {
      last = delivered();
      quietSince = performance.now();
    }
    await sleep(5);
  }
  const seconds = (performance.now() - startedAt) / 1000;
  const deliveredToAll = delivered();
  const inOrder = members.every((m) => m.received.all.every((v, idx) => idx === 0 || v > m.received.all[idx - 1]!));
  return {
    sent,
    deliveredToAll,
    lostAtSomeMember: sent - deliveredToAll,
    sendingSeconds: round(sendingSeconds),
    seconds: round(seconds),
    messagesPerSecond: Math.round(deliveredToAll / seconds),
    memberDeliveriesPerSecond: Math.round((deliveredToAll * members.length) / seconds),
    fifoPerMember: inOrder,
  };
}

async function measureOrdered(sender: GroupHandle, members: Member[], inFlight: number) {
  for (const m of members) m.received.ordered.length = 0;
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  let stop = false;
  const loop = async (w: number) => {
    for (let i = 0; !stop; i++) {
      const t0 = performance.now();
      try {
        await sender.broadcastOrdered({ kind: 'ordered', w, i });
        latencies.push(performance.now() - t0);
      } catch (e) {
        const code = (e as { code?: string }).code ?? String(e);
        errors.set(code, (errors.get(code) ?? 0) + 1);
      }
    }
  };
  const startedAt = performance.now();
  const loops = Array.from({ length: inFlight }, (_, w) => loop(w));
  await sleep(CELL_MS);
  stop = true;
  await Promise.all(loops);
  const committed = latencies.length;
  // commits reach the other nodes with the next commit notice or heartbeat
  const deadline = performance.now() + 2_000;
  while (members.some((m) => m.received.ordered.length < committed) && performance.now() < deadline) await sleep(5);
  const seconds = (performance.now() - startedAt) / 1000;
  const deliveredToAll = Math.min(...members.map((m) => m.received.ordered.length));
  const reference = members[0]!.received.ordered.slice(0, deliveredToAll).join(',');
  return {
    inFlight,
    committed,
    deliveredToAll,
    seconds: round(seconds),
    messagesPerSecond: Math.round(deliveredToAll / seconds),
    latency: latencySummary(latencies),
    sameOrderAtEveryMember: members.every((m) => m.received.ordered.slice(0, deliveredToAll).join(',') === reference),
    errors: Object.fromEntries(errors),
  };
}

export async function benchGroups(): Promise<object> {
  const server = await startNatsServer();
  try {
    const c = await natsCluster(server.url, 'groups', NODES, { glup: 'multicast' });
    try {
      const members = await joinMembers(c);
      const client = c.client();
      const sender = members.find((m) => m.id === `p1@${client.id}`)!.handle;
      const send = await measureSend(sender, members);
      console.error(`send: ${send.messagesPerSecond} msgs/s to all 10 (${send.lostAtSomeMember} lost)`);
      const ordered1 = await measureOrdered(sender, members, 1);
      console.error(`broadcastOrdered x1: ${ordered1.messagesPerSecond} msgs/s`);
      const ordered64 = await measureOrdered(sender, members, 64);
      console.error(`broadcastOrdered x64: ${ordered64.messagesPerSecond} msgs/s`);
      return {
        settings: { nodes: NODES, members: members.length, group: GROUP, glup: 'multicast', heartbeatMs: 100, store: 'memoryStore', cellMs: CELL_MS, sendWindow: WINDOW, sender: sender.memberId },
        send,
        broadcastOrdered: [ordered1, ordered64],
        notes:
          'NATS loopback (nats-server 2.9.10 on 127.0.0.1), 5 nodes in one Node process with one connection each, 2-core machine shared with other work. ' +
          'messagesPerSecond counts messages delivered to all 10 members (min over members) over the whole cell including the drain. ' +
          'send: sender pauses while 2000 messages are ahead of the slowest member. broadcastOrdered: latency is submit → committed on the sender\'s node.',
      };
    } finally {
      await c.stop();
    }
  } finally {
    await server.stop();
  }
}

if (isMain(import.meta.url)) {
  writeBenchResults('groups', await benchGroups());
  process.exit(0);
}
