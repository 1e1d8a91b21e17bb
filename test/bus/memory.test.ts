import test from 'ava';
import { memoryNetwork, type MemoryNetwork } from '../../src/bus/memory.js';
import { realClock } from '../../src/clock.js';
import { text, untext } from './transports.js';

/** A small deterministic workload: every node subscribes to hb and its own subject, then they chat. */
async function chatter(net: MemoryNetwork, nodes: string[], rounds = 20): Promise<void> {
  const transports = nodes.map((n) => net.transport(n));
  for (const t of transports) {
    t.subscribe('glup.c.hb.*', () => undefined);
    t.subscribe(`glup.c.node.${t.name}.*`, (m) => {
      // Answer unicast messages, so later traffic depends on earlier delivery order.
      if (untext(m.data).startsWith('ping')) t.publish(`glup.c.node.${untext(m.data).split(' ')[1]}.${t.name}`, text(`pong ${t.name}`));
    });
  }
  for (let round = 0; round < rounds; round++) {
    for (const t of transports) {
      t.publish(`glup.c.hb.${t.name}`, text(`hb ${t.name} ${round}`));
      const peer = nodes[(nodes.indexOf(t.name) + round + 1) % nodes.length]!;
      t.publish(`glup.c.node.${peer}.${t.name}`, text(`ping ${t.name}`));
    }
    await net.advance(0.5);
  }
  await net.advance(10);
}

test('the same seed gives a byte-identical delivery log; another seed a different one', async (t) => {
  const run = async (seed: number) => {
    const net = memoryNetwork({ seed, virtualTime: true });
    await chatter(net, ['n1', 'n2', 'n3', 'n4']);
    return net.deliveryLog();
  };
  const first = await run(1);
  const again = await run(1);
  const other = await run(2);
  t.true(first.length > 100);
  t.is(first.join('\n'), again.join('\n'));
  t.not(first.join('\n'), other.join('\n'));
  t.regex(first[0]!, /^t=\d+\.\d{3} n\d->n\d glup\.c\.\S+ #\d+$/);
});

test('traffic of other nodes does not change the delays of a link', async (t) => {
  const linkLines = async (withThirdNode: boolean) => {
    const net = memoryNetwork({ seed: 5, virtualTime: true });
    const n1 = net.transport('n1');
    const n2 = net.transport('n2');
    const n3 = net.transport('n3');
    n2.subscribe('x', () => undefined);
    for (let i = 0; i < 30; i++) {
      if (withThirdNode) n3.publish('x', text('noise'));
      n1.publish('x', text(`m${i}`));
      await net.advance(0.3);
    }
    await net.advance(5);
    return net.deliveryLog().filter((l) => l.includes(' n1->n2 ')).map((l) => l.split(' #')[0]);
  };
  t.deepEqual(await linkLines(false), await linkLines(true));
});

test('a link delivers after 0.1-1 ms by default, first in first out', async (t) => {
  const net = memoryNetwork({ seed: 3, virtualTime: true });
  const a = net.transport('a');
  const b = net.transport('b');
  const arrivals: { i: number; at: number }[] = [];
  b.subscribe('x', (m) => arrivals.push({ i: Number(untext(m.data)), at: net.now() }));
  for (let i = 0; i < 200; i++) {
    a.publish('x', text(String(i)));
    await net.advance(0.05);
  }
  await net.runUntil(() => arrivals.length === 200);
  t.deepEqual(
    arrivals.map((x) => x.i),
    arrivals.map((_, i) => i),
    'in order',
  );
  const first = arrivals[0]!.at;
  t.true(first >= 0.1 && first <= 1, `first arrival at ${first}`);
});

test('a killed endpoint neither sends nor receives, and revive lets it do both again', async (t) => {
  const net = memoryNetwork({ virtualTime: true });
  const n1 = net.transport('n1');
  const n2 = net.transport('n2');
  const at1: string[] = [];
  const at2: string[] = [];
  n1.subscribe('x', (m) => at1.push(untext(m.data)));
  n2.subscribe('x', (m) => at2.push(untext(m.data)));
  net.kill('n2');
  t.false(net.isAlive('n2'));
  n1.publish('x', text('to the dead'));
  n2.publish('x', text('from the dead'));
  await t.throwsAsync(n2.request('x', text('?'), { timeoutMs: 10 }), { message: /killed/ });
  await net.advance(5);
  t.deepEqual(at1, ['to the dead']);
  t.deepEqual(at2, []);
  t.is(net.stats.fromKilled, 2);
  net.revive('n2');
  n2.publish('x', text('back'));
  await net.advance(5);
  t.deepEqual(at1, ['to the dead', 'back']);
  t.deepEqual(at2, ['back']);
});

test('messages in flight to a node killed before they arrive are lost', async (t) => {
  const net = memoryNetwork({ virtualTime: true, minDelayMs: 1, maxDelayMs: 1 });
  const n1 = net.transport('n1');
  const n2 = net.transport('n2');
  const got: string[] = [];
  n2.subscribe('x', (m) => got.push(untext(m.data)));
  n1.publish('x', text('in flight'));
  net.kill('n2');
  net.revive('n2');
  await net.advance(0.5);
  net.kill('n2');
  await net.advance(2);
  t.deepEqual(got, []);
  t.is(net.stats.undeliverable, 1);
});

test('after kill or close, transport(name) gives a fresh endpoint for the restarted node', async (t) => {
  const net = memoryNetwork({ virtualTime: true });
  const n1 = net.transport('n1');
  t.is(net.transport('n1'), n1, 'the same endpoint while it lives');
  const old = net.transport('n2');
  const oldGot: string[] = [];
  old.subscribe('x', (m) => oldGot.push(untext(m.data)));
  net.kill('n2');
  const restarted = net.transport('n2');
  t.not(restarted, old);
  t.true(old.closed);
  const got: string[] = [];
  restarted.subscribe('x', (m) => got.push(untext(m.data)));
  n1.publish('x', text('hello again'));
  await net.advance(2);
  t.deepEqual(got, ['hello again']);
  t.deepEqual(oldGot, [], 'the old endpoint stays dead');
  await restarted.close();
  const third = net.transport('n2');
  t.not(third, restarted);
  t.false(third.closed);
});

test('endpoint names follow the node-id rule', (t) => {
  const net = memoryNetwork({ virtualTime: true });
  t.throws(() => net.transport('bad name'), { message: /does not match/ });
  t.notThrows(() => net.transport('cli-status_1'));
});

test('real-time mode delivers on wall time through realClock', async (t) => {
  const net = memoryNetwork({ seed: 1 });
  t.is(net.clock, realClock);
  const a = net.transport('a');
  const b = net.transport('b');
  const got: string[] = [];
  b.subscribe('x', (m) => got.push(untext(m.data)));
  for (let i = 0; i < 50; i++) a.publish('x', text(String(i)));
  await net.runUntil(() => got.length === 50, { timeoutMs: 2000 });
  t.deepEqual(got, Array.from({ length: 50 }, (_, i) => String(i)));
  const value = await net.settle(Promise.resolve(42), { timeoutMs: 100 });
  t.is(value, 42);
});
