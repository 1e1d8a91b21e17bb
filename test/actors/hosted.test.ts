/**
 * Hosted actors (SPEC section 11) on the memory network in virtual time: placement,
 * FIFO and once-only delivery under lossy links, persistence before an ask resolves,
 * re-activation after the host dies, passivation, and the errors a caller can meet.
 */
import test from 'ava';
import { assign, setup } from 'xstate';
import { GlupError } from '../../src/errors.js';
import { counterMachine } from '../../src/actors/hosted/demo.js';
import { hostOf } from '../../src/actors/hosted/placement.js';
import { registrationsOf, stateOf } from '../../src/actors/hosted/records.js';
import { checkActorChains } from '../../src/sim/invariantActors.js';
import { actorCluster } from '../helpers/actors.js';

/** Appends every event's `n`: the order the actor saw them in. */
const logMachine = setup({ types: { context: {} as { log: number[] }, events: {} as { type: 'ADD'; n: number } | { type: 'GET' } | { type: 'BOOM' } | { type: 'GROW'; bytes: number } } }).createMachine({
  context: { log: [] },
  on: {
    ADD: { actions: assign(({ context, event }) => ({ log: [...context.log, event.n] })) },
    GET: {},
    BOOM: {
      actions: () => {
        throw new Error('boom');
      },
    },
    GROW: { actions: assign(({ context, event }) => ({ log: [...context.log, ...new Array(Math.ceil(event.bytes / 2)).fill(0)] })) },
  },
});

const counter = { type: 'counter', machine: counterMachine, opts: { placement: 'sharded' as const } };
const logType = { type: 'log', machine: logMachine, opts: { placement: 'sharded' as const } };

test('an ask resolves with the state after the event, persisted in the cluster database', async (t) => {
  const c = actorCluster(['n1', 'n2', 'n3'], [counter]);
  await c.startAll();
  const r = await c.within(c.node('n2').actors.ref('counter', 'a').ask({ type: 'INC', by: 5 }));
  t.like(r, { value: 'counting', context: { count: 5, events: 1 }, status: 'active', version: 1 });
  const host = hostOf(c.node('n2').db, 'counter', 'a')!;
  t.deepEqual(c.node(host).actors.list().map((a) => [a.type, a.key, a.version]), [['counter', 'a', 1]]);
  // the reply came after the commit: the asker's own database already holds that state
  const rec = stateOf(c.node('n2').db, 'counter', 'a');
  t.is(rec.version, 1);
  t.like(rec.state!.snapshot as object, { value: 'counting', context: { count: 5, events: 1 } });
});

test('events are processed in each sender\'s order and once, over links that drop, duplicate and delay', async (t) => {
  const c = actorCluster(['n1', 'n2', 'n3'], [logType], { seed: 7 });
  await c.startAll();
  c.faults.set({ drop: 0.2, duplicate: 0.3, delayMs: [0, 30] });
  const senders = ['n1', 'n2', 'n3'];
  const asks: Promise<unknown>[] = [];
  for (let i = 1; i <= 20; i++) for (const s of senders) {
    const ref = c.node(s).actors.ref('log', 'shared');
    const n = senders.indexOf(s) * 100 + i;
    if (i % 4 === 0) asks.push(ref.ask({ type: 'ADD', n }, { timeoutMs: 20_000 }));
    else ref.send({ type: 'ADD', n });
  }
  await c.within(Promise.all(asks), 30_000);
  c.faults.clear();
  const final = await c.within(c.node('n1').actors.ref('log', 'shared').ask({ type: 'GET' }));
  const log = (final.context as { log: number[] }).log;
  t.is(log.length, 60, 'every event exactly once');
  t.is(new Set(log).size, 60);
  for (const s of [0, 1, 2]) {
    const mine = log.filter((n) => Math.floor(n / 100) === s);
    t.deepEqual(mine, [...mine].sort((a, b) => a - b), `sender n${s + 1}'s events in its order`);
  }
  t.deepEqual(checkActorChains(c.log.commits, []), []);
});

