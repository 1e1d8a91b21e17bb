import { mkdir, open, readdir, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { realClock, type Clock } from '../clock.js';
import type { UpdateRecord } from '../db/types.js';
import { silentLogger, type Logger } from '../log.js';
import { decodeRecord, decodeWithCrc, encodeRecordLine, encodeWithCrc, nextSeqAfter } from './record.js';
import type { RecoveredState, SnapshotRecord, Store } from './store.js';

/**
 * The embedded default store (SPEC section 6): one data directory per node.
 *
 *   log.jsonl            append-only, one crc-checked record per line (record.ts)
 *   snapshot-<seq>.json  crc-checked snapshots; the newest two are kept
 *   meta.json            { incarnation, committedSeq, epoch } (rename-replaced)
 *   actors.json          XState persisted snapshots, for inspection and replay
 *   LOCK                 pid of the process using the directory
 *
 * Crash safety: every file other than the log is written to a temp name, synced, renamed and
 * the directory synced, so a crash leaves either the old or the new file. The log is
 * appended in place; recovery cuts a torn or corrupt tail back to the last good record and
 * says so (warning naming file and byte offset). Compaction writes the kept suffix to a new
 * file and renames it over the log.
 *
 * The log keeps records after the *older* of the two kept snapshots, so that if the newest
 * snapshot turns out corrupt the older one plus the log still restore the same state.
 *
 * All operations run one at a time on a queue. Appends are grouped: every append that
 * arrives while a write+fsync is in flight joins the next one (group commit), and none
 * resolves before the fsync that covers it (policy `always`).
 */

export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface FileStoreOptions {
  /** `always` (default): fsync before an append resolves; `interval`: every intervalMs; `never`: OS buffers. */
  fsync?: FsyncPolicy;
  intervalMs?: number;
  logger?: Logger;
  /** Drives the `interval` timer; file I/O is registered with `clock.track` for virtual time. */
  clock?: Clock;
}

export interface FileStoreStats {
  /** append() calls that were written. */
  appends: number;
  /** write() calls on the log (one per group of appends). */
  writes: number;
  /** fdatasync calls on the log. */
  fsyncs: number;
  /** Highest seq written to the OS. */
  writtenSeq: number;
  /** Highest seq covered by a completed fsync. */
  syncedSeq: number;
}

export interface FileStore extends Store {
  readonly kind: 'file';
  readonly dir: string;
  readonly stats: FileStoreStats;
  /** The actor snapshots last saved (empty when none). */
  loadActorSnapshots(): Promise<Record<string, unknown>>;
}

const LOG_FILE = 'log.jsonl';
const META_FILE = 'meta.json';
const ACTORS_FILE = 'actors.json';
const LOCK_FILE = 'LOCK';
const SNAPSHOT_NAME = /^snapshot-(\d+)\.json$/;
const SNAPSHOTS_KEPT = 2;

/** Directories held by an open store in this process: a second store on one is an error. */
const dirsInUse = new Map<string, FileStoreImpl>();

export function fileStore(dir: string, opts: FileStoreOptions = {}): FileStore {
  return new FileStoreImpl(dir, opts);
}

interface PendingAppend {
  seqs: number[];
  lines: Buffer[];
  resolve: () => void;
  reject: (e: Error) => void;
}

interface AppendGroup {
  items: PendingAppend[];
}

class FileStoreImpl implements FileStore {
  readonly kind = 'file' as const;
  readonly dir: string;
  readonly stats: FileStoreStats = { appends: 0, writes: 0, fsyncs: 0, writtenSeq: 0, syncedSeq: 0 };

  private readonly policy: FsyncPolicy;
  private readonly intervalMs: number;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly logPath: string;

  private log: FileHandle | null = null;
  /** Seq of the first record in the log file, and the byte offset of every record. */
  private firstSeq = 1;
  private offsets: number[] = [];
  private size = 0;
  /** Valid snapshot seqs on disk, ascending. */
  private snapshots: number[] = [];
  private meta = { incarnation: 0, committedSeq: 0, epoch: 0 };
  private metaWrite: Promise<void> = Promise.resolve();

  private queue: Promise<unknown> = Promise.resolve();
  /** The append group still taking members: the queue's last task, not yet started. */
  private openGroup: AppendGroup | null = null;
  /** Set when a write or fsync failed: the file's state is unknown until reopened. */
  private broken: Error | null = null;
  private dirty = false;
  private timer: unknown = null;

  constructor(dir: string, opts: FileStoreOptions) {
    this.dir = resolve(dir);
    this.policy = opts.fsync ?? 'always';
    if (!['always', 'interval', 'never'].includes(this.policy)) {
      throw new Error(`fileStore(${this.dir}): fsync must be always, interval or never, got ${String(this.policy)}`);
    }
    this.intervalMs = opts.intervalMs ?? 100;
    this.logger = opts.logger ?? silentLogger();
    this.clock = opts.clock ?? realClock;
    this.logPath = join(this.dir, LOG_FILE);
  }

  // ---------------------------------------------------------------- Store interface

  open(): Promise<RecoveredState> {
    return this.clock.track(this.openNow());
  }

  append(records: UpdateRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    let group = this.openGroup;
    if (!group) {
      const g: AppendGroup = { items: [] };
      this.enqueue(() => this.writeGroup(g));
      this.openGroup = group = g;
    }
    const target = group;
    return this.clock.track(
      new Promise<void>((resolveAppend, rejectAppend) => {
        // Encoding now snapshots the records as they are at the call (the caller may mutate them later).
        const lines = records.map((r) => Buffer.from(encodeRecordLine(r)));
        target.items.push({ seqs: records.map((r) => r.seq), lines, resolve: resolveAppend, reject: rejectAppend });
      }),
    );
  }

  truncateAfter(seq: number): Promise<void> {
    return this.run(async () => {
      const log = this.requireOpen();
      if (this.offsets.length && this.lastSeq() > seq) {
        const keep = Math.max(0, seq - this.firstSeq + 1);
        const cut = keep < this.offsets.length ? this.offsets[keep] : this.size;
        await log.truncate(cut);
        await this.syncLog();
        this.offsets.length = keep;
        this.size = cut;
        this.stats.writtenSeq = Math.min(this.stats.writtenSeq, seq);
        this.stats.syncedSeq = Math.min(this.stats.syncedSeq, seq);
      }
      // A snapshot above the cut contains the divergent tail: it goes with it.
      const above = this.snapshots.filter((s) => s > seq);
      if (above.length) {
        for (const s of above) await rm(this.snapshotPath(s), { force: true });
        this.snapshots = this.snapshots.filter((s) => s <= seq);
        await syncDir(this.dir);
      }
    });
  }

  readRange(from: number, to: number): Promise<UpdateRecord[]> {
    return this.run(async () => {
      const log = this.requireOpen();
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
          throw new Error(`${this.logPath}: ${(e as Error).message} at offset ${start + lineStart} (changed on disk while open?)`);
        }
      });
      return out;
    });
  }

  writeSnapshot(snap: SnapshotRecord): Promise<void> {
    return this.run(async () => {
      this.requireOpen();
      await writeFileAtomic(this.snapshotPath(snap.seq), encodeWithCrc(snap), true);
      await syncDir(this.dir);
      this.snapshots = [...new Set([...this.snapshots, snap.seq])].sort((a, b) => a - b);
      for (const old of this.snapshots.slice(0, -SNAPSHOTS_KEPT)) await rm(this.snapshotPath(old), { force: true });
      this.snapshots = this.snapshots.slice(-SNAPSHOTS_KEPT);
      // Keep the records after the older kept snapshot (see the header); if the snapshot is
      // ahead of the whole log (taken over from the manager), the log is entirely covered.
      const keepAfter = snap.seq >= this.lastSeq() ? snap.seq : this.snapshots.length > 1 ? this.snapshots[0] : 0;
      await this.compact(keepAfter);
    });
  }

  setCommitted(seq: number): Promise<void> {
    this.meta.committedSeq = seq;
    return this.clock.track(this.saveMeta(false));
  }

  setIncarnation(incarnation: number): Promise<void> {
    this.meta.incarnation = incarnation;
    return this.clock.track(this.saveMeta(true));
  }

  setEpoch(epoch: number): Promise<void> {
    if (epoch <= this.meta.epoch) return Promise.resolve();
    this.meta.epoch = epoch;
    return this.clock.track(this.saveMeta(true));
  }

  saveActorSnapshots(snapshots: Record<string, unknown>): Promise<void> {
    return this.run(async () => {
      this.requireOpen();
      await writeFileAtomic(join(this.dir, ACTORS_FILE), JSON.stringify(snapshots), false);
    });
  }

  async loadActorSnapshots(): Promise<Record<string, unknown>> {
    try {
      return JSON.parse(await readFile(join(this.dir, ACTORS_FILE), 'utf8')) as Record<string, unknown>;
    } catch {
      return {};
    }
  }

  reset(): Promise<void> {
    return this.run(async () => {
      const log = this.requireOpen();
      await log.truncate(0);
      await this.syncLog();
      this.offsets = [];
      this.size = 0;
      this.firstSeq = 1;
      this.stats.writtenSeq = this.stats.syncedSeq = 0;
      for (const s of this.snapshots) await rm(this.snapshotPath(s), { force: true });
      this.snapshots = [];
      await rm(join(this.dir, ACTORS_FILE), { force: true });
      await syncDir(this.dir);
      // Incarnation survives: it counts restarts of the node, not of its log.
      this.meta.committedSeq = 0;
      await this.saveMeta(true);
    });
  }

  close(): Promise<void> {
    return this.clock.track(this.closeNow());
  }

  // ---------------------------------------------------------------- open and recovery

  private async openNow(): Promise<RecoveredState> {
    if (this.log) await this.closeNow();
    this.claimDir();
    try {
      return await this.recover();
    } catch (e) {
      this.releaseDir();
      throw e;
    }
  }

  private async recover(): Promise<RecoveredState> {
    const warnings: string[] = [];
    const warn = (msg: string, fields: Record<string, unknown>) => {
      warnings.push(msg);
      this.logger.warn(msg, fields);
    };
    await mkdir(this.dir, { recursive: true });
    await this.takeLockFile();
    for (const name of await readdir(this.dir)) {
      if (name.endsWith('.tmp')) await rm(join(this.dir, name), { force: true });
    }

    // Snapshots, newest first: the first that decodes is the base; a corrupt one is set aside.
    const names = (await readdir(this.dir)).filter((n) => SNAPSHOT_NAME.test(n));
    const seqs = names.map((n) => Number(SNAPSHOT_NAME.exec(n)![1])).sort((a, b) => b - a);
    let snapshot: SnapshotRecord | null = null;
    this.snapshots = [];
    for (const s of seqs) {
      const path = this.snapshotPath(s);
      try {
        const decoded = decodeWithCrc(await readFile(path, 'utf8')) as SnapshotRecord;
        if (decoded.seq !== s) throw new Error(`holds seq ${decoded.seq}`);
        snapshot ??= decoded;
        this.snapshots.unshift(s);
      } catch (e) {
        warn(`${path}: corrupt snapshot (${(e as Error).message}), set aside as ${path}.corrupt`, { file: path });
        await rename(path, `${path}.corrupt`);
      }
    }
    const base = snapshot?.seq ?? 0;

    // The log: every line must decode and continue the seq; the first one that does not
    // ends the usable log, and the file is cut back there.
    let buf: Buffer;
    try {
      buf = await readFile(this.logPath);
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
        warn(`${this.logPath}: ${problem} at offset ${pos}, cut back (${lost} bytes dropped)`, {
          file: this.logPath,
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
    this.log = await open(this.logPath, 'a+');
    if (cutAt !== null) {
      await this.log.truncate(cutAt);
      await this.log.datasync();
    }
    this.size = cutAt ?? buf.length;
    this.offsets = offsets;
    this.firstSeq = records.length ? records[0].seq : base + 1;
    await syncDir(this.dir);

    this.meta = await this.readMeta(warn);
    const held = Math.max(base, records.length ? records[records.length - 1].seq : 0);
    if (this.meta.committedSeq > held) {
      warn(`${join(this.dir, META_FILE)}: committedSeq ${this.meta.committedSeq} is beyond the recovered log (seq ${held}); using ${held}`, {
        file: join(this.dir, META_FILE),
      });
      this.meta.committedSeq = held;
    }

    this.broken = null;
    this.queue = Promise.resolve();
    this.openGroup = null;
    this.stats.writtenSeq = this.stats.syncedSeq = held;
    if (this.policy === 'interval') this.armInterval();
    return {
      snapshot,
      records: records.filter((r) => r.seq > base),
      committedSeq: this.meta.committedSeq,
      incarnation: this.meta.incarnation,
      epoch: this.meta.epoch,
      warnings,
    };
  }

  private async readMeta(warn: (msg: string, fields: Record<string, unknown>) => void) {
    const path = join(this.dir, META_FILE);
    try {
      const m = JSON.parse(await readFile(path, 'utf8')) as { incarnation?: unknown; committedSeq?: unknown; epoch?: unknown };
      const num = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0);
      return { incarnation: num(m.incarnation), committedSeq: num(m.committedSeq), epoch: num(m.epoch) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        warn(`${path}: unreadable meta (${(e as Error).message}); incarnation and committedSeq start at 0`, { file: path });
      }
      return { incarnation: 0, committedSeq: 0, epoch: 0 };
    }
  }

  // ---------------------------------------------------------------- appends

  /** Writes one group of appends with a single write and (policy `always`) a single fsync. */
  private async writeGroup(group: AppendGroup): Promise<void> {
    if (this.openGroup === group) this.openGroup = null;
    const items = group.items;
    try {
      const log = this.requireOpen();
      // Each append must continue the log; one that does not is refused alone.
      const accepted: PendingAppend[] = [];
      let expected = nextSeqAfter(this.offsets.length ? this.lastSeq() : null, this.snapshots.at(-1) ?? null);
      for (const item of items) {
        const bad = item.seqs.findIndex((s, i) => s !== expected + i);
        if (bad >= 0) {
          item.reject(
            new Error(
              `fileStore(${this.dir}): append out of order: record ${bad} has seq ${item.seqs[bad]}, expected ${expected + bad} (the log must stay gapless)`,
            ),
          );
          continue;
        }
        expected += item.seqs.length;
        accepted.push(item);
      }
      if (!accepted.length) return;
      const lines = accepted.flatMap((i) => i.lines);
      if (!this.offsets.length) this.firstSeq = accepted[0].seqs[0];
      let at = this.size;
      const newOffsets = lines.map((l) => {
        const o = at;
        at += l.length;
        return o;
      });
      const buf = Buffer.concat(lines);
      try {
        await writeFully(log, buf);
        this.stats.writes++;
      } catch (e) {
        this.fail(e as Error);
        // Part of the group may be on disk: cut it off so the file matches what we believe.
        await log.truncate(this.size).catch(() => {});
        throw e;
      }
      this.offsets.push(...newOffsets);
      this.size = at;
      this.stats.writtenSeq = expected - 1;
      this.dirty = true;
      if (this.policy === 'always') await this.syncLog();
      this.stats.appends += accepted.length;
      for (const item of accepted) item.resolve();
    } catch (e) {
      for (const item of items) item.reject(e as Error);
    }
  }

  private async syncLog(): Promise<void> {
    const log = this.requireOpen();
    const covers = this.stats.writtenSeq;
    try {
      await log.datasync();
    } catch (e) {
      // After a failed fsync the kernel may have dropped the dirty pages: nothing written
      // since the last good fsync can be trusted, so refuse everything until reopened.
      this.fail(e as Error);
      throw e;
    }
    this.stats.fsyncs++;
    this.stats.syncedSeq = covers;
    this.dirty = false;
  }

  private armInterval(): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (!this.log) return;
      if (this.dirty && !this.broken) {
        this.run(() => this.syncLog()).catch((e) => this.logger.error(`${this.logPath}: interval fsync failed`, { error: String(e) }));
      }
      this.armInterval();
    }, this.intervalMs);
  }

  private fail(e: Error): void {
    this.broken ??= new Error(`fileStore(${this.dir}): log write failed, reopen the store: ${e.message}`, { cause: e });
  }

  // ---------------------------------------------------------------- compaction

  /** Drops records with seq <= keepAfter by writing the rest to a new file and renaming it. */
  private async compact(keepAfter: number): Promise<void> {
    if (!this.offsets.length || keepAfter < this.firstSeq) return;
    const drop = Math.min(this.offsets.length, keepAfter - this.firstSeq + 1);
    const from = drop < this.offsets.length ? this.offsets[drop] : this.size;
    const kept = Buffer.alloc(this.size - from);
    await this.requireOpen().read(kept, 0, kept.length, from);
    const tmp = `${this.logPath}.compact.tmp`;
    await writeFileAtomic(tmp, kept, true, false);
    await this.log!.close();
    this.log = null;
    await rename(tmp, this.logPath);
    await syncDir(this.dir);
    this.log = await open(this.logPath, 'a+');
    this.offsets = this.offsets.slice(drop).map((o) => o - from);
    this.firstSeq += drop;
    this.size = kept.length;
  }

  // ---------------------------------------------------------------- meta, lock, close

  /** Meta writes are coalesced: each one writes the latest values. */
  private saveMeta(durable: boolean): Promise<void> {
    const path = join(this.dir, META_FILE);
    const next = this.metaWrite.then(async () => {
      await writeFileAtomic(path, JSON.stringify(this.meta), durable);
      if (durable) await syncDir(this.dir);
    });
    this.metaWrite = next.catch(() => {});
    return next;
  }

  private claimDir(): void {
    const holder = dirsInUse.get(this.dir);
    if (holder && holder !== this) {
      throw new Error(`fileStore: directory ${this.dir} is already used by another open store in this process (close it first)`);
    }
    dirsInUse.set(this.dir, this);
  }

  private releaseDir(): void {
    if (dirsInUse.get(this.dir) === this) dirsInUse.delete(this.dir);
  }

  /** Another process holding the directory is an error; a lock left by a dead one is taken over. */
  private async takeLockFile(): Promise<void> {
    const path = join(this.dir, LOCK_FILE);
    try {
      const pid = Number((await readFile(path, 'utf8')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new Error(`fileStore: directory ${this.dir} is locked by process ${pid} (${path}); stop it or remove the lock file`);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    await writeFile(path, `${process.pid}\n`);
  }

  private async closeNow(): Promise<void> {
    if (!this.log) return;
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    await this.queue.catch(() => {});
    await this.metaWrite;
    const log = this.log;
    if (this.policy === 'interval' && this.dirty && !this.broken) await log.datasync().catch(() => {});
    this.log = null;
    await log.close();
    await rm(join(this.dir, LOCK_FILE), { force: true });
    this.releaseDir();
  }

  // ---------------------------------------------------------------- helpers

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    this.openGroup = null;
    const p = this.queue.then(task);
    this.queue = p.catch(() => {});
    return p;
  }

  private run<T>(task: () => Promise<T>): Promise<T> {
    return this.clock.track(this.enqueue(task));
  }

  private requireOpen(): FileHandle {
    if (this.broken) throw this.broken;
    if (!this.log) throw new Error(`fileStore(${this.dir}): not open (call open() first)`);
    return this.log;
  }

  private lastSeq(): number {
    return this.firstSeq + this.offsets.length - 1;
  }

  private snapshotPath(seq: number): string {
    return join(this.dir, `snapshot-${seq}.json`);
  }
}

function forEachLine(buf: Buffer, fn: (start: number, end: number) => void): void {
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    const end = nl < 0 ? buf.length : nl;
    fn(pos, end);
    pos = end + 1;
  }
}

async function writeFully(fh: FileHandle, buf: Buffer): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done);
    done += bytesWritten;
  }
}

/** Temp file, optional fsync, rename: a crash leaves the old content or the new, never half. */
async function writeFileAtomic(path: string, data: string | Buffer, sync: boolean, renameIt = true): Promise<void> {
  const tmp = renameIt ? `${path}.tmp` : path;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    if (sync) await fh.sync();
  } finally {
    await fh.close();
  }
  if (renameIt) await rename(tmp, path);
}

/** Makes a rename or create durable (the directory entry itself must reach the disk). */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

