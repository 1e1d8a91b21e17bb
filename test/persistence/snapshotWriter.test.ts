/**
 * The file store writes a snapshot beside its queue (issue 14): appends do not wait for a
 * write that costs the whole database, and what happens meanwhile (a reset, a cut below the
 * snapshot, a close) leaves the directory as the queue order says.
 */
import test from 'ava';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileStore } from '../../src/persistence/index.js';
import type { SnapshotRecord } from '../../src/persistence/store.js';
import { recs, seqsOf, snap } from './fixtures.js';

const dirs: string[] = [];
test.after.always(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'glup-snapw-'));
  dirs.push(d);
  return d;
}

/** A snapshot at `seq` whose database holds `keys` keys of 100 bytes (the ordering holds whatever the size: the install is queued only once the write is synced). */
function bigSnap(seq: number, keys: number): SnapshotRecord {
  const s = snap(seq);
  const big: Record<string, string> = {};
  for (let i = 0; i < keys; i++) big[`k${i}`] = 'x'.repeat(100);
  s.db.data = { ...s.db.data, big };
  return s;
}

test('an append made while a big snapshot is being written resolves before the snapshot is installed', async (t) => {
  const dir = tempDir();
  const s = fileStore(dir);
  await s.open();
  await s.append(recs(1, 10));
  const order: string[] = [];
  const snapshot = s.writeSnapshot(bigSnap(10, 5_000)).then(() => order.push('snapshot'));
  const append = s.append(recs(11, 11)).then(() => order.push('append'));
  await Promise.all([snapshot, append]);
  t.deepEqual(order, ['append', 'snapshot']);
  await s.close();
  const state = await fileStore(dir).open();
  t.is(state.snapshot?.seq, 10);
  t.is(Object.keys(state.snapshot!.db.data.big as object).length, 5_000);
  t.deepEqual(seqsOf(state.records), [11]);
});

test('a reset while a snapshot is being written drops the snapshot', async (t) => {
  const dir = tempDir();
  const s = fileStore(dir);
  await s.open();
  await s.append(recs(1, 5));
  const written = s.writeSnapshot(bigSnap(5, 1_000));
  await s.reset();
  await written;
  await s.close();
  const state = await fileStore(dir).open();
  t.is(state.snapshot, null);
  t.deepEqual(state.records, []);
  t.deepEqual(readdirSync(dir).filter((f) => f.startsWith('snapshot-')), [], 'no snapshot file, no temp file');
});

test('a cut below a snapshot being written drops it; a cut above it keeps it', async (t) => {
  const dir = tempDir();
  const s = fileStore(dir);
  await s.open();
  await s.append(recs(1, 8));
  const below = s.writeSnapshot(bigSnap(6, 1_000));
  await s.truncateAfter(4);
  await below;
  let state = await s.open();
  t.is(state.snapshot, null);
  t.deepEqual(seqsOf(state.records), [1, 2, 3, 4]);
  await s.append(recs(5, 8));
  const above = s.writeSnapshot(bigSnap(6, 1_000));
  await s.truncateAfter(7);
  await above;
  await s.close();
  state = await fileStore(dir).open();
  t.is(state.snapshot?.seq, 6);
  t.deepEqual(seqsOf(state.records), [7]);
});

test('close waits for a snapshot being written, so a reopen finds it', async (t) => {
  const dir = tempDir();
  const s = fileStore(dir);
  await s.open();
  await s.append(recs(1, 3));
  const written = s.writeSnapshot(bigSnap(3, 1_000));
  await s.close();
  await written;
  const state = await fileStore(dir).open();
  t.is(state.snapshot?.seq, 3);
  t.deepEqual(state.records, []);
});

test('a snapshot on a closed store is refused with a rejected promise, not a throw', async (t) => {
  const s = fileStore(tempDir());
  let p: Promise<void> | undefined;
  t.notThrows(() => {
    p = s.writeSnapshot(snap(1));
  });
  await t.throwsAsync(p!);
});