test('the actor survives its host\'s crash: re-activated elsewhere from the last committed state', async (t) => {
  const c = actorCluster(['n1', 'n2', 'n3', 'n4', 'n5'], [counter]);
  await c.startAll();
  // a key hosted on a client, so the crash is a plain removal
  const key = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].find((k) => {
    const h = hostOf(c.node('n1').db, 'counter', k);
    return h !== c.node('n1').manager && h !== c.node('n1').backup;
  })!;
  const ref = c.node('n1').actors.ref('counter', key);
  for (let i = 0; i < 5; i++) await c.within(ref.ask({ type: 'INC' }));
  const host = c.hostOf('counter', key)!;
  await host.kill();
  const killedAt = c.net.now();
  const sender = c.live().find((n) => n.role === 'client')!;
  const r = await c.within(sender.actors.ref('counter', key).ask({ type: 'INC' }));
  const elapsed = c.net.now() - killedAt;
  t.is((r.context as { count: number }).count, 6, 'the 5 acknowledged INCs survived');
  t.not(c.hostOf('counter', key)!.id, host.id);
  // detection (missedHeartbeats × heartbeatMs) + the removal's commit + one retransmission
  t.log(`re-activated ${elapsed.toFixed(1)} ms after the crash`);
  t.true(elapsed <= 3 * 100 + 2 * 100 + 100, `re-activated ${elapsed} ms after the crash`);
  t.true(c.hostOf('counter', key)!.actors.metrics.reactivations >= 1);
  t.deepEqual(checkActorChains(c.log.commits, []), []);
});

test('an idle activation passivates and the next event re-activates it from its state', async (t) => {
  const c = actorCluster(['n1', 'n2', 'n3'], [{ ...counter, opts: { placement: 'sharded', idleMs: 500 } }]);
  await c.startAll();
  const ref = c.node('n1').actors.ref('counter', 'idle');
  await c.within(ref.ask({ type: 'INC' }));
  const host = c.hostOf('counter', 'idle')!;
  await c.net.runUntil(() => host.actors.list().length === 0, { timeoutMs: 2000 });
  t.is(host.actors.metrics.passivations, 1);
  const r = await c.within(ref.ask({ type: 'INC' }));
  t.is((r.context as { count: number }).count, 2);
  t.is(host.actors.metrics.reactivations, 1);
});

test('a type no live node defines gives UNKNOWN_ACTOR; a bad event or key INVALID_OP; a stopped node STOPPED', async (t) => {
  const c = actorCluster(['n1', 'n2', 'n3'], [counter]);
  await c.startAll();
  const unknown = await c.within(c.node('n1').actors.ref('nosuch', 'x').ask({ type: 'GET' }, { timeoutMs: 500 }).catch((e) => e));
  t.true(unknown instanceof GlupError && unknown.code === 'UNKNOWN_ACTOR', String(unknown));
  const bad = await c.node('n1').actors.ref('counter', 'x').ask({ nope: 1 } as never).catch((e) => e);
  t.is(bad.code, 'INVALID_OP');
  t.throws(() => c.node('n1').actors.ref('counter', '__proto__'), { message: /reserved/ });
  t.throws(() => c.node('n1').actors.ref('no.dots', 'x'), { message: /not a valid name/ });
  t.throws(() => c.node('n1').actors.define('counter', counterMachine, { placement: 'sharded' }), { message: /already defined/ });
  const pending = c.node('n3').actors.ref('counter', 'y').ask({ type: 'INC' }, { timeoutMs: 5000 });
  await c.node('n3').kill();
  const stopped = await pending.catch((e) => e);
  t.is(stopped.code, 'STOPPED');
});

test('an event the machine throws on is refused with INVALID_OP and changes nothing', async (t) => {
  const c = actorCluster(['n1', 'n2', 'n3'], [logType]);
  await c.startAll();
  const ref = c.node('n1').actors.ref('log', 'k');
  await c.within(ref.ask({ type: 'ADD', n: 1 }));
  const err = await c.within(ref.ask({ type: 'BOOM' }).catch((e) => e));
  t.is(err.code, 'INVALID_OP');
  t.regex(err.message, /BOOM failed in the machine: boom/);
  const after = await c.within(ref.ask({ type: 'ADD', n: 2 }));
  t.deepEqual((after.context as { log: number[] }).log, [1, 2]);
});

test('a state over maxUpdateBytes is refused with INVALID_OP and the last committed state stays', async (t) => {
  const c = actorCluster(['n1', 'n2', 'n3'], [logType], { maxUpdateBytes: 8192 });
  await c.startAll();
  const ref = c.node('n1').actors.ref('log', 'big');
  await c.within(ref.ask({ type: 'ADD', n: 1 }));
  const err = await c.within(ref.ask({ type: 'GROW', bytes: 20_000 }).catch((e) => e));
  t.is(err.code, 'INVALID_OP');
  t.regex(err.message, /over maxUpdateBytes/);
  const after = await c.within(ref.ask({ type: 'GET' }));
  t.deepEqual((after.context as { log: number[] }).log, [1]);
});

