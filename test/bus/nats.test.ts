import test from 'ava';
import { natsTransport } from '../../src/bus/nats.js';
import { startNatsServer } from '../helpers/natsServer.js';
import { until } from '../helpers/poll.js';
import { text, untext } from './transports.js';

/** What only the NATS transport has to show: surviving a server restart, credentials, the raw connection. */

test('a nats-server restart costs only a delay: subscriptions and requests work again', async (t) => {
  const server = await startNatsServer();
  const a = await natsTransport({ servers: server.url, name: 'a', reconnectTimeWaitMs: 100 });
  const b = await natsTransport({ servers: server.url, name: 'b', reconnectTimeWaitMs: 100 });
  try {
    const got: string[] = [];
    b.subscribe('glup.c.hb.*', (m) => got.push(untext(m.data)));
    b.subscribe('glup.c.admin.*', (m) => {
      if (m.reply) b.publish(m.reply, text('pong'));
    });
    await b.flush();
    a.publish('glup.c.hb.a', text('before'));
    await until('b hears a message before the restart', () => got.includes('before'), { timeoutMs: 5000, everyMs: 50 });

    await server.restart();
    // Keep publishing until the re-subscribed b hears one: messages sent during the gap may be lost.
    let n = 0;
    await until('b hears a message after the restart', () => got.some((m) => m.startsWith('after')), {
      timeoutMs: 20_000,
      everyMs: 50,
      tick: () => a.publish('glup.c.hb.a', text(`after ${++n}`)),
    });
    const reply = await a.request('glup.c.admin.a', text('ping'), { timeoutMs: 5000 });
    t.is(untext(reply.data), 'pong');
    t.false(a.closed);
    t.truthy(a.connection.info, 'the raw connection is reachable for JetStream');
  } finally {
    await a.close();
    await b.close();
    await server.stop();
  }
});

test('credentials are passed through to the server (token)', async (t) => {
  const server = await startNatsServer({ extraConfig: 'authorization { token: "s3cret-token" }' });
  try {
    const ok = await natsTransport({ servers: server.url, name: 'n1', token: 's3cret-token' });
    t.false(ok.closed);
    await ok.close();
    t.true(ok.closed);
    await t.throwsAsync(natsTransport({ servers: server.url, name: 'n2', token: 'wrong' }));
  } finally {
    await server.stop();
  }
});

test('credentials are passed through to the server (user and password)', async (t) => {
  const server = await startNatsServer({ extraConfig: 'authorization { user: "glup", password: "pw-1" }' });
  try {
    const ok = await natsTransport({ servers: server.url, name: 'n1', user: 'glup', pass: 'pw-1' });
    await ok.close();
    await t.throwsAsync(natsTransport({ servers: server.url, name: 'n2', user: 'glup', pass: 'nope' }));
    t.pass();
  } finally {
    await server.stop();
  }
});
