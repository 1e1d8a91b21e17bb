import test from 'ava';
import { createBus, type Bus } from '../../src/bus/bus.js';
import { createReassembler, MAX_CHUNK_BYTES, sliceIntoChunks, type ChunkBody } from '../../src/bus/chunks.js';
import { encodeEnvelope, type Envelope } from '../../src/bus/envelope.js';
import type { Faults } from '../../src/bus/faults.js';
import { createFaults } from '../../src/bus/faultFilter.js';
import { createVirtualClock } from '../../src/bus/virtualClock.js';
import { GlupError } from '../../src/errors.js';
import { createRandom } from '../../src/random.js';
import { KINDS, openKit, sharedNatsServer, type Kit } from './transports.js';

/**
 * Messages larger than one message travel in chunks (SPEC section 8): the bus splits and
 * reassembles them transparently, faults hit chunks like any wire message, and forged
 * chunk streams are dropped and counted like any invalid message.
 */
// Default config: max_payload 1 MB, so nothing over one envelope can pass unchunked.
const nats = sharedNatsServer();
test.after.always(() => nats.stop());

const CLUSTER = 'c1';
const MiB = 1024 * 1024;

/** Faults decided by a script: the n-th wire message from another node gets script(n) (see Faults.route). */
function scriptedFaults(script: (n: number) => number[]): Faults & { calls: number } {
  const f = {
    calls: 0,
    route(to: string, from: string) {
      return to === from ? [0] : script(f.calls++);
    },
    partition() {},
    heal() {},
    set() {},
    clear() {},
    counts: { dropped: 0, duplicated: 0, delayed: 0, partitioned: 0 },
  };
  return f;
}

async function pair(kit: Kit, opts: { faults?: Faults; chunkBytes?: number; receiverMaxMessageBytes?: number } = {}) {
  const n1 = createBus({ transport: await kit.endpoint('n1'), cluster: CLUSTER, node: 'n1', chunkBytes: opts.chunkBytes });
  const n2 = createBus({
    transport: await kit.endpoint('n2'),
    cluster: CLUSTER,
    node: 'n2',
    faults: opts.faults,
    maxMessageBytes: opts.receiverMaxMessageBytes,
  });
  const subject = `${kit.prefix}.node.n2.n1`;
  const got: Envelope[] = [];
  n2.subscribe(subject, (env) => got.push(env));
  await n2.transport.flush();
  return { n1, n2, subject, got };
}

/** A body of about `bytes` bytes of JSON text, with multi-byte characters that chunk boundaries split. */
function bigBody(bytes: number) {
  const entries: Record<string, string> = {};
  const value = 'snapshot-é€😀-'.repeat(64);
  for (let i = 0; bytes > 0; i++) {
    entries[`key${i}`] = `${i}:${value}`;
    bytes -= value.length + 16;
  }
  return { seq: 123, epoch: 2, db: { data: entries } };
}

/** Raw wire messages n2's transport sees on a subject (before the bus and its faults). */
function wireCount(bus: Bus, subject: string): { n: number } {
  const count = { n: 0 };
  bus.transport.subscribe(subject, () => count.n++);
  return count;
}

