import test from 'ava';
import { createBus, type Bus } from '../../src/bus/bus.js';
import type { Envelope } from '../../src/bus/envelope.js';
import { createFaults, type FaultFilter } from '../../src/bus/faultFilter.js';
import { GlupError } from '../../src/errors.js';
import { createRandom } from '../../src/random.js';
import { KINDS, openKit, sharedNatsServer, type Kit } from './transports.js';

/** Each fault kind through the bus, over both transports: the same filter works on memory and NATS. */
const nats = sharedNatsServer();
test.after.always(() => nats.stop());

interface Cluster {
  kit: Kit;
  faults: FaultFilter;
  n1: Bus;
  n2: Bus;
  subject: string;
  /** What n1 (the sender itself) and n2 received on `subject`, with the receiver's clock. */
  atN1: { env: Envelope; at: number }[];
  atN2: { env: Envelope; at: number }[];
}

async function cluster(kind: (typeof KINDS)[number]): Promise<Cluster> {
  const kit = await openKit(kind, nats);
  const faults = createFaults({ random: createRandom(7).fork('faults'), clock: kit.clock });
  const n1 = createBus({ transport: await kit.endpoint('n1'), cluster: 'c1', node: 'n1', faults });
  const n2 = createBus({ transport: await kit.endpoint('n2'), cluster: 'c1', node: 'n2', faults });
  const subject = `${kit.prefix}.update.n1`;
  const atN1: Cluster['atN1'] = [];
  const atN2: Cluster['atN2'] = [];
  n1.subscribe(subject, (env) => atN1.push({ env, at: kit.clock.now() }));
  n2.subscribe(subject, (env) => atN2.push({ env, at: kit.clock.now() }));
  await n1.transport.flush();
  await n2.transport.flush();
  return { kit, faults, n1, n2, subject, atN1, atN2 };
}

const send = (c: Cluster, n: number) => {
  for (let i = 0; i < n; i++) c.n1.publish(c.subject, 'update', { i }, { epoch: 1 });
};

for (const kind of KINDS) {
  test(`${kind}: drop loses messages between nodes, never a node's own`, async (t) => {
    const c = await cluster(kind);
    try {
      c.faults.set({ drop: 0.5 });
      send(c, 100);
      await c.kit.waitFor(() => c.atN2.length + c.faults.counts.dropped === 100 && c.atN1.length === 100);
      t.true(c.faults.counts.dropped > 20 && c.faults.counts.dropped < 80, `dropped ${c.faults.counts.dropped}`);
      t.is(c.atN1.length, 100, 'self-delivery untouched');
    } finally {
      await c.kit.close();
    }
  });

  test(`${kind}: duplicate delivers a message twice`, async (t) => {
    const c = await cluster(kind);
    try {
      c.faults.set({ duplicate: 1 });
      send(c, 10);
      await c.kit.waitFor(() => c.atN2.length === 20);
      t.deepEqual(
        c.atN2.map((r) => r.env.id),
        Array.from({ length: 10 }, (_, i) => [`n1-${i + 1}`, `n1-${i + 1}`]).flat(),
      );
      t.is(c.faults.counts.duplicated, 10);
      t.is(c.atN1.length, 10);
    } finally {
      await c.kit.close();
    }
  });

  test(`${kind}: delay delivers late, and late deliveries reorder`, async (t) => {
    const c = await cluster(kind);
    try {
      c.faults.set({ delayMs: [50, 80] });
      send(c, 20);
      await c.kit.waitFor(() => c.atN2.length === 20);
      for (const { env, at } of c.atN2) t.true(at - env.ts >= 50, `delivered ${at - env.ts} ms after sending`);
      const order = c.atN2.map((r) => (r.env.body as { i: number }).i);
      t.notDeepEqual(order, [...order].sort((a, b) => a - b));
      t.is(c.faults.counts.delayed, 20);
    } finally {
      await c.kit.close();
    }
  });

  test(`${kind}: a partition separates the sides and heal rejoins them`, async (t) => {
    const c = await cluster(kind);
    try {
      c.faults.partition([['n1'], ['n2']]);
      send(c, 5);
      await c.kit.waitFor(() => c.faults.counts.partitioned === 5 && c.atN1.length === 5);
      t.is(c.atN2.length, 0);
      c.faults.heal();
      send(c, 1);
      await c.kit.waitFor(() => c.atN2.length === 1);
      t.is((c.atN2[0]!.env.body as { i: number }).i, 0);
      t.deepEqual(
        c.faults.history.map((h) => h.change),
        ['partition', 'heal'],
      );
    } finally {
      await c.kit.close();
    }
  });
}

test('memory: a request whose reply the filter drops times out like a lost reply', async (t) => {
  const c = await cluster('memory');
  c.n2.subscribe(`${c.kit.prefix}.ask.n1`, (_, raw) => {
    c.faults.partition([['n1'], ['n2']]);
    c.n2.reply(raw, 'status-reply', {}, { epoch: 1 });
  });
  const startedAt = c.kit.clock.now();
  const error = await t.throwsAsync(c.kit.settle(c.n1.request(`${c.kit.prefix}.ask.n1`, 'status-request', {}, { epoch: 1, timeoutMs: 300, to: 'n2' })));
  t.true(error instanceof GlupError && error.code === 'TIMEOUT', String(error));
  t.true(c.kit.clock.now() - startedAt >= 300);
});

test('route: a node listed on no side of a partition is alone', (t) => {
  const faults = createFaults({ random: createRandom(1) });
  faults.partition([['a', 'b'], ['c']]);
  t.deepEqual(faults.route('b', 'a'), [0]);
  t.deepEqual(faults.route('c', 'a'), []);
  t.deepEqual(faults.route('x', 'a'), []);
  t.deepEqual(faults.route('x', 'y'), [], 'two unlisted nodes are not together either');
  t.deepEqual(faults.route('x', 'x'), [0], 'nor cut off from itself');
  t.throws(() => faults.partition([['a'], ['a', 'b']]), { message: /listed on two sides/ });
});

test('route: between limits drop, duplicate and delay to the listed pairs, in both directions', (t) => {
  const faults = createFaults({ random: createRandom(1) });
  faults.set({ drop: 1, between: [['a', 'b']] });
  t.deepEqual(faults.route('b', 'a'), []);
  t.deepEqual(faults.route('a', 'b'), []);
  t.deepEqual(faults.route('c', 'a'), [0]);
  faults.clear();
  t.deepEqual(faults.route('b', 'a'), [0]);
  t.is(faults.counts.dropped, 2);
});

test('route: each pair has its own seeded stream, so other pairs do not change its fate', (t) => {
  const fates = (interleave: boolean) => {
    const faults = createFaults({ random: createRandom(9) });
    faults.set({ drop: 0.3, duplicate: 0.3, delayMs: [1, 5] });
    const out: string[] = [];
    for (let i = 0; i < 50; i++) {
      if (interleave) faults.route('c', 'd');
      out.push(JSON.stringify(faults.route('b', 'a')));
    }
    return out;
  };
  t.deepEqual(fates(false), fates(true));
});

test('settings out of range are refused with INVALID_OP naming the field', (t) => {
  const faults = createFaults({ random: createRandom(1) });
  t.throws(() => faults.set({ drop: 1.5 }), { message: /faults\.drop/ });
  t.throws(() => faults.set({ duplicate: -1 }), { message: /faults\.duplicate/ });
  t.throws(() => faults.set({ delayMs: [10, 5] }), { message: /faults\.delayMs/ });
});
