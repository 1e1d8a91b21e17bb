import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { realClock, type Clock } from '../clock.js';
import type { UpdateRecord } from '../db/types.js';
import { silentLogger, type Logger } from '../log.js';
import { acquireDirLock, type HeldLock } from './dirLock.js';
import { syncDir, writeFileAtomic } from './fileIo.js';
import { LogFile } from './fileLog.js';
import { SnapshotWriter } from './fileSnapshotWriter.js';
import type { FileStore, FileStoreOptions, FileStoreStats, FsyncPolicy } from './fileTypes.js';
import { MetaFile } from './fileMeta.js';
import { scanLog, scanSnapshots, snapshotPath } from './fileRecovery.js';
import { encodeRecordLine, encodeWithCrc, nextSeqAfter } from './record.js';
import type { RecoveredState, SnapshotRecord, Store } from './store.js';

/**
 * The embedded default store (SPEC section 6): one data directory per node.
 * The pieces: the log file (fileLog.ts), recovery (fileRecovery.ts), meta.json (fileMeta.ts),
 * the lock (dirLock.ts); this file orders the operations and owns the snapshots.
 *
 *   log.jsonl            append-only, one crc-checked record per line (record.ts)
 *   snapshot-<seq>.json  crc-checked snapshots; the newest two are kept
 *   meta.json            { incarnation, committedSeq, epoch } (rename-replaced)
 *   actors.json          XState persisted snapshots, for inspection and replay
 *   LOCK                 pid and host of the process using the directory (dirLock.ts)
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
 * Snapshots are written beside the queue (fileSnapshotWriter.ts): appends never wait behind them.
 */

export type { FileStore, FileStoreOptions, FileStoreStats, FsyncPolicy } from './fileTypes.js';

const LOG_FILE = 'log.jsonl';
const ACTORS_FILE = 'actors.json';
const LOCK_FILE = 'LOCK';
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

type Warn = (msg: string, fields: Record<string, unknown>) => void;

class FileStoreImpl implements FileStore {
  readonly kind = 'file' as const;
  readonly dir: string;
  readonly stats: FileStoreStats = { appends: 0, writes: 0, fsyncs: 0, writtenSeq: 0, syncedSeq: 0 };

  private readonly policy: FsyncPolicy;
  private readonly intervalMs: number;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly log: LogFile;
  /** Valid snapshot seqs on disk, ascending. */
  private snapshots: number[] = [];
  private readonly meta: MetaFile;
  private lock: HeldLock | null = null;

