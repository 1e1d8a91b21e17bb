/**
 * A file store's data directory read offline and changed in nothing (`glup log`, like
 * etcd-dump-logs): the meta file, every snapshot with its crc checked, and every log record
 * with its crc checked, in the same decoders recovery uses (record.ts, fileRecovery.ts).
 * Recovery would cut a bad tail and set a bad snapshot aside; the dump reports them instead,
 * naming the file and the byte offset.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { UpdateRecord } from '../db/types.js';
import { decodeWithCrc } from './record.js';
import { scanLog, SNAPSHOT_NAME, snapshotPath } from './fileRecovery.js';
import type { SnapshotRecord } from './store.js';

export interface Corruption {
  file: string;
  offset: number;
  reason: string;
}

export interface SnapshotSummary {
  file: string;
  seq: number;
  epoch: number;
  members: string[];
}

export interface DataDirDump {
  dir: string;
  meta: { incarnation: number; committedSeq: number; epoch: number } | null;
  snapshots: SnapshotSummary[];
  /** Log records that decode and continue each other, with the byte offset of each. */
  records: { offset: number; record: UpdateRecord }[];
  /** Everything that did not check out; empty for a clean directory. */
  corruptions: Corruption[];
}

export async function dumpDataDir(dir: string): Promise<DataDirDump> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new Error(`${dir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (e as Error).message}`);
  }
  if (!names.includes('log.jsonl') && !names.includes('meta.json') && !names.some((n) => SNAPSHOT_NAME.test(n))) {
    throw new Error(`${dir}: not a glup data directory (no log.jsonl, meta.json or snapshot-<seq>.json)`);
  }
  const corruptions: Corruption[] = [];
  const meta = await readMeta(join(dir, 'meta.json'), corruptions);

  const snapshots: SnapshotSummary[] = [];
  let newest: SnapshotRecord | null = null;
  const seqs = names.map((n) => SNAPSHOT_NAME.exec(n)).filter((m) => m !== null).map((m) => Number(m[1])).sort((a, b) => a - b);
  for (const seq of seqs) {
    const file = snapshotPath(dir, seq);
    try {
      const snap = decodeWithCrc(await readFile(file, 'utf8')) as SnapshotRecord;
      if (snap.seq !== seq) throw new Error(`holds seq ${snap.seq}, not ${seq}`);
      snapshots.push({ file, seq, epoch: snap.epoch, members: Object.keys(snap.db?.nodes ?? {}) });
      newest = snap;
    } catch (e) {
      corruptions.push({ file, offset: 0, reason: `corrupt snapshot: ${(e as Error).message}` });
    }
  }

  const logPath = join(dir, 'log.jsonl');
  const scanned = await scanLog(logPath, newest, (_msg, fields) => {
    corruptions.push({ file: logPath, offset: Number(fields.offset ?? 0), reason: String(_msg).replace(`${logPath}: `, '').replace(/ at offset \d+, cut back.*$/, '') });
  });
  return {
    dir,
    meta,
    snapshots,
    records: scanned.records.map((record, i) => ({ offset: scanned.offsets[i]!, record })),
    corruptions,
  };
}

async function readMeta(path: string, corruptions: Corruption[]): Promise<DataDirDump['meta']> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const m = JSON.parse(text) as Record<string, unknown>;
    const num = (k: string) => (typeof m[k] === 'number' ? (m[k] as number) : 0);
    return { incarnation: num('incarnation'), committedSeq: num('committedSeq'), epoch: num('epoch') };
  } catch (e) {
    corruptions.push({ file: path, offset: 0, reason: `unreadable meta: ${(e as Error).message}` });
    return null;
  }
}