for (const kind of KINDS) {
  test(`${kind}: a 3 MiB body travels in chunks and arrives as the original envelope`, async (t) => {
    const kit = await openKit(kind, nats);
    try {
      const { n1, n2, subject, got } = await pair(kit);
      const wire = wireCount(n2, subject);
      await n2.transport.flush();
      const body = bigBody(3 * MiB);
      const sent = n1.publish(subject, 'join-accept', body, { epoch: 2 });
      await kit.waitFor(() => got.length === 1, 20_000);
      t.deepEqual(got[0], sent);
      t.is(wire.n, Math.ceil(encodeEnvelope(sent).byteLength / (512 * 1024)), 'one wire message per 512 KiB');
      t.is(n1.metrics.messagesSent, 1);
      t.is(n2.metrics.messagesReceived, 1);
      t.is(n2.metrics.invalidMessages, 0);
    } finally {
      await kit.close();
    }
  });

  test(`${kind}: chunks reordered and each duplicated still give each message exactly once`, async (t) => {
    const kit = await openKit(kind, nats);
    try {
      // Each chunk arrives twice, and later chunks overtake earlier ones (delays shrink with n).
      const faults = scriptedFaults((n) => [Math.max(0, 200 - n * 4), Math.max(0, 230 - n * 3)]);
      const { n1, n2, subject, got } = await pair(kit, { faults, chunkBytes: 1000 });
      const sent = [n1.publish(subject, 'fetch-reply', bigBody(9000), { epoch: 1 }), n1.publish(subject, 'fetch-reply', bigBody(7000), { epoch: 1 })];
      const small = n1.publish(subject, 'heartbeat', { seq: 1 }, { epoch: 1 });
      await kit.waitFor(() => got.filter((e) => e.type === 'fetch-reply').length === 2, 10_000);
      await kit.pass(300);
      t.deepEqual(
        got.filter((e) => e.type === 'fetch-reply').sort((a, b) => a.id.localeCompare(b.id)),
        sent,
        'each chunked message once, whole',
      );
      t.deepEqual(
        got.filter((e) => e.type === 'heartbeat'),
        [small, small],
        'an unchunked message is duplicated as usual',
      );
      t.is(n2.metrics.invalidMessages, 0);
    } finally {
      await kit.close();
    }
  });

  test(`${kind}: a dropped chunk loses its message, like a lost message, and nothing throws`, async (t) => {
    const kit = await openKit(kind, nats);
    try {
      const faults = scriptedFaults((n) => (n === 1 ? [] : [0]));
      const { n1, n2, subject, got } = await pair(kit, { faults, chunkBytes: 1000 });
      n1.publish(subject, 'join-accept', bigBody(5000), { epoch: 1 });
      const second = n1.publish(subject, 'join-accept', bigBody(5000), { epoch: 1 });
      await kit.waitFor(() => got.length === 1, 10_000);
      await kit.pass(50);
      t.deepEqual(got, [second]);
      t.is(n2.metrics.invalidMessages, 0, 'a loss is not an invalid message');
      t.is(n2.metrics.handlerErrors, 0);
    } finally {
      await kit.close();
    }
  });

  test(`${kind}: forged chunk streams are dropped and counted, never delivered`, async (t) => {
    const kit = await openKit(kind, nats);
    try {
      const { n1, n2, subject, got } = await pair(kit, { chunkBytes: 1000, receiverMaxMessageBytes: MiB });
      let ids = 1000;
      const send = (body: ChunkBody | Record<string, unknown>, from = 'n1') =>
        n1.transport.publish(subject, encodeEnvelope({ v: 1, cluster: CLUSTER, type: 'chunk', from, epoch: 1, id: `${from}-${++ids}`, ts: 5, body }));
      const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');
      const envelopeBytes = (fields: Partial<Envelope>) =>
        encodeEnvelope({ v: 1, cluster: CLUSTER, type: 'update', from: 'n1', epoch: 1, id: 'n1-7', ts: 5, body: { x: 'SECRET' }, ...fields });
      const forgeries: [string, () => void][] = [
        ['count changes within a stream', () => {
          send({ of: 'a', index: 0, count: 3, data: b64('abc') });
          send({ of: 'a', index: 1, count: 4, data: b64('def') });
          send({ of: 'a', index: 2, count: 3, data: b64('ghi') }); // the rest of a dropped stream is ignored
        }],
        ['index out of range', () => send({ of: 'b', index: 3, count: 3, data: b64('abc') })],
        ['count not a number', () => send({ of: 'b2', index: 0, count: 'many', data: b64('abc') })],
        ['total over the reassembly limit', () => {
          const piece = b64(new Uint8Array(450_000));
          for (let index = 0; index < 3; index++) send({ of: 'c', index, count: 3, data: piece });
        }],
        ['bad base64', () => send({ of: 'd', index: 0, count: 2, data: 'SECRET!!' })],
        ['of names another envelope', () => {
          for (const body of sliceIntoChunks(envelopeBytes({ id: 'n1-7' }), 'n1-999', 40)) send(body);
        }],
        ['reassembled bytes are not JSON', () => {
          for (const body of sliceIntoChunks(new TextEncoder().encode('{"SECRET": not json'), 'e', 8)) send(body);
        }],
        ['reassembled envelope from another node', () => {
          for (const body of sliceIntoChunks(envelopeBytes({ from: 'n3', id: 'n3-1' }), 'n3-1', 40)) send(body);
        }],
        ['a chunk of chunks', () => {
          const inner = encodeEnvelope({ v: 1, cluster: CLUSTER, type: 'chunk', from: 'n1', epoch: 1, id: 'n1-8', ts: 5, body: { of: 'z', index: 0, count: 1, data: b64('{}') } });
          for (const body of sliceIntoChunks(inner, 'n1-8', 50)) send(body);
        }],
      ];
      for (const [, forge] of forgeries) forge();
      const marker = n1.publish(subject, 'join-accept', bigBody(3000), { epoch: 1 });
      await kit.waitFor(() => got.length === 1, 10_000);
      t.deepEqual(got, [marker], 'only the genuine chunked message reached the handler');
      t.is(n2.metrics.invalidMessages, forgeries.length, 'one invalid message per forged stream');
      t.is(n2.metrics.handlerErrors, 0);
    } finally {
      await kit.close();
    }
  });

  test(`${kind}: seeded duplicate and delay faults on chunk streams never corrupt a message`, async (t) => {
    const kit = await openKit(kind, nats);
    try {
      const faults = createFaults({ random: createRandom(11).fork('faults'), clock: kit.clock });
      faults.set({ duplicate: 0.3, delayMs: [0, 40] });
      const { n1, n2, subject, got } = await pair(kit, { faults, chunkBytes: 500 });
      // four at once: the default bound on one sender's incomplete messages
      const sent = [1, 2, 3, 4].map((i) => n1.publish(subject, 'fetch-reply', { i, ...bigBody(2000 * i) }, { epoch: 1 }));
      await kit.waitFor(() => got.length === sent.length, 10_000);
      await kit.pass(100);
      t.deepEqual([...got].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true })), sent);
      t.true(faults.counts.duplicated > 0 && faults.counts.delayed > 0);
      t.is(n2.metrics.invalidMessages, 0);
    } finally {
      await kit.close();
    }
  });
}

