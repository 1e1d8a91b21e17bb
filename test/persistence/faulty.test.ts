import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { open as fsOpen } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVirtualClock } from '../../src/bus/virtualClock.js';
import { faultyStore, fileStore, memoryStore, monitoredStore, type FaultOp, type Store, type StoreHealth } from '../../src/persistence/index.js';
import { encodeRecordLine } from '../../src/persistence/record.js';
import { rec, recs, seqsOf, snap } from './fixtures.js';

const dirs: string[] = [];
test.after.always(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'glup-faulty-'));
  dirs.push(d);
  return d;
}

const lineBytes = (from: number, to: number) => recs(from, to).reduce((n, r) => n + Buffer.byteLength(encodeRecordLine(r)), 0);

test('an injected error looks like a node:fs error: code, negative errno, syscall, path and message format', async (t) => {
  const real = await t.throwsAsync(fsOpen(join(tempDir(), 'missing', 'x'), 'r'));
  const s = faultyStore(memoryStore(), { failAfterCalls: { append: 0 }, code: 'EROFS' }, { path: '/data/n1' });
  await s.open();
  const e = (await t.throwsAsync(s.append([rec(1)]))) as NodeJS.ErrnoException;
  t.deepEqual(Object.keys(e).sort(), Object.keys(real!).sort(), 'the same own fields as a real fs error');
  t.true(e instanceof Error);
  t.is(e.code, 'EROFS');
  t.is(e.errno, -30);
  t.is(e.syscall, 'write');
  t.is(e.path, '/data/n1/log.jsonl');
  t.is(e.message, "EROFS: read-only file system, write '/data/n1/log.jsonl'");
  t.regex(real!.message, /^ENOENT: no such file or directory, open '.*'$/, 'the format copied');
});

test('failAfterBytes: the write that would pass the limit fails whole with ENOSPC, and so does every later write until heal', async (t) => {
  const inner = memoryStore();
  const s = faultyStore(inner, { failAfterBytes: lineBytes(1, 3) + 10 });
  await s.open();
  await s.append(recs(1, 2));
  await s.append([rec(3)]);
  const e = (await t.throwsAsync(s.append(recs(4, 5)))) as NodeJS.ErrnoException;
  t.is(e.code, 'ENOSPC');
  t.is(e.path, 'memory/log.jsonl');
  t.is(s.failing, 'ENOSPC');
  t.deepEqual(seqsOf((await inner.open()).records), [1, 2, 3], 'nothing of the refused append reached the inner store');
  // a full disk refuses every write, of any kind, even a small one
  await t.throwsAsync(s.setEpoch(2), { code: 'ENOSPC' });
  await t.throwsAsync(s.writeSnapshot(snap(3)), { code: 'ENOSPC', message: /snapshot-3\.json/ });
  t.is(s.stats.failures, 3);

  s.heal();
  t.is(s.failing, null);
  await s.append(recs(4, 5));
  await s.setEpoch(2);
  const back = await s.open();
  t.deepEqual(seqsOf(back.records), [1, 2, 3, 4, 5]);
  t.is(back.epoch, 2);
});

for (const [op, call] of [
  ['append', (s: Store, i: number) => s.append([rec(i + 1)])],
  ['snapshot', (s: Store, i: number) => s.writeSnapshot(snap(i + 1))],
  ['truncate', (s: Store) => s.truncateAfter(100)],
  ['setCommitted', (s: Store, i: number) => s.setCommitted(i)],
  ['setEpoch', (s: Store, i: number) => s.setEpoch(i + 1)],
] as [FaultOp, (s: Store, i: number) => Promise<void>][]) {
  test(`failAfterCalls.${op}: two calls succeed, the third fails with the given errno`, async (t) => {
    const s = faultyStore(memoryStore(), { failAfterCalls: { [op]: 2 }, code: 'EIO' });
    await s.open();
    await call(s, 0);
    await call(s, 1);
    const e = (await t.throwsAsync(call(s, 2))) as NodeJS.ErrnoException;
    t.is(e.code, 'EIO');
    t.is(s.stats.calls[op], 2);
    s.heal();
    await call(s, 2);
    t.is(s.stats.calls[op], 3);
  });
}

test('other kinds are not counted against a kind limit', async (t) => {
  const s = faultyStore(memoryStore(), { failAfterCalls: { snapshot: 0 } });
  await s.open();
  await s.append(recs(1, 3));
  await s.setEpoch(1);
  await s.setCommitted(3);
  await t.throwsAsync(s.writeSnapshot(snap(3)), { code: 'EIO' });
});

