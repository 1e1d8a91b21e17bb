/**
 * One epoch authority at the edge (SPEC sections 3 and 8): forged messages — an epoch that
 * is not a safe integer, a huge epoch from a node that is no member, a manager's or
 * candidate's message from an unqualified member — change nothing (epoch, roles, data) and
 * are counted in invalidMessages. On the memory network and on a real nats-server.
 */
import test, { type ExecutionContext } from 'ava';
import { encodeEnvelope, type Envelope } from '../../src/bus/envelope.js';
import { subjects, type Transport } from '../../src/bus/transport.js';
import type { NodeRuntime } from '../../src/actors/runtime.js';
import { startNatsServer, type NatsServer } from '../helpers/natsServer.js';
import { memoryCluster, natsCluster, type ProtocolCluster } from '../helpers/protocolCluster.js';

const ids = ['n1', 'n2', 'n3'];
const UNQUALIFIED = 'n3';
const HUGE = Number.MAX_SAFE_INTEGER;

const position = { lastSeq: 9, lastEpoch: 999, commitSeq: 9 };
const nodeFacts = (id: string, qualified = true) => ({ id, qualified, priority: 100, incarnation: 1 });

/** Each forged message: who it claims to come from, where it goes, what it says. */
function forgeries(cluster: string, targets: string[]): { subject: string; env: Omit<Envelope, 'v' | 'cluster' | 'ts' | 'id'> & { epoch: unknown } }[] {
  const out: { subject: string; env: Omit<Envelope, 'v' | 'cluster' | 'ts' | 'id'> & { epoch: unknown } }[] = [];
  // the subject ends with the claimed sender, as on an open nats-server anyone can publish: the
  // bus's sender check passes, so what is tested is the node's own edge
  const add = (where: (from: string) => string, from: string, type: Envelope['type'], epoch: unknown, body: unknown) => out.push({ subject: where(from), env: { from, type, epoch, body } as never });
  const heartbeat = { role: 'manager', commitSeq: 9, lastSeq: 9, membershipSeq: 0 };
  const record = { epoch: 999, seq: 9, origin: 'evil', id: 'forged', op: { set: { path: 'owned', value: true } }, patches: [{ op: 'add', path: ['data', 'owned'], value: true }], ts: 0 };
  for (const epoch of [HUGE, 999]) {
    // from a node that is no member, at a huge and at a merely higher epoch
    add((f) => subjects.heartbeat(cluster, f), 'evil', 'heartbeat', epoch, heartbeat);
    for (const n of targets) add((f) => subjects.node(cluster, n, f), 'evil', 'heartbeat', epoch, heartbeat);
    add((f) => subjects.discovery(cluster, f), 'evil', 'announce', epoch, { manager: 'evil', backup: null, commitSeq: 9, membershipSeq: 0, member: true });
    add((f) => subjects.discovery(cluster, f), 'evil', 'candidacy', epoch, { prevote: false, term: epoch, node: nodeFacts('evil'), position });
    add((f) => subjects.update(cluster, f), 'evil', 'update', epoch, { prev: { seq: 8, epoch: 999 }, records: [record], commitSeq: 9 });
    for (const n of targets) add((f) => subjects.node(cluster, n, f), 'evil', 'confirm-request', epoch, { phase: 'promise', term: epoch, position });
    // from a member that is not qualified to lead, acting as manager or candidate
    add((f) => subjects.heartbeat(cluster, f), UNQUALIFIED, 'heartbeat', epoch, heartbeat);
    add((f) => subjects.discovery(cluster, f), UNQUALIFIED, 'candidacy', epoch, { prevote: false, term: epoch, node: nodeFacts(UNQUALIFIED, false), position });
  }
  // epochs and seqs that are not non-negative safe integers
  for (const epoch of [2 ** 53, 1e20, -1, 1.5]) {
    add((f) => subjects.heartbeat(cluster, f), 'n1', 'heartbeat', epoch, heartbeat);
    add((f) => subjects.discovery(cluster, f), 'n1', 'announce', epoch, { manager: 'n1', backup: null, commitSeq: 9, membershipSeq: 0, member: true });
    add((f) => subjects.discovery(cluster, f), 'n2', 'candidacy', epoch, { prevote: false, term: 5, node: nodeFacts('n2'), position });
    add((f) => subjects.update(cluster, f), 'n1', 'update', epoch, { prev: { seq: 8, epoch: 1 }, records: [record], commitSeq: 9 });
  }
  add((f) => subjects.heartbeat(cluster, f), 'n1', 'heartbeat', 1, { ...heartbeat, commitSeq: 2 ** 60 });
  add((f) => subjects.discovery(cluster, f), 'n2', 'candidacy', 1, { prevote: false, term: 1e30, node: nodeFacts('n2'), position });
  return out;
}

function publishRaw(t: Transport, cluster: string, subject: string, env: Record<string, unknown>, n: number): void {
  const full = { v: 1, cluster, id: `forged-${n}`, ts: 0, ...env };
  // encodeEnvelope keeps numbers as they are: JSON carries 2^53 and 1e20 exactly as sent
  t.publish(subject, encodeEnvelope(full as unknown as Envelope));
}

interface Picture {
  epochs: Record<string, number>;
  roles: Record<string, string>;
  dbs: Record<string, string>;
  invalid: number;
}