  private queue: Promise<unknown> = Promise.resolve();
  /** Snapshots written beside the queue (close waits for them). */
  private readonly snapshotWriter = new SnapshotWriter();
  /** The append group still taking members: the queue's last task, not yet started. */
  private openGroup: AppendGroup | null = null;
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
    this.log = new LogFile(join(this.dir, LOG_FILE), this.dir, this.stats);
    this.meta = new MetaFile(this.dir);
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
    this.snapshotWriter.cutAfter(seq);
    return this.run(async () => {
      await this.log.truncateAfter(seq);
      // A snapshot above the cut contains the divergent tail: it goes with it.
      const above = this.snapshots.filter((s) => s > seq);
      if (above.length) {
        for (const s of above) await rm(snapshotPath(this.dir, s), { force: true });
        this.snapshots = this.snapshots.filter((s) => s <= seq);
        await syncDir(this.dir);
      }
    });
  }

  readRange(from: number, to: number): Promise<UpdateRecord[]> {
    return this.run(() => this.log.read(from, to));
  }

  writeSnapshot(snap: SnapshotRecord): Promise<void> {
    const path = snapshotPath(this.dir, snap.seq);
    let text: string;
    try {
      text = (this.log.require(), encodeWithCrc(snap)); // the record as it is at the call
    } catch (e) {
      return Promise.reject(e);
    }
    return this.clock.track(this.snapshotWriter.write(snap.seq, path, text, (tmp, stale) => this.enqueue(() => this.installSnapshot(snap, tmp, path, stale))));
  }

  /** On the queue: the synced temp file becomes the snapshot, unless a reset or cut made it stale. */
  private async installSnapshot(snap: SnapshotRecord, tmp: string, path: string, stale: () => boolean): Promise<void> {
    if (stale() || !this.log.isOpen) {
      await rm(tmp, { force: true });
      return;
    }
    await rename(tmp, path);
    await syncDir(this.dir);
    this.snapshots = [...new Set([...this.snapshots, snap.seq])].sort((a, b) => a - b);
    for (const old of this.snapshots.slice(0, -SNAPSHOTS_KEPT)) await rm(snapshotPath(this.dir, old), { force: true });
    this.snapshots = this.snapshots.slice(-SNAPSHOTS_KEPT);
    // Keep the records after the older kept snapshot (see the header); if the snapshot is
    // ahead of the whole log (taken over from the manager), the log is entirely covered.
    const keepAfter = snap.seq >= this.log.lastSeq() ? snap.seq : this.snapshots.length > 1 ? this.snapshots[0] : 0;
    await this.log.compact(keepAfter);
  }

  setCommitted(seq: number): Promise<void> {
    this.meta.values.committedSeq = seq;
    return this.clock.track(this.meta.save(false));
  }

  setIncarnation(incarnation: number): Promise<void> {
    this.meta.values.incarnation = incarnation;
    return this.clock.track(this.meta.save(true));
  }

  setEpoch(epoch: number): Promise<void> {
    if (epoch <= this.meta.values.epoch) return Promise.resolve();
    this.meta.values.epoch = epoch;
    return this.clock.track(this.meta.save(true));
  }

  saveActorSnapshots(snapshots: Record<string, unknown>): Promise<void> {
    return this.run(async () => {
      this.log.require();
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
    this.snapshotWriter.resetAll();
    return this.run(async () => {
      await this.log.clear();
      for (const s of this.snapshots) await rm(snapshotPath(this.dir, s), { force: true });
      this.snapshots = [];
      await rm(join(this.dir, ACTORS_FILE), { force: true });
      await syncDir(this.dir);
      // Incarnation survives: it counts restarts of the node, not of its log.
      this.meta.values.committedSeq = 0;
      await this.meta.save(true);
    });
  }

  close(): Promise<void> {
    return this.clock.track(this.closeNow());
  }

  // ---------------------------------------------------------------- open and recovery

  private async openNow(): Promise<RecoveredState> {
    if (this.log.isOpen) await this.closeNow();
    this.claimDir();
    try {
      return await this.recover();
    } catch (e) {
      await this.log.close(false).catch(() => undefined);
      await this.lock?.release();
      this.lock = null;
      this.releaseDir();
      throw e;
    }
  }

  private async recover(): Promise<RecoveredState> {
    const warnings: string[] = [];
    const warn: Warn = (msg, fields) => {
      warnings.push(msg);
      this.logger.warn(msg, fields);
    };
    await mkdir(this.dir, { recursive: true });
    await this.takeLock(warn);
    for (const name of await readdir(this.dir)) {
      if (name.endsWith('.tmp')) await rm(join(this.dir, name), { force: true });
    }

    const { snapshot, seqs } = await scanSnapshots(this.dir, warn);
    this.snapshots = seqs;
    const base = snapshot?.seq ?? 0;
    const scan = await scanLog(this.log.path, snapshot, warn);
    await this.log.open(scan, base);
    await syncDir(this.dir);

    const meta = await this.meta.load(warn);
    const records = scan.records;
    const held = Math.max(base, records.length ? records[records.length - 1].seq : 0);
    if (meta.committedSeq > held) {
      warn(`${this.meta.path}: committedSeq ${meta.committedSeq} is beyond the recovered log (seq ${held}); using ${held}`, {
        file: this.meta.path,
      });
      meta.committedSeq = held;
    }

    this.queue = Promise.resolve();
    this.openGroup = null;
    this.stats.writtenSeq = this.stats.syncedSeq = held;
    if (this.policy === 'interval') this.armInterval();
    return {
      snapshot,
      records: records.filter((r) => r.seq > base),
      committedSeq: meta.committedSeq,
      incarnation: meta.incarnation,
      epoch: meta.epoch,
      warnings,
    };
  }

  // ---------------------------------------------------------------- appends

  /** Writes one group of appends with a single write and (policy `always`) a single fsync. */
  private async writeGroup(group: AppendGroup): Promise<void> {
    if (this.openGroup === group) this.openGroup = null;
    const items = group.items;
    try {
      this.log.require();
      // Each append must continue the log; one that does not is refused alone.
      const accepted: PendingAppend[] = [];
      const first = nextSeqAfter(this.log.count ? this.log.lastSeq() : null, this.snapshots.at(-1) ?? null);
      let expected = first;
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
      await this.log.write(
        accepted.flatMap((i) => i.lines),
        accepted[0].seqs[0],
        expected - 1,
      );
      if (this.policy === 'always') await this.log.sync();
      this.stats.appends += accepted.length;
      for (const item of accepted) item.resolve();
    } catch (e) {
      for (const item of items) item.reject(e as Error);
    }
  }

  private armInterval(): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (!this.log.isOpen) return;
      if (this.log.dirty && !this.log.isBroken) {
        this.run(() => this.log.sync()).catch((e) => this.logger.error(`${this.log.path}: interval fsync failed`, { error: String(e) }));
      }
      this.armInterval();
    }, this.intervalMs);
  }

  // ---------------------------------------------------------------- lock and close

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

  /** Another process holding the directory is an error; a lock left by a dead one is taken over with a warning. */
  private async takeLock(warn: Warn): Promise<void> {
    const path = join(this.dir, LOCK_FILE);
    this.lock = await acquireDirLock(path, this.dir);
    const was = this.lock.tookOverFrom;
    if (was) {
      warn(`${path}: took over the lock of process ${was.pid}${was.host ? ` on ${was.host}` : ''}, which no longer runs`, { file: path, pid: was.pid });
    }
  }

  private async closeNow(): Promise<void> {
    if (!this.log.isOpen) return;
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    await this.snapshotWriter.settled();
    await this.queue.catch(() => {});
    await this.meta.settled();
    await this.log.close(this.policy === 'interval');
    await this.lock?.release();
    this.lock = null;
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
}
