import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { fileStore, type FileStoreOptions } from '../../src/persistence/index.js';
import { encodeRecordLine } from '../../src/persistence/record.js';
import { rec, recs, seqsOf, snap } from './fixtures.js';

const dirs: string[] = [];
test.after.always(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'glup-file-'));
  dirs.push(d);
  return d;
}

/** A store whose logger warnings the test can read. */
function storeWithWarnings(dir: string, opts: FileStoreOptions = {}) {
  const warned: { msg: string; fields?: Record<string, unknown> }[] = [];
  const logger = silentLogger((level, msg, fields) => {
    if (level === 'warn') warned.push({ msg, fields });
  });
  return { store: fileStore(dir, { ...opts, logger }), warned };
}

/** Writes records 1..n through a store and closes it. Returns the log path. */
async function logWith(dir: string, n: number): Promise<string> {
  const s = fileStore(dir);
  await s.open();
  await s.append(recs(1, n));
  await s.close();
  return join(dir, 'log.jsonl');
}

const lineStart = (path: string, index: number) => {
  const text = readFileSync(path);
  let off = 0;
  for (let i = 0; i < index; i++) off = text.indexOf(0x0a, off) + 1;
  return off;
};

test('a flipped byte in the last record is cut back with a warning naming file and offset', async (t) => {
  const dir = tempDir();
  const log = await logWith(dir, 5);
  const off = lineStart(log, 4);
  const bytes = readFileSync(log);
  const i = bytes.indexOf('blue', off);
  bytes[i] = 'g'.charCodeAt(0);
  writeFileSync(log, bytes);

  const { store, warned } = storeWithWarnings(dir);
  const state = await store.open();
  t.deepEqual(seqsOf(state.records), [1, 2, 3, 4]);
  t.is(state.warnings.length, 1);
  t.regex(state.warnings[0], new RegExp(`${log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: bad crc.* at offset ${off}, cut back`));
  t.is(warned.length, 1);
  t.is(warned[0].fields?.offset, off);
  t.is(warned[0].fields?.file, log);
  t.is(statSync(log).size, off);

  await store.append([rec(5)]);
  await store.close();
  const again = fileStore(dir);
  const after = await again.open();
  t.deepEqual(after.records, recs(1, 5));
  t.deepEqual(after.warnings, []);
  await again.close();
});

test('a torn, half-written last line is cut back', async (t) => {
  const dir = tempDir();
  const log = await logWith(dir, 3);
  const good = statSync(log).size;
  const half = encodeRecordLine(rec(4));
  appendFileSync(log, half.slice(0, half.length >> 1));

  const { store } = storeWithWarnings(dir);
  const state = await store.open();
  t.deepEqual(seqsOf(state.records), [1, 2, 3]);
  t.regex(state.warnings[0], new RegExp(`torn record .* at offset ${good}, cut back`));
  t.is(statSync(log).size, good);
  await store.append([rec(4)]);
  t.deepEqual(seqsOf(await store.readRange(1, 4)), [1, 2, 3, 4]);
  await store.close();
});

test('garbage in the middle cuts the log at the first bad record, dropping the good ones after it', async (t) => {
  const dir = tempDir();
  const log = await logWith(dir, 6);
  const off = lineStart(log, 2);
  const bytes = readFileSync(log);
  bytes.fill('#'.charCodeAt(0), off + 5, off + 25);
  writeFileSync(log, bytes);

  const { store, warned } = storeWithWarnings(dir);
  const state = await store.open();
  t.deepEqual(seqsOf(state.records), [1, 2]);
  t.regex(state.warnings[0], new RegExp(`at offset ${off}, cut back`));
  t.is(warned.length, 1);
  t.is(statSync(log).size, off);
  await store.close();
});

test('a record that does not continue the seq is treated as corrupt', async (t) => {
  const dir = tempDir();
  const log = await logWith(dir, 3);
  const off = statSync(log).size;
  appendFileSync(log, encodeRecordLine(rec(7)));
  const { store } = storeWithWarnings(dir);
  const state = await store.open();
  t.deepEqual(seqsOf(state.records), [1, 2, 3]);
  t.regex(state.warnings[0], new RegExp(`seq 7 does not continue 3 at offset ${off}`));
  await store.close();
});

test('group commit: concurrent appends share fsyncs and none resolves before its fsync', async (t) => {
  const dir = tempDir();
  const store = fileStore(dir, { fsync: 'always' });
  await store.open();
  const n = 200;
  const violations: number[] = [];
  const all = recs(1, n).map((r) =>
    store.append([r]).then(() => {
      if (store.stats.syncedSeq < r.seq) violations.push(r.seq);
    }),
  );
  await Promise.all(all);
  t.deepEqual(violations, []);
  t.is(store.stats.appends, n);
  t.true(store.stats.fsyncs < n, `fsyncs ${store.stats.fsyncs} should be fewer than ${n} appends`);
  t.true(store.stats.fsyncs >= 1);
  t.deepEqual(seqsOf(await store.readRange(1, n)), recs(1, n).map((r) => r.seq));
  await store.close();
});

