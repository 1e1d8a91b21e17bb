import test from 'ava';
import { createBus, type Bus } from '../../src/bus/bus.js';
import type { Envelope } from '../../src/bus/envelope.js';
import { encodeEnvelope } from '../../src/bus/envelope.js';
import { GlupError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { bytes, CLUSTER, INVALID_ENVELOPES } from './invalidEnvelopes.js';
import { KINDS, openKit, sharedNatsServer, type Kit } from './transports.js';

/** The bus over both transports: envelopes, edge validation, request/reply, handler isolation. */
// max_payload above 1 MiB, so an oversized envelope can reach the edge check over NATS too.
const nats = sharedNatsServer('max_payload: 2MB');
test.after.always(() => nats.stop());

async function busPair(kit: Kit, logs: { level: string; msg: string; fields?: Record<string, unknown> }[] = []) {
  const logger = silentLogger((level, msg, fields) => logs.push({ level, msg, ...(fields ? { fields } : {}) }));
  const n1 = createBus({ transport: await kit.endpoint('n1'), cluster: CLUSTER, node: 'n1', logger });
  const n2 = createBus({ transport: await kit.endpoint('n2'), cluster: CLUSTER, node: 'n2', logger });
  return { n1, n2 };
}

function inbox(bus: Bus, subject: string): Envelope[] {
  const got: Envelope[] = [];
  bus.subscribe(subject, (env) => got.push(env));
  return got;
}

for (const kind of KINDS) {
  test(`${kind}: envelopes carry cluster, type, sender, epoch, a deterministic id and the sender's time`, async (t) => {
    const kit = await openKit(kind, nats);
    try {
      const { n1, n2 } = await busPair(kit);
      const got = inbox(n2, `${kit.prefix}.hb.*`);
      await n2.transport.flush();
      const sent = n1.publish(`${kit.prefix}.hb.n1`, 'heartbeat', { seq: 4 }, { epoch: 2 });
      n1.publish(`${kit.prefix}.hb.n1`, 'heartbeat', { seq: 5 }, { epoch: 2 });
      await kit.waitFor(() => got.length === 2);
      t.deepEqual(got[0], sent);
      t.like(got[0], { v: 1, cluster: CLUSTER, type: 'heartbeat', from: 'n1', epoch: 2, id: 'n1-1', body: { seq: 4 } });
      t.is(got[1]!.id, 'n1-2');
      t.true(Math.abs(got[0]!.ts - kit.clock.now()) < 5000);
      t.deepEqual(n1.metrics, { invalidMessages: 0, messagesSent: 2, messagesReceived: 0, handlerErrors: 0 });
      t.is(n2.metrics.messagesReceived, 2);
    } finally {
      await kit.close();
    }
  });

  test(`${kind}: a received envelope is read-only, body included, so code behaves the same in simulation and over NATS`, async (t) => {
    const kit = await openKit(kind, nats);
    try {
      const { n1, n2 } = await busPair(kit);
      const got = inbox(n2, `${kit.prefix}.grp.*`);
      await n2.transport.flush();
      n1.publish(`${kit.prefix}.grp.n1`, 'group-message', { items: ['b', 'a'], nested: { n: 1 } }, { epoch: 1 });
      await kit.waitFor(() => got.length === 1);
      const body = got[0]!.body as { items: string[]; nested: { n: number } };
      t.true(Object.isFrozen(got[0]) && Object.isFrozen(body) && Object.isFrozen(body.items) && Object.isFrozen(body.nested));
      t.throws(() => body.items.sort(), { instanceOf: TypeError });
      t.deepEqual([...body.items].sort(), ['a', 'b'], 'a copy can be changed');
    } finally {
      await kit.close();
    }
  });

  test(`${kind}: request and reply through the bus`, async (t) => {
    const kit = await openKit(kind, nats);
    try {
      const { n1, n2 } = await busPair(kit);
      n2.subscribe(`${kit.prefix}.node.n2.*`, (env, raw) => {
        n2.reply(raw, 'status-reply', { asked: env.id, role: 'manager' }, { epoch: 1 });
      });
      await n2.transport.flush();
      const answer = await kit.settle(n1.request(`${kit.prefix}.node.n2.n1`, 'status-request', {}, { epoch: 0, timeoutMs: 2000, to: 'n2' }));
      t.like(answer, { type: 'status-reply', from: 'n2', body: { asked: 'n1-1', role: 'manager' } });
      t.is(n2.reply({ subject: 'x', data: new Uint8Array() }, 'status-reply', {}, { epoch: 1 }), undefined, 'no reply subject, no reply');
    } finally {
      await kit.close();
    }
  });

  test(`${kind}: ${INVALID_ENVELOPES.length} kinds of invalid message are counted and dropped, never thrown, never handled`, async (t) => {
    const kit = await openKit(kind, nats);
    try {
      const logs: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
      const { n1, n2 } = await busPair(kit, logs);
      const got = inbox(n2, `${kit.prefix}.hb.*`);
      await n2.transport.flush();
      // Same sender connection for the garbage and the marker: once the marker is in, all garbage was seen.
      for (const { data } of INVALID_ENVELOPES) n1.transport.publish(`${kit.prefix}.hb.n1`, bytes(data));
      n1.publish(`${kit.prefix}.hb.n1`, 'heartbeat', { marker: true }, { epoch: 1 });
      await kit.waitFor(() => got.length === 1, 10_000);
      t.deepEqual(got.map((e) => e.body), [{ marker: true }], 'only the valid message reached the handler');
      t.is(n2.metrics.invalidMessages, INVALID_ENVELOPES.length);
      t.is(n2.metrics.messagesReceived, 1);
      const warnings = logs.filter((l) => l.level === 'warn');
      t.true(warnings.length >= 1 && warnings.length <= 2, `rate limited: ${warnings.length} warnings`);
      t.false(JSON.stringify(logs).includes('SECRET'), 'no payload in the logs');
      t.is(({} as Record<string, unknown>).polluted, undefined);
    } finally {
      await kit.close();
    }
  });

  test(`${kind}: a handler that throws is logged and the bus keeps delivering`, async (t) => {
    const kit = await openKit(kind, nats);
    try {
      const logs: { level: string; msg: string }[] = [];
      const { n1, n2 } = await busPair(kit, logs);
      n2.subscribe(`${kit.prefix}.x.*`, () => {
        throw new Error('handler bug');
      });
      const got = inbox(n2, `${kit.prefix}.x.*`);
      await n2.transport.flush();
      n1.publish(`${kit.prefix}.x.n1`, 'submit', 1, { epoch: 1 });
      n1.publish(`${kit.prefix}.x.n1`, 'submit', 2, { epoch: 1 });
      await kit.waitFor(() => got.length === 2);
      t.is(n2.metrics.handlerErrors, 2);
      t.true(logs.some((l) => l.level === 'error' && l.msg.includes('handler threw')));
    } finally {
      await kit.close();
    }
  });

  test(`${kind}: a closed bus delivers nothing and its requests end with STOPPED`, async (t) => {
    const kit = await openKit(kind, nats);
    try {
      const { n1, n2 } = await busPair(kit);
      const got = inbox(n2, `${kit.prefix}.x.*`);
      const marker = inbox(n1, `${kit.prefix}.x.*`);
      await n2.transport.flush();
      await n1.transport.flush();
      n2.close();
      n1.publish(`${kit.prefix}.x.n1`, 'submit', 1, { epoch: 1 });
      await kit.waitFor(() => marker.length === 1);
      await kit.pass(20);
      t.deepEqual(got, []);
      const error = await t.throwsAsync(n2.request(`${kit.prefix}.x.n2`, 'submit', 1, { epoch: 1, timeoutMs: 100, to: 'n1' }));
      t.true(error instanceof GlupError && error.code === 'STOPPED');
    } finally {
      await kit.close();
    }
  });

  test(`${kind}: a message over maxMessageBytes is refused at the sender with INVALID_OP, and nothing is sent`, async (t) => {
    const kit = await openKit(kind, nats);
    try {
      const n1 = createBus({ transport: await kit.endpoint('n1'), cluster: CLUSTER, node: 'n1', maxMessageBytes: 1024 * 1024 });
      const error = t.throws(() => n1.publish(`${kit.prefix}.x`, 'update', 'x'.repeat(1024 * 1024), { epoch: 1 }));
      t.true(error instanceof GlupError && error.code === 'INVALID_OP', String(error));
      t.is(n1.metrics.messagesSent, 0);
    } finally {
      await kit.close();
    }
  });

  test(`${kind}: a reply over 1 MiB is refused with INVALID_OP (replies are never chunked)`, async (t) => {
    const kit = await openKit(kind, nats);
    try {
      const { n1 } = await busPair(kit);
      const raw = { subject: `${kit.prefix}.x`, data: new Uint8Array(), reply: `${kit.prefix}.inbox` };
      const error = t.throws(() => n1.reply(raw, 'status-reply', 'x'.repeat(1024 * 1024), { epoch: 1 }));
      t.true(error instanceof GlupError && error.code === 'INVALID_OP', String(error));
    } finally {
      await kit.close();
    }
  });

  test(`${kind}: a message whose from is not its subject's sender is dropped and counted, never handled`, async (t) => {
    const kit = await openKit(kind, nats);
    try {
      const logs: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
      const { n1, n2 } = await busPair(kit, logs);
      const got = inbox(n2, `${kit.prefix}.hb.*`);
      await n2.transport.flush();
      // n1 speaks on its own subject but claims to be n3: what a node whose server rights
      // end in .n1 could still try; and on n3's subject while its envelope says n1
      const forged = { v: 1, cluster: CLUSTER, type: 'heartbeat', epoch: 9, id: 'x-1', ts: 1, body: { SECRET: 1 } } as const;
      n1.transport.publish(`${kit.prefix}.hb.n1`, encodeEnvelope({ ...forged, from: 'n3' }));
      n1.transport.publish(`${kit.prefix}.hb.n3`, encodeEnvelope({ ...forged, from: 'n1' }));
      const marker = n1.publish(`${kit.prefix}.hb.n1`, 'heartbeat', { marker: true }, { epoch: 1 });
      await kit.waitFor(() => got.length === 1);
      t.deepEqual(got, [marker]);
      t.is(n2.metrics.invalidMessages, 2);
      const warning = logs.find((l) => l.level === 'warn');
      t.regex(String(warning?.fields?.reason), /from "n3" is not the subject's sender "n1"/);
      t.false(JSON.stringify(logs).includes('SECRET'), 'no payload in the logs');
    } finally {
      await kit.close();
    }
  });

  test(`${kind}: a request accepts its reply only from the node it addressed`, async (t) => {
    const kit = await openKit(kind, nats);
    try {
      const { n1, n2 } = await busPair(kit);
      const n3 = createBus({ transport: await kit.endpoint('n3'), cluster: CLUSTER, node: 'n3' });
      // n3 also hears the request (a subscription it should not have) and answers first, as itself and as n2
      n3.subscribe(`${kit.prefix}.node.n2.*`, (_env, raw) => {
        n3.reply(raw, 'status-reply', { liar: true }, { epoch: 1 });
        n3.transport.publish(raw.reply!, encodeEnvelope({ v: 1, cluster: CLUSTER, type: 'status-reply', from: 'n1', epoch: 1, id: 'f-1', ts: 1, body: { liar: true } }));
      });
      n2.subscribe(`${kit.prefix}.node.n2.*`, (_env, raw) => {
        setTimeout(() => n2.reply(raw, 'status-reply', { honest: true }, { epoch: 1 }), kit.kind === 'nats' ? 50 : 0);
      });
      await n3.transport.flush();
      await n2.transport.flush();
      const answer = await kit.settle(n1.request(`${kit.prefix}.node.n2.n1`, 'status-request', {}, { epoch: 0, timeoutMs: 3000, to: 'n2' }));
      t.like(answer, { from: 'n2', body: { honest: true } });
      t.is(n1.metrics.invalidMessages, 2, 'the reply from n3 and the one claiming to be n1 were dropped and counted');
    } finally {
      await kit.close();
    }
  });

  test(`${kind}: gather collects every reply to a request sent to many until finished`, async (t) => {
    const kit = await openKit(kind, nats);
    try {
      const { n1, n2 } = await busPair(kit);
      const n3 = createBus({ transport: await kit.endpoint('n3'), cluster: CLUSTER, node: 'n3' });
      for (const bus of [n2, n3]) bus.subscribe(`${kit.prefix}.admin.*`, (_env, raw) => bus.reply(raw, 'status-reply', { id: bus.node }, { epoch: 1 }));
      await n2.transport.flush();
      await n3.transport.flush();
      const replies = await kit.settle(n1.gather(`${kit.prefix}.admin.n1`, 'status-request', {}, { epoch: 0, timeoutMs: 1000 }));
      t.deepEqual(replies.map((r) => r.from).sort(), ['n2', 'n3']);
      let seen = 0;
      const first = await kit.settle(n1.gather(`${kit.prefix}.admin.n1`, 'status-request', {}, { epoch: 0, timeoutMs: 3000, onReply: (_env, finish) => ++seen === 1 && finish() }));
      t.is(first.length, 1, 'finish ends the wait at the first reply');
    } finally {
      await kit.close();
    }
  });
}
