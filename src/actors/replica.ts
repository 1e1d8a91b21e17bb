/**
 * A node's copy of the cluster: the committed database (`db`, what applications see), the
 * log held in memory since the newest snapshot (committed prefix + uncommitted tail) and the
 * store behind it. Every change to the log goes through here so that "append before ack"
 * and "commit in seq order" hold in one place.
 */
import type { ClusterDb, UpdateRecord } from '../db/types.js';
import { emptyDb } from '../db/types.js';
import { applyRecordPatches, freezeDb } from '../db/ops.js';
import { PendingDb, writesDataOnly } from '../db/pendingDb.js';
import { CommitViews } from './commitViews.js';
import type { SnapshotRecord, Store } from '../persistence/store.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { appended, committedTo, EMPTY_LOG, truncated, type LogIndex } from '../machines/rules/log.js';
import { previousWhileUncommitted, type MemberFacts } from '../machines/rules/membership.js';

export class Replica {
  /**
   * Committed database: a state of the committed prefix, never ahead of it. Its data writes
   * wait until it is read whole (src/db/pendingDb.ts); `committedShape` reads the rest.
   */
  private readonly committed: PendingDb;
  committedSeq = 0;
  /** Newest snapshot (covers seq <= snapshot.seq). */
  snapshot: SnapshotRecord | null = null;
  /** Records after the snapshot, gapless, committed and uncommitted. */
  private records: UpdateRecord[] = [];
  /** Database after every logged record, committed or not (the coordinator sequences on it). */
  private tentative: PendingDb;
  /**
   * The database right after each uncommitted record that was applied when it was logged
   * (one that changes members, roles or groups, or any record at open); a data record's
   * patches wait instead (src/db/pendingDb.ts). Committing reuses them instead of applying
   * the patches a second time. Cut with the tail they belong to (truncate, reset).
   */
  private readonly tentativeAt = new Map<number, ClusterDb>();
  /** Submission id → seq, for every logged record: a retried submission applies at most once. */
  readonly submissions = new Map<string, number>();
  incarnation = 0;
  /** Highest epoch this node voted in or led, as the store remembers it across restarts. */
  persistedEpoch = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /** The log's index as the protocol sees it (src/machines/rules/log.ts), kept in step with the records. */
  index: LogIndex = EMPTY_LOG;
  /** Seq of the newest record that changed the set of members (0: none held). */
  lastChangeSeq = 0;
  /** The membership before that change (its majority counts too while the change is uncommitted). */
  previousMembers: string[] = [];

  /** What ballots count besides the newest membership: the previous one while its change is uncommitted here. */
  uncommittedPrevious(): string[] {
    return previousWhileUncommitted({ lastChangeSeq: this.lastChangeSeq, log: { commitSeq: this.committedSeq }, previousMembers: this.previousMembers });
  }
  /** Seq of the newest committed record that changed the set of members (a snapshot's seq stands for what it covers). */
  committedChangeSeq = 0;
  /** Called after every change of the log (append, cut, commit, snapshot install). */
  onChange: () => void = () => {};

  constructor(
    private readonly cluster: string,
    readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly snapshotEvery: number,
  ) {
    this.committed = new PendingDb(freezeDb(emptyDb(cluster)));
    this.tentative = this.committed.clone();
  }

  get db(): ClusterDb {
    return this.committed.get();
  }

  set db(db: ClusterDb) {
    this.committed.set(db);
  }

  /** The committed members, roles, groups and epoch (all but data and meta.seq), without making the database whole. */
  get committedShape(): ClusterDb {
    return this.committed.shape;
  }

  get tentativeDb(): ClusterDb {
    return this.tentative.get();
  }

  set tentativeDb(db: ClusterDb) {
    this.tentative.set(db);
  }

  /** The newest members, roles and epoch in the log (all but data and meta.seq), without making the database whole. */
  get tentativeShape(): ClusterDb {
    return this.tentative.shape;
  }

  /** The database after every logged record, as the coordinator reads it (src/db/sequence.ts). */
  get tentativeView(): PendingDb {
    return this.tentative;
  }

  get lastSeq(): number {
    return this.records.length ? this.records[this.records.length - 1]!.seq : (this.snapshot?.seq ?? 0);
  }