test('nats: a 20 MiB snapshot-like body arrives through a server with the default max_payload', async (t) => {
  const kit = await openKit('nats', nats);
  try {
    const { n1, subject, got } = await pair(kit);
    const body = bigBody(20 * MiB);
    const startedAt = Date.now();
    const sent = n1.publish(subject, 'join-accept', body, { epoch: 3 });
    await n1.transport.flush();
    await kit.waitFor(() => got.length === 1, 60_000);
    t.log(`${(encodeEnvelope(sent).byteLength / MiB).toFixed(1)} MiB in ${Date.now() - startedAt} ms`);
    t.deepEqual(got[0], sent);
  } finally {
    await kit.close();
  }
});

test('the sender refuses a message over maxMessageBytes, and requests and replies over one envelope', async (t) => {
  const kit = await openKit('memory', nats);
  const { n1 } = await pair(kit);
  const small = createBus({ transport: await kit.endpoint('n3'), cluster: CLUSTER, node: 'n3', maxMessageBytes: MiB });
  const tooBig = (f: () => unknown) => {
    const e = t.throws(f);
    t.true(e instanceof GlupError && e.code === 'INVALID_OP', String(e));
  };
  tooBig(() => small.publish('x', 'update', 'x'.repeat(MiB), { epoch: 1 }));
  tooBig(() => n1.reply({ subject: 'x', data: new Uint8Array(), reply: '_INBOX.1' }, 'status-reply', 'x'.repeat(MiB), { epoch: 1 }));
  const e = await t.throwsAsync(n1.request('x.n2.n1', 'status-request', 'x'.repeat(MiB), { epoch: 1, timeoutMs: 10, to: 'n2' }));
  t.true(e instanceof GlupError && e.code === 'INVALID_OP');
  const n4 = await kit.endpoint('n4');
  t.throws(() => createBus({ transport: n4, cluster: CLUSTER, node: 'n4', chunkBytes: MAX_CHUNK_BYTES + 1 }), {
    instanceOf: RangeError,
  });
});

test('reassembly keeps at most N incomplete messages per sender and forgets them after the timeout', async (t) => {
  const clock = createVirtualClock();
  const r = createReassembler(clock, { maxMessageBytes: MiB, maxPartialsPerSender: 2, maxPartials: 3, maxPendingBytes: MiB, timeoutMs: 1000 });
  const chunk = (from: string, of: string, index: number, count: number): Envelope => ({
    v: 1, cluster: CLUSTER, type: 'chunk', from, epoch: 1, id: `${from}-x`, ts: 0, body: { of, index, count, data: 'YWJj' },
  });
  t.is(r.accept(chunk('n1', 'a', 0, 2)).kind, 'partial');
  t.is(r.accept(chunk('n1', 'a', 0, 2)).kind, 'duplicate');
  t.is(r.accept(chunk('n1', 'b', 0, 2)).kind, 'partial');
  t.is(r.accept(chunk('n1', 'c', 0, 2)).kind, 'partial', 'a third stream of n1 evicts its oldest');
  t.is(r.pending, 2);
  t.is(r.accept(chunk('n1', 'a', 1, 2)).kind, 'partial', 'stream a starts over: its first slice was evicted');
  t.is(r.accept(chunk('n2', 'a', 0, 2)).kind, 'partial');
  t.is(r.accept(chunk('n3', 'a', 0, 2)).kind, 'partial');
  t.is(r.pending, 3, 'never more than maxPartials in all');
  const done = r.accept(chunk('n3', 'a', 1, 2));
  t.like(done, { kind: 'complete', of: 'a' });
  t.is(new TextDecoder().decode((done as { data: Uint8Array }).data), 'abcabc');
  t.is(r.accept(chunk('n3', 'a', 1, 2)).kind, 'duplicate', 'a late copy does not start a finished stream again');
  await clock.advance(1000);
  t.is(r.pending, 0, 'incomplete messages expire on the transport clock');
});

test('reassembly holds at most maxPendingBytes in incomplete messages, evicting the oldest', (t) => {
  const r = createReassembler(createVirtualClock(), { maxMessageBytes: 8, maxPartialsPerSender: 4, maxPartials: 64, maxPendingBytes: 8, timeoutMs: 1000 });
  const chunk = (from: string, index: number): Envelope => ({
    v: 1, cluster: CLUSTER, type: 'chunk', from, epoch: 1, id: `${from}-x`, ts: 0, body: { of: 'm', index, count: 2, data: 'YWJj' },
  });
  r.accept(chunk('n1', 0));
  r.accept(chunk('n2', 0));
  t.is(r.pending, 2);
  t.is(r.accept(chunk('n3', 0)).kind, 'partial');
  t.is(r.pending, 2, 'n1 (oldest) made room');
  t.is(r.accept(chunk('n1', 1)).kind, 'partial', 'n1 starts over');
  t.is(r.accept(chunk('n3', 1)).kind, 'complete');
});
