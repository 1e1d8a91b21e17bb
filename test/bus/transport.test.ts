import test from 'ava';
import { GlupError } from '../../src/errors.js';
import type { Transport, TransportMessage } from '../../src/bus/transport.js';
import { KINDS, openKit, sharedNatsServer, text, untext, type Kit } from './transports.js';

/** The Transport contract (SPEC section 8), run unchanged over memory and NATS. */
const nats = sharedNatsServer();
test.after.always(() => nats.stop());

function collect(t: Transport, subject: string): string[] {
  const got: string[] = [];
  t.subscribe(subject, (m) => got.push(`${m.subject}:${untext(m.data)}`));
  return got;
}

async function withKit(kind: (typeof KINDS)[number], body: (kit: Kit) => Promise<void>): Promise<void> {
  const kit = await openKit(kind, nats);
  try {
    await body(kit);
  } finally {
    await kit.close();
  }
}

for (const kind of KINDS) {
  test(`${kind}: a message reaches every matching subscriber, its publisher included`, (t) =>
    withKit(kind, async (kit) => {
      const a = await kit.endpoint('a');
      const b = await kit.endpoint('b');
      const atA = collect(a, `${kit.prefix}.x`);
      const atB = collect(b, `${kit.prefix}.x`);
      const elsewhere = collect(b, `${kit.prefix}.y`);
      await a.flush();
      await b.flush();
      a.publish(`${kit.prefix}.x`, text('1'));
      a.publish(`${kit.prefix}.x`, text('2'));
      await kit.waitFor(() => atA.length === 2 && atB.length === 2);
      t.deepEqual(atB, [`${kit.prefix}.x:1`, `${kit.prefix}.x:2`], 'in publish order');
      t.deepEqual(atA, atB);
      t.deepEqual(elsewhere, []);
    }));

  test(`${kind}: * matches exactly one token`, (t) =>
    withKit(kind, async (kit) => {
      const a = await kit.endpoint('a');
      const b = await kit.endpoint('b');
      const star = collect(b, `${kit.prefix}.node.*`);
      const marker = collect(b, `${kit.prefix}.marker`);
      await b.flush();
      for (const s of ['node.n1', 'node.n2', 'node', 'node.n1.deep', 'other.n1']) a.publish(`${kit.prefix}.${s}`, text(s));
      a.publish(`${kit.prefix}.marker`, text('end'));
      await kit.waitFor(() => marker.length === 1);
      t.deepEqual(star, [`${kit.prefix}.node.n1:node.n1`, `${kit.prefix}.node.n2:node.n2`]);
    }));

  test(`${kind}: > matches one or more trailing tokens`, (t) =>
    withKit(kind, async (kit) => {
      const a = await kit.endpoint('a');
      const b = await kit.endpoint('b');
      const rest = collect(b, `${kit.prefix}.pg.>`);
      const marker = collect(b, `${kit.prefix}.marker`);
      await b.flush();
      for (const s of ['pg.g1', 'pg.g1.deep.er', 'pg', 'hb']) a.publish(`${kit.prefix}.${s}`, text(s));
      a.publish(`${kit.prefix}.marker`, text('end'));
      await kit.waitFor(() => marker.length === 1);
      t.deepEqual(rest, [`${kit.prefix}.pg.g1:pg.g1`, `${kit.prefix}.pg.g1.deep.er:pg.g1.deep.er`]);
    }));

  test(`${kind}: request resolves with the reply sent to its inbox`, (t) =>
    withKit(kind, async (kit) => {
      const client = await kit.endpoint('client');
      const server = await kit.endpoint('server');
      server.subscribe(`${kit.prefix}.echo`, (m) => {
        if (m.reply) server.publish(m.reply, text(`echo ${untext(m.data)}`));
      });
      await server.flush();
      const reply = await kit.settle(client.request(`${kit.prefix}.echo`, text('hi'), { timeoutMs: 2000 }));
      t.is(untext(reply.data), 'echo hi');
    }));

  test(`${kind}: a request nobody serves rejects with TIMEOUT`, (t) =>
    withKit(kind, async (kit) => {
      const client = await kit.endpoint('client');
      const error = await t.throwsAsync(kit.settle(client.request(`${kit.prefix}.nobody`, text('?'), { timeoutMs: 500 })));
      t.true(error instanceof GlupError && error.code === 'TIMEOUT', String(error));
    }));

  test(`${kind}: a request nobody answers rejects with TIMEOUT after timeoutMs`, (t) =>
    withKit(kind, async (kit) => {
      const client = await kit.endpoint('client');
      const silent = await kit.endpoint('silent');
      silent.subscribe(`${kit.prefix}.silent`, () => undefined);
      await silent.flush();
      const startedAt = kit.clock.now();
      const error = await t.throwsAsync(kit.settle(client.request(`${kit.prefix}.silent`, text('?'), { timeoutMs: 200 })));
      t.true(error instanceof GlupError && error.code === 'TIMEOUT', String(error));
      t.true(kit.clock.now() - startedAt >= 195, `rejected after ${kit.clock.now() - startedAt} ms`);
    }));

  test(`${kind}: after unsubscribe a subscription gets nothing`, (t) =>
    withKit(kind, async (kit) => {
      const a = await kit.endpoint('a');
      const b = await kit.endpoint('b');
      const got: TransportMessage[] = [];
      const sub = b.subscribe(`${kit.prefix}.x`, (m) => got.push(m));
      const marker = collect(b, `${kit.prefix}.marker`);
      await b.flush();
      a.publish(`${kit.prefix}.x`, text('before'));
      await kit.waitFor(() => got.length === 1);
      sub.unsubscribe();
      sub.unsubscribe(); // twice is harmless
      a.publish(`${kit.prefix}.x`, text('after'));
      a.publish(`${kit.prefix}.marker`, text('end'));
      // One link delivers in order: once the marker is in, "after" would have been too.
      await kit.waitFor(() => marker.length === 1);
      t.is(got.length, 1);
    }));

  test(`${kind}: a closed endpoint receives nothing and its sends go nowhere`, (t) =>
    withKit(kind, async (kit) => {
      const a = await kit.endpoint('a');
      const b = await kit.endpoint('b');
      const c = await kit.endpoint('c');
      const atB = collect(b, `${kit.prefix}.x`);
      const atC = collect(c, `${kit.prefix}.x`);
      await b.flush();
      await c.flush();
      await b.close();
      t.true(b.closed);
      t.notThrows(() => b.publish(`${kit.prefix}.x`, text('from closed b')));
      const error = await t.throwsAsync(b.request(`${kit.prefix}.x`, text('?'), { timeoutMs: 100 }));
      t.true(error instanceof GlupError && error.code === 'STOPPED', String(error));
      a.publish(`${kit.prefix}.x`, text('from a'));
      await kit.waitFor(() => atC.length >= 1);
      await kit.pass(20);
      t.deepEqual(atB, []);
      t.deepEqual(atC, [`${kit.prefix}.x:from a`]);
      await b.close(); // twice is harmless
    }));
}