  get firstHeldSeq(): number {
    return (this.snapshot?.seq ?? 0) + 1;
  }

  recordAt(seq: number): UpdateRecord | undefined {
    const first = this.records[0];
    if (!first) return undefined;
    return this.records[seq - first.seq];
  }

  /** The last record's identity, used to detect a divergent tail on rejoin. */
  lastIdentity(): { seq: number; epoch: number; id: string } {
    const last = this.records[this.records.length - 1];
    if (last) return { seq: last.seq, epoch: last.epoch, id: last.id };
    return { seq: this.snapshot?.seq ?? 0, epoch: this.snapshot?.epoch ?? 0, id: '' };
  }

  /** Records in [from, to] still held in memory (uncommitted ones included). */
  range(from: number, to: number): UpdateRecord[] {
    const first = this.records[0];
    if (!first || to < from) return [];
    const lo = Math.max(from, first.seq) - first.seq;
    const hi = Math.min(to, this.lastSeq) - first.seq;
    return hi < lo ? [] : this.records.slice(lo, hi + 1);
  }

  uncommitted(): UpdateRecord[] {
    return this.range(this.committedSeq + 1, this.lastSeq);
  }

  /** Runs store work one operation at a time, visible to the virtual clock. */
  serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return this.clock.track(next);
  }

  async open(): Promise<string[]> {
    const rec = await this.clock.track(this.store.open());
    this.incarnation = rec.incarnation + 1;
    this.persistedEpoch = rec.epoch ?? 0;
    await this.clock.track(this.store.setIncarnation(this.incarnation));
    this.snapshot = rec.snapshot;
    this.db = freezeDb(rec.snapshot ? rec.snapshot.db : emptyDb(this.cluster));
    this.committedSeq = rec.snapshot?.seq ?? 0;
    this.committedChangeSeq = this.committedSeq;
    for (const id of rec.snapshot?.submissions ?? []) this.submissions.set(id, rec.snapshot!.seq);
    this.records = [];
    this.tentativeAt.clear();
    this.tentative = this.committed.clone();
    // the records continue the snapshot: the index must start there, or the first record
    // after a snapshot "does not continue 0" and the node cannot reopen its own log
    this.index = { snapshotSeq: this.snapshot?.seq ?? 0, snapshotEpoch: this.snapshot?.epoch ?? 0, lastSeq: this.snapshot?.seq ?? 0, runs: [], commitSeq: this.committedSeq };
    // as appended records: data writes wait, so a restart is not O(records × database) (issue 14)
    for (const r of rec.records) this.hold(r);
    // entries up to the recorded commit point are committed; the rest wait for the manager
    this.applyCommitted(Math.min(rec.committedSeq, this.lastSeq));
    this.rebuildIndex();
    for (const w of rec.warnings) this.logger.warn(w);
    return rec.warnings;
  }

  private pushRecord(r: UpdateRecord, after?: ClusterDb): void {
    // patches that do not apply leave the log untouched (the caller learns of it)
    const next = after ?? applyRecordPatches(this.tentativeDb, r.patches);
    if (changesMembers(this.tentativeDb, next)) {
      this.lastChangeSeq = r.seq;
      this.previousMembers = Object.keys(this.tentativeDb.nodes);
    }
    this.records.push(r);
    this.tentativeDb = next;
    this.tentativeAt.set(r.seq, next);
    this.submissions.set(r.id, r.seq);
    this.index = appended(this.index, [{ seq: r.seq, epoch: r.epoch }]);
  }

  /** The newest membership in the log (committed or not), as the protocol counts it. */
  newestMembers(): Record<string, MemberFacts> {
    const nodes = this.tentative.shape.nodes;
    if (this.membersCache?.nodes === nodes) return this.membersCache.facts;
    const facts: Record<string, MemberFacts> = {};
    for (const n of Object.values(nodes)) facts[n.id] = { qualified: n.qualified, priority: n.priority, incarnation: n.incarnation };
    this.membersCache = { nodes, facts };
    return facts;
  }

  private membersCache: { nodes: ClusterDb['nodes']; facts: Record<string, MemberFacts> } | null = null;

  private rebuildIndex(): void {
    let index: LogIndex = { snapshotSeq: this.snapshot?.seq ?? 0, snapshotEpoch: this.snapshot?.epoch ?? 0, lastSeq: this.snapshot?.seq ?? 0, runs: [], commitSeq: this.committedSeq };
    index = appended(index, this.records.map((r) => ({ seq: r.seq, epoch: r.epoch })));
    this.index = committedTo(index, this.committedSeq);
    let db = this.db;
    this.lastChangeSeq = 0;
    this.previousMembers = [];
    for (const r of this.range(this.committedSeq + 1, this.lastSeq)) {
      const next = applyRecordPatches(db, r.patches);
      if (changesMembers(db, next)) {
        this.lastChangeSeq = r.seq;
        this.previousMembers = Object.keys(db.nodes);
      }
      db = next;
    }
  }

  /** Appends records that continue the log; resolves once the store holds them durably. */
  append(records: UpdateRecord[]): Promise<void> {
    this.stageBatch(records);
    return this.persist(records);
  }

  /** Adds records that continue the log, in memory only (see `stage`). */
  stageBatch(records: readonly UpdateRecord[]): void {
    for (const r of records) this.stage(r);
  }

  /**
   * Adds a record to the log in memory only (the coordinator sequences the next update on
   * top of it at once); `persist` makes a batch of staged records durable in one append.
   * `after`: the database the record's patches make of `tentativeDb`, when the caller has
   * it already (the coordinator made the patches by producing it).
   */
  stage(r: UpdateRecord, after?: ClusterDb): void {
    if (r.seq !== this.lastSeq + 1) throw new Error(`log gap: appending seq ${r.seq} after ${this.lastSeq}`);
    this.hold(r, after);
    this.onChange();
  }

  /** Adds a record to the log in memory: a data record's patches wait in the tentative database. */
  private hold(r: UpdateRecord, after?: ClusterDb): void {
    if (!after && writesDataOnly(r.patches)) {
      // nothing it changes is counted per record
      this.records.push(r);
      this.tentative.defer(r.patches);
      this.submissions.set(r.id, r.seq);
      this.index = appended(this.index, [{ seq: r.seq, epoch: r.epoch }]);
    } else this.pushRecord(r, after);
  }

  persist(records: UpdateRecord[]): Promise<void> {
    return this.serial(() => this.store.append(records));
  }

  /** Drops the uncommitted tail after `seq` (the manager's log wins). */
  truncateAfter(seq: number): Promise<void> {
    if (seq < this.committedSeq) throw new Error(`refusing to truncate committed seq ${this.committedSeq} back to ${seq}`);
    const first = this.records[0];
    if (first && seq < this.lastSeq) {
      const dropped = this.records.splice(seq - first.seq + 1);
      for (const r of dropped) {
        this.submissions.delete(r.id);
        this.tentativeAt.delete(r.seq);
      }
      this.rebuildTentative();
      this.rebuildIndex();
      this.onChange();
    }
    return this.serial(() => this.store.truncateAfter(seq));
  }

  /** The tentative database after a cut or a snapshot: the committed one and the records still held after it. */
  private rebuildTentative(): void {
    this.tentative = this.tentativeUpTo(this.lastSeq);
  }

  /** The committed database and the held records up to `seq` on top, their data writes waiting. */
  private tentativeUpTo(seq: number): PendingDb {
    const at = this.committed.clone();
    for (const r of this.range(this.committedSeq + 1, seq)) {
      const made = this.tentativeAt.get(r.seq);
      if (made) at.set(made);
      else at.defer(r.patches);
    }
    return at;
  }

  /** The database after every held record up to `seq` (made whole: for tests and tools). */
  tentativeAfter(seq: number): ClusterDb | undefined {
    if (seq < this.committedSeq || seq > this.lastSeq) return undefined;
    return seq === this.lastSeq ? this.tentativeDb : this.tentativeUpTo(seq).get();
  }

  /** Remembers durably that this node votes in or leads `epoch`; resolves once it is stored. */
  persistEpoch(epoch: number): Promise<void> {
    if (epoch <= this.persistedEpoch) return Promise.resolve();
    this.persistedEpoch = epoch;
    return this.serial(() => this.store.setEpoch(epoch));
  }

  /** Commits held records up to `seq` in order; returns the newly committed records. */
  commitTo(seq: number): UpdateRecord[] {
    const upTo = Math.min(seq, this.lastSeq);
    if (upTo <= this.committedSeq) return [];
    const done = this.applyCommitted(upTo);
    const committed = this.committedSeq;
    this.index = committedTo(this.index, committed);
    void this.serial(() => this.store.setCommitted(committed));
    if (committed - (this.snapshot?.seq ?? 0) >= this.snapshotEvery) this.takeSnapshot();
    this.onChange();
    return done;
  }

  private readonly views = new CommitViews();

  /**
   * The database right after a record of the last commitTo (membership events, process-group
   * views, the simulator), made when asked for; valid until the next commit.
   */
  committedDbAt(seq: number): ClusterDb {
    return this.views.at(seq) ?? this.db;
  }

  private applyCommitted(upTo: number): UpdateRecord[] {
    const done = this.range(this.committedSeq + 1, upTo);
    this.views.begin(this.committed.state(), done);
    for (const r of done) {
      const next = this.tentativeAt.get(r.seq);
      if (next === undefined) {
        // a data record: its patches wait in the committed database too
        this.committed.defer(r.patches);
        continue;
      }
      // a record that changes members, roles or groups was made whole when it was logged
      this.tentativeAt.delete(r.seq);
      if (changesMembers(this.committed.shape, next)) this.committedChangeSeq = r.seq;
      this.committed.set(next);
      this.views.add(r.seq, next);
    }
    this.committedSeq = Math.max(this.committedSeq, upTo);
    return done;
  }

  private takeSnapshot(): void {
    const snap: SnapshotRecord = {
      seq: this.committedSeq,
      epoch: this.recordAt(this.committedSeq)?.epoch ?? this.db.meta.epoch,
      db: this.db,
      submissions: [...this.submissions.keys()],
    };
    this.snapshot = snap;
    const first = this.records[0];
    if (first) this.records = this.records.slice(snap.seq - first.seq + 1);
    // the committed database was just made whole: the tentative one starts again from it, so
    // its own waiting writes never need a second whole copy of the data
    this.rebuildTentative();
    this.index = { ...this.index, snapshotSeq: snap.seq, snapshotEpoch: snap.epoch, runs: this.index.runs.filter(([f], i, runs) => f > snap.seq || (runs[i + 1]?.[0] ?? Infinity) > snap.seq) };
    // started in order (every earlier append has reached the store) but not waited for: the
    // store writes it beside its appends, so the updates behind it do not wait for a write
    // that costs the whole database
    void this.serial(async () => {
      this.clock.track(this.store.writeSnapshot(snap)).catch((e) => this.logger.warn('snapshot not written; the log still holds its records', { seq: snap.seq, error: String(e) }));
    });
  }

  /** Replaces everything with a snapshot from the manager (divergent or too far behind). */
  resetTo(snap: SnapshotRecord): Promise<void> {
    this.snapshot = snap;
    this.records = [];
    this.tentativeAt.clear();
    this.views.clear();
    this.committed.set(freezeDb(snap.db));
    this.tentative = this.committed.clone();
    this.committedSeq = snap.seq;
    this.committedChangeSeq = snap.seq;
    this.submissions.clear();
    for (const id of snap.submissions ?? []) this.submissions.set(id, snap.seq);
    this.rebuildIndex();
    this.onChange();
    return this.serial(async () => {
      await this.store.reset();
      await this.store.setIncarnation(this.incarnation);
      await this.store.writeSnapshot(snap);
      await this.store.setCommitted(snap.seq);
    });
  }

  /** A snapshot of the committed state, for a newcomer or a node too far behind. */
  committedSnapshot(): SnapshotRecord {
    const ids: string[] = [];
    for (const [id, seq] of this.submissions) if (seq <= this.committedSeq) ids.push(id);
    return { seq: this.committedSeq, epoch: this.recordAt(this.committedSeq)?.epoch ?? this.snapshot?.epoch ?? this.db.meta.epoch, db: this.db, submissions: ids };
  }
}

/** Whether the set of member ids differs between two databases. */
function changesMembers(before: ClusterDb, after: ClusterDb): boolean {
  if (before.nodes === after.nodes) return false;
  const a = Object.keys(before.nodes);
  const b = Object.keys(after.nodes);
  return a.length !== b.length || a.some((id) => !Object.hasOwn(after.nodes, id));
}