test('createNode({ inspect }) sees the hosted actors\' own XState inspection events', async (t) => {
  const seen: string[] = [];
  const c = actorCluster(['n1', 'n2', 'n3'], [counter], {
    inspect: (e) => {
      if (e.type === '@xstate.event' && (e.actorRef as unknown as { id?: string }).id?.startsWith('actor:')) seen.push(`${(e.actorRef as unknown as { id: string }).id} ${e.event.type}`);
    },
  });
  await c.startAll();
  await c.within(c.node('n1').actors.ref('counter', 'seen').ask({ type: 'INC' }));
  t.true(seen.includes('actor:counter:seen INC'), seen.join('\n'));
});

const singleton = { type: 'scheduler', machine: counterMachine, opts: { placement: 'singleton' as const } };

test('a singleton lives on the manager and keeps its state across switchover and failover', async (t) => {
  const c = actorCluster([{ id: 'n1', priority: 3 }, { id: 'n2', priority: 2 }, { id: 'n3', priority: 1 }], [singleton]);
  await c.startAll();
  const ask = (from: string) => c.within(c.node(from).actors.ref('scheduler').ask({ type: 'INC' }));
  t.is(((await ask('n3')).context as { count: number }).count, 1);
  t.is(c.hostOf('scheduler', 'default')!.id, 'n1');

  await c.within(c.node('n1').switchover('n2'));
  // the new host activates it at once (eagerly), from the committed state
  await c.net.runUntil(() => c.hostOf('scheduler', 'default')?.id === 'n2', { timeoutMs: 2000 });
  t.is(((await ask('n3')).context as { count: number }).count, 2);

  // the failover: the ask waits for the new manager; a plain update sent at the same moment
  // shows when the cluster commits again (the new manager's first record commits once the
  // crashed one is declared failed)
  const killedAt = c.net.now();
  let managerAt = Infinity;
  c.node('n1').on('role', (r: string) => {
    if (r === 'manager') managerAt = c.net.now();
  });
  await c.node('n2').kill();
  let writableAt = Infinity;
  const write = c.node('n3').update({ set: { path: 'probe', value: 1 } }).then(() => (writableAt = c.net.now()));
  const r = await ask('n3');
  const answeredAt = c.net.now();
  await c.within(write);
  t.log(`after the crash: new manager at +${(managerAt - killedAt).toFixed(1)} ms, first update committed at +${(writableAt - killedAt).toFixed(1)} ms, singleton answered at +${(answeredAt - killedAt).toFixed(1)} ms`);
  t.true(answeredAt - writableAt <= 100, 'the singleton answers within one heartbeat of the cluster committing again');
  t.is((r.context as { count: number }).count, 3);
  t.is(c.hostOf('scheduler', 'default')!.id, 'n1');
  t.deepEqual(checkActorChains(c.log.commits, []), []);
});

test('a singleton with on: backup lives on the backup', async (t) => {
  const c = actorCluster([{ id: 'n1', priority: 3 }, { id: 'n2', priority: 2 }, { id: 'n3', priority: 1 }], [{ ...singleton, opts: { placement: 'singleton', on: 'backup' } }]);
  await c.startAll();
  await c.within(c.node('n1').actors.ref('scheduler').ask({ type: 'INC' }));
  t.is(c.hostOf('scheduler', 'default')!.id, c.node('n1').backup!);
});

test('1,000 events to 100 sharded actors from every node, hosts killed one by one: every acknowledged event survives, one chain per actor', async (t) => {
  const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const c = actorCluster(ids, [counter], { seed: 3 });
  await c.startAll();
  const acked = new Map<string, number>();
  const acks: { type: string; key: string; version: number; eventId: string; node: string; t: number }[] = [];
  const burst = async (senders: string[], events: number, offset: number) => {
    const asks: Promise<void>[] = [];
    for (let i = 0; i < events; i++) {
      const from = senders[i % senders.length]!;
      const key = `k${(i * 7 + offset) % 100}`;
      asks.push(
        c.node(from).actors.ref('counter', key).ask({ type: 'INC' }, { timeoutMs: 20_000 }).then((r) => {
          acked.set(key, (acked.get(key) ?? 0) + 1);
          acks.push({ type: 'counter', key, version: r.version, eventId: r.eventId, node: from, t: c.net.now() });
        }),
      );
    }
    await c.within(Promise.all(asks), 60_000);
  };
  await burst(ids, 1000, 0);
  t.is([...acked.values()].reduce((a, b) => a + b, 0), 1000);
  // kill two hosts (a majority of five stays), one at a time, with traffic after each
  for (const victim of ['n4', 'n1']) {
    await c.node(victim).kill();
    await burst(c.live().map((n) => n.id), 100, 13);
  }
  const reader = c.live()[0]!;
  for (let k = 0; k < 100; k++) {
    const key = `k${k}`;
    const r = await c.within(reader.actors.ref('counter', key).ask({ type: 'GET' }));
    t.is((r.context as { count: number }).count, acked.get(key) ?? 0, `${key}: every acknowledged INC is in the final state`);
  }
  t.deepEqual(checkActorChains(c.log.commits, acks, c.log.seqs), []);
  const moved = c.live().reduce((s, n) => s + n.actors.metrics.reactivations, 0);
  t.true(moved > 0, 'some actors moved to a new host');
});