test('failFsync: the records reach the store but the append rejects with an fsync error', async (t) => {
  const inner = memoryStore();
  const s = faultyStore(inner, { failFsync: true });
  await s.open();
  const e = (await t.throwsAsync(s.append(recs(1, 2)))) as NodeJS.ErrnoException;
  t.is(e.code, 'EIO');
  t.is(e.syscall, 'fsync');
  t.deepEqual(seqsOf((await inner.open()).records), [1, 2], 'written, not known to be durable: they may survive');
  await t.throwsAsync(s.append([rec(3)]), { code: 'EIO' });
});

test("failFsync 'lose': the records of the failed fsync are gone after it", async (t) => {
  const inner = memoryStore();
  const s = faultyStore(inner, { failAfterCalls: { sync: 1 }, failFsync: false });
  await s.open();
  await s.append([rec(1)]);
  await t.throwsAsync(s.append([rec(2)]), { code: 'EIO', message: /fsync/ });
  t.deepEqual(seqsOf((await inner.open()).records), [1, 2]);

  const inner2 = memoryStore();
  const lossy = faultyStore(inner2, { failFsync: 'lose' });
  await lossy.open();
  await t.throwsAsync(lossy.append(recs(1, 2)), { code: 'EIO' });
  t.deepEqual(seqsOf((await inner2.open()).records), []);
});

test('fsyncDelayMs: a durable write resolves only after that much virtual time', async (t) => {
  const clock = createVirtualClock();
  const s = faultyStore(memoryStore(), { fsyncDelayMs: 40 }, { clock });
  await s.open();
  let done = false;
  const p = s.append([rec(1)]).then(() => void (done = true));
  await clock.advance(39);
  t.false(done, 'not durable before 40 ms of virtual time');
  await clock.advance(1);
  await p;
  t.true(done);
  t.is(clock.now(), 40);
  // setCommitted needs no fsync: no delay
  let committed = false;
  const c = s.setCommitted(1).then(() => void (committed = true));
  await clock.advance(0);
  t.true(committed);
  await c;
  // a heal keeps the slow disk: it is not a failure
  s.heal();
  const snapDone = clock.settle(s.writeSnapshot(snap(1)));
  await snapDone;
  t.is(clock.now(), 80);
});

test('the wrapper over a file store names the data directory in its errors', async (t) => {
  const dir = tempDir();
  const s = faultyStore(fileStore(dir), { failAfterCalls: { setEpoch: 0 }, code: 'ENOSPC' });
  await s.open();
  await t.throwsAsync(s.setEpoch(1), { code: 'ENOSPC', message: `ENOSPC: no space left on device, write '${join(dir, 'meta.json')}'` });
  await s.close();
});

test('monitoredStore: an I/O failure makes it failing, the next successful write ok again; a caller bug changes nothing', async (t) => {
  const clock = createVirtualClock({ startMs: 1000 });
  const faulty = faultyStore(memoryStore(), { failAfterCalls: { append: 1 } });
  const s = monitoredStore(faulty, { clock });
  const seen: StoreHealth[] = [];
  s.onHealth((h) => seen.push(h));
  await s.open();
  await s.append([rec(1)]);
  t.is(s.health.state, 'ok');

  await t.throwsAsync(s.append([rec(2)]), { code: 'EIO' });
  t.like(s.health, { state: 'failing', since: 1000, failures: 1 });
  t.like(s.health.lastError, { op: 'append', code: 'EIO', syscall: 'write', path: 'memory/log.jsonl', at: 1000 });
  await t.throwsAsync(s.setEpoch(3), { code: 'EIO' });
  t.is(s.health.failures, 2);
  t.is(seen.length, 1, 'one event per change of state');

  faulty.heal();
  await clock.advance(500);
  await s.append([rec(2)]);
  t.like(s.health, { state: 'ok', since: 1500, failures: 2 });
  t.is(s.health.lastError?.op, 'setEpoch', 'the last error stays visible after recovery');
  t.deepEqual(seen.map((h) => h.state), ['failing', 'ok']);

  // an append out of order is the caller's bug, not the disk's
  await t.throwsAsync(s.append([rec(9)]), { message: /out of order/ });
  t.is(s.health.state, 'ok');
  t.is(s.health.failures, 2);
});

test('an error wrapping an I/O error as its cause (a broken file store) is a disk fault, reported with the cause\'s errno', async (t) => {
  const { isDiskError, storeFault } = await import('../../src/persistence/health.js');
  const io = Object.assign(new Error("EIO: i/o error, fsync"), { code: 'EIO', syscall: 'fsync' });
  const wrapped = new Error('fileStore(/d): log write failed, reopen the store: EIO', { cause: io });
  t.true(isDiskError(wrapped));
  t.like(storeFault('append', wrapped, 5), { code: 'EIO', syscall: 'fsync', at: 5 });
  t.false(isDiskError(new Error('append out of order')));
});