function picture(nodes: NodeRuntime[]): Picture {
  return {
    epochs: Object.fromEntries(nodes.map((n) => [n.id, n.epoch])),
    roles: Object.fromEntries(nodes.map((n) => [n.id, n.role])),
    dbs: Object.fromEntries(nodes.map((n) => [n.id, JSON.stringify(n.db)])),
    invalid: nodes.reduce((s, n) => s + n.metrics.invalidMessages, 0),
  };
}

async function forgedChangeNothing(t: ExecutionContext, c: ProtocolCluster): Promise<void> {
  await c.startAll();
  await c.runUntil(() => c.converged() && c.node('n1').db.meta.backup === 'n2', 10_000);
  const before = picture(c.live());
  const evil = await c.endpoint('evil');
  try {
    const forged = forgeries(c.name, ids);
    forged.forEach((f, i) => publishRaw(evil, c.name, f.subject, f.env as Record<string, unknown>, i));
    // every forged message reached a node and was counted there
    await c.runUntil(() => picture(c.live()).invalid - before.invalid >= forged.length, 20_000);
    // then heartbeats keep flowing for a while (each node answers many), and nothing moved
    const received = (n: NodeRuntime) => n.metrics.messagesReceived;
    const start = new Map(c.live().map((n) => [n.id, received(n)]));
    await c.runUntil(() => c.live().every((n) => received(n) - start.get(n.id)! >= 40), 20_000);
    const after = picture(c.live());
    t.deepEqual(after.epochs, before.epochs, 'no epoch moved');
    t.deepEqual(after.roles, before.roles, 'no role changed');
    t.deepEqual(after.dbs, before.dbs, 'no data changed');
    t.true(after.invalid - before.invalid >= forged.length, `counted ${after.invalid - before.invalid} invalid messages for ${forged.length} forged`);
  } finally {
    await evil.close();
  }
}

/** Membership changes no other node may ask the manager for (refusedChange in rules/membership.ts). */
function forgedChanges(cluster: string) {
  const x = (id: string) => nodeFacts(id);
  const asks: [string, unknown][] = [
    ['evil', { membership: { add: [x('x1'), x('x2')] } }],
    ['evil', { membership: { manager: 'n2', backup: 'n3' } }],
    ['evil', { membership: { remove: [{ id: 'evil', reason: 'leave' }] } }],
    [UNQUALIFIED, { membership: { add: [x('x1')] } }],
    [UNQUALIFIED, { membership: { remove: [{ id: 'n2', reason: 'leave' }] } }],
    [UNQUALIFIED, { membership: { remove: [{ id: 'n2', reason: 'failed' }] } }],
    [UNQUALIFIED, { membership: { backup: UNQUALIFIED } }],
  ];
  return asks.map(([from, op], i) => ({ subject: subjects.submit(cluster, from), env: { from, type: 'submit' as const, epoch: 1, body: { id: `forged-change-${i}`, op } } }));
}

async function forgedChangesRefused(t: ExecutionContext, c: ProtocolCluster): Promise<void> {
  await c.startAll();
  await c.runUntil(() => c.converged() && c.node('n1').db.meta.backup === 'n2', 10_000);
  const members = () => JSON.stringify(c.node('n1').db.nodes);
  const before = { members: members(), roles: picture(c.live()).roles };
  const refused = () => c.node('n1').metrics.refusedSubmissions ?? 0;
  const evil = await c.endpoint('evil');
  try {
    const forged = forgedChanges(c.name);
    forged.forEach((f, i) => publishRaw(evil, c.name, f.subject, f.env as Record<string, unknown>, 1000 + i));
    await c.runUntil(() => refused() >= forged.length, 20_000);
    // the cluster still commits, and the membership and roles are what they were
    const done = c.node('n2').update({ set: { path: 'after', value: 1 } });
    await c.runUntil(() => c.live().every((n) => (n.db.data as Record<string, unknown>).after === 1), 20_000);
    await done;
    t.is(refused(), forged.length, 'every forged change refused and counted');
    t.is(members(), before.members, 'the membership did not change');
    t.deepEqual(picture(c.live()).roles, before.roles, 'no role changed');
  } finally {
    await evil.close();
  }
}

const specs = ids.map((id) => (id === UNQUALIFIED ? { id, qualified: false } : id));

for (const seed of [1, 2, 3]) {
  test(`memory seed ${seed}: forged epochs, non-members and unqualified leaders change nothing and are counted`, async (t) => {
    await forgedChangeNothing(t, memoryCluster(specs, { seed }));
  });
}

test('memory: membership changes forged as submissions are refused, counted, and the cluster goes on', async (t) => {
  await forgedChangesRefused(t, memoryCluster(specs, { seed: 1 }));
});

let server: NatsServer;
test.before(async () => {
  server = await startNatsServer();
});
test.after.always(async () => {
  await server?.stop();
});

test.serial('nats: forged epochs, non-members and unqualified leaders change nothing and are counted', async (t) => {
  const c = await natsCluster(specs, { servers: server.url });
  try {
    await forgedChangeNothing(t, c);
  } finally {
    await c.close();
  }
});

test.serial('nats: membership changes forged as submissions are refused, counted, and the cluster goes on', async (t) => {
  const c = await natsCluster(specs, { servers: server.url });
  try {
    await forgedChangesRefused(t, c);
  } finally {
    await c.close();
  }
});