test('when a host joins or leaves, only the keys it wins or held move; the others keep their activation', async (t) => {
  const c = actorCluster(['n1', 'n2', 'n3', 'n4'], []);
  for (const id of ['n1', 'n2', 'n3']) c.node(id).actors.define('counter', counterMachine, { placement: 'sharded' });
  await c.startAll();
  await c.net.runUntil(() => c.live().every((n) => ['n1', 'n2', 'n3'].every((id) => registrationsOf(n.db, 'counter')[id])), { timeoutMs: 5000 });
  const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
  const incAll = (from: string) => c.within(Promise.all(keys.map((k) => c.node(from).actors.ref('counter', k).ask({ type: 'INC' }))), 20_000);
  const where = () => new Map(keys.map((k) => [k, c.live().flatMap((n) => n.actors.list().filter((a) => a.key === k).map((a) => ({ node: n.id, since: a.since })))[0]]));
  await incAll('n4');
  const before = where();
  t.false(keys.some((k) => before.get(k)?.node === 'n4'), 'n4 hosts nothing before it defines the type');

  // n4 becomes a host: a registration commit, a view change of the type's hosts
  c.node('n4').actors.define('counter', counterMachine, { placement: 'sharded' });
  await c.net.runUntil(() => c.live().every((n) => registrationsOf(n.db, 'counter').n4), { timeoutMs: 5000 });
  const results = await incAll('n1');
  t.true(results.every((r) => (r.context as { count: number }).count === 2), 'no event lost or doubled by the move');
  const after = where();
  const moved = keys.filter((k) => after.get(k)!.node !== before.get(k)!.node);
  t.true(moved.length > 0 && moved.length < keys.length / 2, `${moved.length} of ${keys.length} keys moved`);
  t.true(moved.every((k) => after.get(k)!.node === 'n4'), 'a key moves only to the new host');
  for (const k of keys.filter((k) => !moved.includes(k))) t.is(after.get(k)!.since, before.get(k)!.since, `${k} kept its activation`);

  // n4 leaves gracefully: its keys go back to where rendezvous hashing puts them
  await c.within(c.node('n4').leave());
  const last = await c.within(Promise.all(keys.map((k) => c.node('n2').actors.ref('counter', k).ask({ type: 'INC' }))), 20_000);
  t.true(last.every((r) => (r.context as { count: number }).count === 3));
  const final = where();
  for (const k of keys.filter((k) => !moved.includes(k))) t.is(final.get(k)!.since, before.get(k)!.since, `${k} kept its activation through the leave`);
  t.deepEqual(checkActorChains(c.log.commits, []), []);
});

test('a registration that fails is tried again by itself: the type gets hosted without any other commit', async (t) => {
  const c = actorCluster(['n1', 'n2', 'n3'], [counter]);
  await c.startAll();
  // n3's first submission of its registration times out (a busy cluster), and nothing else is committed
  const n3 = c.node('n3');
  const update = n3.update.bind(n3);
  let failed = 0;
  n3.update = ((op: Parameters<typeof update>[0]) => {
    if (failed === 0 && JSON.stringify(op).includes('actorTypes')) {
      failed++;
      return Promise.reject(new GlupError('TIMEOUT', 'injected: not committed in time'));
    }
    return update(op);
  }) as typeof n3.update;
  n3.actors.define('late', counterMachine, { placement: 'sharded' });
  await c.net.runUntil(() => c.live().every((n) => registrationsOf(n.db, 'late').n3), { timeoutMs: 5000 });
  t.is(failed, 1);
  const r = await c.within(c.node('n1').actors.ref('late', 'x').ask({ type: 'INC' }));
  t.like(r, { context: { count: 1 } });
});
