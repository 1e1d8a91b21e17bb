import test from 'ava';
import { readFile } from 'node:fs/promises';
import { GlupError } from '../../src/errors.js';
import { createVirtualClock } from '../../src/bus/virtualClock.js';

test('timers with equal deadlines fire in the order they were set', async (t) => {
  const clock = createVirtualClock();
  const fired: string[] = [];
  for (const name of ['a', 'b', 'c', 'd']) clock.setTimeout(() => fired.push(name), 10);
  clock.setTimeout(() => fired.push('early'), 5);
  clock.setTimeoutAt(() => fired.push('e'), 10);
  await clock.advance(10);
  t.deepEqual(fired, ['early', 'a', 'b', 'c', 'd', 'e']);
  t.is(clock.now(), 10);
});

test('time moves only when advanced, and a cleared timer never fires', async (t) => {
  const clock = createVirtualClock();
  let fired = 0;
  const kept = clock.setTimeout(() => fired++, 100);
  const cleared = clock.setTimeout(() => fired++, 50);
  clock.clearTimeout(cleared);
  clock.clearTimeout(undefined); // foreign handles are ignored, as with global clearTimeout
  t.is(clock.pending(), 1);
  await new Promise((r) => setTimeout(r, 5));
  t.is(clock.now(), 0);
  await clock.advance(99);
  t.is(fired, 0);
  await clock.advance(1);
  t.is(fired, 1);
  t.is(clock.pending(), 0);
  clock.clearTimeout(kept); // clearing a fired timer is harmless
});

test('promise continuations run between events, so a chain of timers completes within one advance', async (t) => {
  const clock = createVirtualClock();
  const sleep = (ms: number) => new Promise<void>((r) => clock.setTimeout(r, ms));
  const steps: number[] = [];
  void (async () => {
    for (let i = 0; i < 5; i++) {
      await sleep(10);
      steps.push(clock.now());
    }
  })();
  await clock.advance(50);
  t.deepEqual(steps, [10, 20, 30, 40, 50]);
});

test('runUntil checks the condition after every event and stops at the first that satisfies it', async (t) => {
  const clock = createVirtualClock();
  let count = 0;
  for (let i = 1; i <= 10; i++) clock.setTimeout(() => count++, i);
  await clock.runUntil(() => count === 3, { timeoutMs: 100 });
  t.is(count, 3);
  t.is(clock.now(), 3);
});

test('runUntil rejects with TIMEOUT when the virtual time is up', async (t) => {
  const clock = createVirtualClock();
  clock.setTimeout(() => undefined, 500);
  const error = await t.throwsAsync(clock.runUntil(() => false, { timeoutMs: 200 }));
  t.true(error instanceof GlupError && error.code === 'TIMEOUT', String(error));
  t.is(clock.now(), 200);
  t.is(clock.pending(), 1, 'the later timer is still there');
});

test('settle returns the value of a promise resolved by virtual timers', async (t) => {
  const clock = createVirtualClock();
  const value = await clock.settle(new Promise<string>((r) => clock.setTimeout(() => r('done'), 300)), { timeoutMs: 1000 });
  t.is(value, 'done');
  t.is(clock.now(), 300);
});

test('settle throws the error of a rejected promise, and TIMEOUT for one that never settles', async (t) => {
  const clock = createVirtualClock();
  const failing = new Promise((_, reject) => clock.setTimeout(() => reject(new Error('boom')), 10));
  await t.throwsAsync(clock.settle(failing), { message: 'boom' });
  const never = new Promise(() => undefined);
  const error = await t.throwsAsync(clock.settle(never, { timeoutMs: 50 }));
  t.true(error instanceof GlupError && error.code === 'TIMEOUT', String(error));
});

test('tracked real work finishes before virtual time moves on', async (t) => {
  const clock = createVirtualClock();
  const order: string[] = [];
  clock.setTimeout(() => {
    order.push('timer 1');
    // Real file I/O takes real time; the next virtual event must wait for it.
    void clock.track(readFile(new URL(import.meta.url)).then(() => order.push('io done')));
  }, 1);
  clock.setTimeout(() => order.push('timer 2'), 2);
  await clock.advance(5);
  t.deepEqual(order, ['timer 1', 'io done', 'timer 2']);
});

test('onEvent sees each fired timer with its time and number; events() counts them', async (t) => {
  const clock = createVirtualClock();
  const seen: string[] = [];
  const stop = clock.onEvent((e) => seen.push(`${e.n}@${e.at}${e.label ? ` ${e.label}` : ''}`));
  clock.setTimeout(() => undefined, 2);
  clock.setTimeoutAt(() => undefined, 4, 'labelled');
  await clock.advance(5);
  stop();
  clock.setTimeout(() => undefined, 1);
  await clock.advance(1);
  t.deepEqual(seen, ['1@2', '2@4 labelled']);
  t.is(clock.events(), 3);
});

test('concurrent advances run one after the other', async (t) => {
  const clock = createVirtualClock();
  const fired: number[] = [];
  clock.setTimeout(() => fired.push(clock.now()), 5);
  clock.setTimeout(() => fired.push(clock.now()), 15);
  await Promise.all([clock.advance(10), clock.advance(10)]);
  t.deepEqual(fired, [5, 15]);
  t.is(clock.now(), 20);
});

test('a throwing timer rejects the advance that fired it and leaves the clock usable', async (t) => {
  const clock = createVirtualClock();
  clock.setTimeout(() => {
    throw new Error('timer bug');
  }, 1);
  let later = false;
  clock.setTimeout(() => (later = true), 2);
  await t.throwsAsync(clock.advance(5), { message: 'timer bug' });
  await clock.advance(5);
  t.true(later);
});