test('fsync interval: appends resolve before the fsync, which the timer does later', async (t) => {
  const timers: (() => void)[] = [];
  const clock: Clock = {
    now: () => 0,
    setTimeout: (fn) => timers.push(fn),
    clearTimeout: () => {},
    track: (w) => w,
  };
  const dir = tempDir();
  const store = fileStore(dir, { fsync: 'interval', intervalMs: 50, clock });
  await store.open();
  await store.append(recs(1, 3));
  t.is(store.stats.fsyncs, 0);
  t.is(store.stats.writtenSeq, 3);
  timers.shift()!();
  await store.readRange(1, 1); // queued behind the timer's fsync
  t.is(store.stats.fsyncs, 1);
  t.is(store.stats.syncedSeq, 3);
  await store.close();
});

test('fsync never: appends resolve without any fsync and are read back after reopen', async (t) => {
  const dir = tempDir();
  let store = fileStore(dir, { fsync: 'never' });
  await store.open();
  await store.append(recs(1, 10));
  t.is(store.stats.fsyncs, 0);
  await store.close();
  store = fileStore(dir, { fsync: 'never' });
  t.deepEqual(seqsOf((await store.open()).records), seqsOf(recs(1, 10)));
  await store.close();
});

test('a directory used by another open store is refused with a clear error', async (t) => {
  const dir = tempDir();
  const a = fileStore(dir);
  await a.open();
  const b = fileStore(dir);
  await t.throwsAsync(b.open(), { message: new RegExp(`directory ${dir}.* already used by another open store`) });
  await a.close();
  await b.open();
  await b.close();
});

test('a lock held by another live process is refused; a stale one is taken over', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'LOCK'), `${process.ppid}\n`);
  await t.throwsAsync(fileStore(dir).open(), { message: new RegExp(`locked by process ${process.ppid}`) });
  writeFileSync(join(dir, 'LOCK'), '999999999\n');
  const s = fileStore(dir);
  await s.open();
  await s.close();
  t.pass();
});

test('the newest two snapshots are kept and the log keeps what the older one needs', async (t) => {
  const dir = tempDir();
  const s = fileStore(dir);
  await s.open();
  await s.append(recs(1, 30));
  await s.writeSnapshot(snap(10));
  await s.writeSnapshot(snap(20));
  await s.writeSnapshot(snap(25));
  const files = readdirSync(dir).filter((f) => f.startsWith('snapshot-')).sort();
  t.deepEqual(files, ['snapshot-20.json', 'snapshot-25.json']);
  t.deepEqual(seqsOf(await s.readRange(1, 30)), seqsOf(recs(21, 30)));
  await s.close();
});

test('a corrupt newest snapshot falls back to the older one with the log after it', async (t) => {
  const dir = tempDir();
  let s = fileStore(dir);
  await s.open();
  await s.append(recs(1, 30));
  await s.writeSnapshot(snap(10));
  await s.writeSnapshot(snap(20));
  await s.close();
  const path = join(dir, 'snapshot-20.json');
  writeFileSync(path, readFileSync(path, 'utf8').replace('upTo', 'upTX'));
  s = fileStore(dir);
  const state = await s.open();
  t.is(state.snapshot?.seq, 10);
  t.deepEqual(seqsOf(state.records), seqsOf(recs(11, 30)));
  t.regex(state.warnings[0], /snapshot-20\.json: corrupt snapshot \(bad crc/);
  await s.close();
});

test('a crash during compaction or a snapshot write leaves a recoverable directory', async (t) => {
  const dir = tempDir();
  await logWith(dir, 5);
  // What a crash leaves behind: a half-written compacted log and snapshot under temp names.
  writeFileSync(join(dir, 'log.jsonl.compact.tmp'), encodeRecordLine(rec(3)).slice(0, 20));
  writeFileSync(join(dir, 'snapshot-4.json.tmp'), '{"seq":4,');
  const s = fileStore(dir);
  const state = await s.open();
  t.deepEqual(seqsOf(state.records), [1, 2, 3, 4, 5]);
  t.deepEqual(state.warnings, []);
  t.false(readdirSync(dir).some((f) => f.endsWith('.tmp')));
  await s.close();
});

test('a log cut back below committedSeq reports the lower committedSeq', async (t) => {
  const dir = tempDir();
  let s = fileStore(dir);
  await s.open();
  await s.append(recs(1, 5));
  await s.setCommitted(5);
  await s.close();
  truncateSync(join(dir, 'log.jsonl'), lineStart(join(dir, 'log.jsonl'), 3) + 10);
  s = fileStore(dir);
  const state = await s.open();
  t.is(state.committedSeq, 3);
  t.is(state.warnings.length, 2);
  await s.close();
});

test('a log that starts after seq 1 without a snapshot is refused as unusable', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'log.jsonl'), recs(5, 6).map(encodeRecordLine).join(''));
  const s = fileStore(dir);
  const state = await s.open();
  t.deepEqual(state.records, []);
  t.regex(state.warnings[0], /log starts at seq 5 but there is no snapshot at offset 0/);
  await s.close();
});

test('operations before open fail with a clear error', async (t) => {
  const s = fileStore(tempDir());
  await t.throwsAsync(s.append([rec(1)]), { message: /not open/ });
  await t.throwsAsync(s.readRange(1, 2), { message: /not open/ });
});
