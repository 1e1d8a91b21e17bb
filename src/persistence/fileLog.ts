import { open, rename, type FileHandle } from 'node:fs/promises';
import type { LogStats } from './logStats.js';

export type { LogStats } from './logStats.js';
import type { UpdateRecord } from '../db/types.js';
import { forEachLine, syncDir, withPath, writeFileAtomic, writeFully } from './fileIo.js';
import type { ScannedLog } from './fileRecovery.js';
import { decodeRecord } from './record.js';

/**
 * The file store's append-only log file (`log.jsonl`): the open handle, the byte offset of
 * every record it holds, and what has been written and synced. The store decides what to
 * write and when; this class keeps the file and its index in agreement, and once a write or
 * fsync has failed it refuses everything (the file's state is unknown) until reopened.
 */
export class LogFile {
  private handle: FileHandle | null = null;
  /** Seq of the first record in the file, and the byte offset of every record. */
  firstSeq = 1;
  private offsets: number[] = [];
  private size = 0;
  /** Set when a write or fsync failed. */
  private broken: Error | null = null;
  /** Written since the last fsync. */
  dirty = false;

  constructor(
    readonly path: string,
    private readonly dir: string,
    private readonly stats: LogStats,
  ) {}

  get isOpen(): boolean {
    return this.handle !== null;
  }

  get isBroken(): boolean {
    return this.broken !== null;
  }

  /** Records held. */
  get count(): number {
    return this.offsets.length;
  }

  lastSeq(): number {
    return this.firstSeq + this.offsets.length - 1;
  }

  /** Opens the file as recovery found it, cutting it back where recovery said. `base` is the snapshot's seq. */
  async open(scan: ScannedLog, base: number): Promise<void> {
    this.handle = await open(this.path, 'a+');
    if (scan.cutAt !== null) {
      await this.handle.truncate(scan.cutAt);
      await this.handle.datasync();
    }
    this.size = scan.cutAt ?? scan.length;
    this.offsets = scan.offsets;
    this.firstSeq = scan.records.length ? scan.records[0].seq : base + 1;
    this.broken = null;
  }

  /** The handle, or the reason there is none to use. */
  require(): FileHandle {
    if (this.broken) throw this.broken;
    if (!this.handle) throw new Error(`fileStore(${this.dir}): not open (call open() first)`);
    return this.handle;
  }

  async read(from: number, to: number): Promise<UpdateRecord[]> {
    const log = this.require();
    const lo = Math.max(from, this.firstSeq);
    const hi = Math.min(to, this.lastSeq());
    if (!this.offsets.length || lo > hi) return [];
    const start = this.offsets[lo - this.firstSeq];
    const end = hi - this.firstSeq + 1 < this.offsets.length ? this.offsets[hi - this.firstSeq + 1] : this.size;
    const buf = Buffer.alloc(end - start);
    await log.read(buf, 0, buf.length, start);
    const out: UpdateRecord[] = [];
    forEachLine(buf, (lineStart, lineEnd) => {
      try {
        out.push(decodeRecord(buf.toString('utf8', lineStart, lineEnd)));
      } catch (e) {
        throw new Error(`${this.path}: ${(e as Error).message} at offset ${start + lineStart} (changed on disk while open?)`);
      }
    });
    return out;
  }

  /** Writes the lines of records `first`..`last` (consecutive, continuing the log) with one write. */
  async write(lines: Buffer[], first: number, last: number): Promise<void> {
    const log = this.require();
    if (!this.offsets.length) this.firstSeq = first;
    let at = this.size;
    const newOffsets = lines.map((l) => {
      const o = at;
      at += l.length;
      return o;
    });
    try {
      await writeFully(log, Buffer.concat(lines));
      this.stats.writes++;
    } catch (e) {
      withPath(e, this.path);
      this.fail(e as Error);
      // Part of the group may be on disk: cut it off so the file matches what we believe.
      await log.truncate(this.size).catch(() => {});
      throw withPath(e, this.path);
    }
    this.offsets.push(...newOffsets);
    this.size = at;
    this.stats.writtenSeq = last;
    this.dirty = true;
  }

  async sync(): Promise<void> {
    const log = this.require();
    const covers = this.stats.writtenSeq;
    try {
      await log.datasync();
    } catch (e) {
      withPath(e, this.path);
      // After a failed fsync the kernel may have dropped the dirty pages: nothing written
      // since the last good fsync can be trusted, so refuse everything until reopened.
      this.fail(e as Error);
      throw withPath(e, this.path);
    }
    this.stats.fsyncs++;
    this.stats.syncedSeq = covers;
    this.dirty = false;
  }

  /** Drops every record with seq > `seq`. */
  async truncateAfter(seq: number): Promise<void> {
    const log = this.require();
    if (!this.offsets.length || this.lastSeq() <= seq) return;
    const keep = Math.max(0, seq - this.firstSeq + 1);
    const cut = keep < this.offsets.length ? this.offsets[keep] : this.size;
    await log.truncate(cut);
    await this.sync();
    this.offsets.length = keep;
    this.size = cut;
    this.stats.writtenSeq = Math.min(this.stats.writtenSeq, seq);
    this.stats.syncedSeq = Math.min(this.stats.syncedSeq, seq);
  }

  /** Empties the file. */
  async clear(): Promise<void> {
    await this.require().truncate(0);
    await this.sync();
    this.offsets = [];
    this.size = 0;
    this.firstSeq = 1;
    this.stats.writtenSeq = this.stats.syncedSeq = 0;
  }

  /** Drops records with seq <= keepAfter by writing the rest to a new file and renaming it. */
  async compact(keepAfter: number): Promise<void> {
    if (!this.offsets.length || keepAfter < this.firstSeq) return;
    const drop = Math.min(this.offsets.length, keepAfter - this.firstSeq + 1);
    const from = drop < this.offsets.length ? this.offsets[drop] : this.size;
    const kept = Buffer.alloc(this.size - from);
    await this.require().read(kept, 0, kept.length, from);
    const tmp = `${this.path}.compact.tmp`;
    await writeFileAtomic(tmp, kept, true, false);
    await this.handle!.close();
    this.handle = null;
    await rename(tmp, this.path);
    await syncDir(this.dir);
    this.handle = await open(this.path, 'a+');
    this.offsets = this.offsets.slice(drop).map((o) => o - from);
    this.firstSeq += drop;
    this.size = kept.length;
  }

  /** Closes the file; `syncFirst` flushes what an `interval` policy has not synced yet. */
  async close(syncFirst: boolean): Promise<void> {
    const log = this.handle;
    if (!log) return;
    if (syncFirst && this.dirty && !this.broken) await log.datasync().catch(() => {});
    this.handle = null;
    await log.close();
  }

  private fail(e: Error): void {
    this.broken ??= new Error(`fileStore(${this.dir}): log write failed, reopen the store: ${e.message}`, { cause: e });
  }
}
