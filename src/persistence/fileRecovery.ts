import { readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { UpdateRecord } from '../db/types.js';
import { decodeRecord, decodeWithCrc } from './record.js';
import type { SnapshotRecord } from './store.js';

/**
 * Reading a file store's data directory back after a restart or a crash (SPEC section 6):
 * what can be trusted, and where the log must be cut. Nothing here writes, except that a
 * corrupt snapshot is renamed aside; the store applies the cut.
 */

export type Warn = (msg: string, fields: Record<string, unknown>) => void;

export const SNAPSHOT_NAME = /^snapshot-(\d+)\.json$/;

export function snapshotPath(dir: string, seq: number): string {
  return join(dir, `snapshot-${seq}.json`);
}

export interface ScannedSnapshots {
  /** The newest snapshot that decodes: the base of the recovered state. */
  snapshot: SnapshotRecord | null;
  /** Seqs of every valid snapshot on disk, ascending. */
  seqs: number[];
}

/** Snapshots, newest first: the first that decodes is the base; a corrupt one is set aside as `<name>.corrupt`. */
export async function scanSnapshots(dir: string, warn: Warn): Promise<ScannedSnapshots> {
  const names = (await readdir(dir)).filter((n) => SNAPSHOT_NAME.test(n));
  const seqs = names.map((n) => Number(SNAPSHOT_NAME.exec(n)![1])).sort((a, b) => b - a);
  let snapshot: SnapshotRecord | null = null;
  const valid: number[] = [];
  for (const s of seqs) {
    const path = snapshotPath(dir, s);
    try {
      const decoded = decodeWithCrc(await readFile(path, 'utf8')) as SnapshotRecord;
      if (decoded.seq !== s) throw new Error(`holds seq ${decoded.seq}`);
      snapshot ??= decoded;
      valid.unshift(s);
    } catch (e) {
      warn(`${path}: corrupt snapshot (${(e as Error).message}), set aside as ${path}.corrupt`, { file: path });
      await rename(path, `${path}.corrupt`);
    }
  }
  return { snapshot, seqs: valid };
}

export interface ScannedLog {
  /** Records that decode and continue each other, in file order. */
  records: UpdateRecord[];
  /** Byte offset of each of those records. */
  offsets: number[];
  /** Where the file must be cut (the first bad byte), or null when all of it is good. */
  cutAt: number | null;
  /** Length of the file as read. */
  length: number;
}

/**
 * The log: every line must decode and continue the seq; the first one that does not ends
 * the usable log, and the file is to be cut back there (with a warning naming file and offset).
 */
export async function scanLog(logPath: string, snapshot: SnapshotRecord | null, warn: Warn): Promise<ScannedLog> {
  const base = snapshot?.seq ?? 0;
  let buf: Buffer;
  try {
    buf = await readFile(logPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    buf = Buffer.alloc(0);
  }
  const records: UpdateRecord[] = [];
  const offsets: number[] = [];
  let cutAt: number | null = null;
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    let problem: string | null = null;
    if (nl < 0) {
      problem = `torn record (${buf.length - pos} bytes without a line end)`;
    } else {
      try {
        const r = decodeRecord(buf.toString('utf8', pos, nl));
        const prev = records.length ? records[records.length - 1].seq : null;
        if (prev !== null && r.seq !== prev + 1) problem = `seq ${r.seq} does not continue ${prev}`;
        else if (prev === null && r.seq > base + 1) {
          problem = `log starts at seq ${r.seq} but ${snapshot ? `the snapshot is at ${base}` : 'there is no snapshot'}`;
        } else records.push(r);
      } catch (e) {
        problem = (e as Error).message;
      }
    }
    if (problem) {
      cutAt = pos;
      const lost = buf.length - pos;
      warn(`${logPath}: ${problem} at offset ${pos}, cut back (${lost} bytes dropped)`, {
        file: logPath,
        offset: pos,
        bytesDropped: lost,
      });
      break;
    }
    offsets.push(pos);
    pos = nl + 1;
  }
  // A log wholly behind the snapshot (crash between snapshot and compaction, or a snapshot
  // taken over from the manager) would leave a gap before the next append: drop it.
  if (records.length && records[records.length - 1].seq < base) {
    cutAt = 0;
    records.length = 0;
    offsets.length = 0;
  }
  return { records, offsets, cutAt, length: buf.length };
}
