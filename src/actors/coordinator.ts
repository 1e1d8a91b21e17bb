/**
 * The update coordinator's work on the manager (SPEC section 4): numbering, shipping
 * (backup first, then everyone), retransmission, failure declaration and the commit rule.
 * The coordinator statechart (src/machines/coordinator.ts) says which phase allows what;
 * this class holds the in-flight updates those phases act on.
 */
import type { ClusterDb, Op, UpdateRecord } from '../db/types.js';
import { applyOp, checkCas } from '../db/ops.js';
import { GlupError } from '../errors.js';
import { chooseBackup, hasMajority, type QuorumMode } from '../machines/rules.js';
import type { Replica } from './replica.js';
import type { UpdateBody } from './messages.js';

export interface Submission {
  id: string;
  origin: string;
  op: Op;
}

interface InFlight {
  record: UpdateRecord;
  /** Members whose ack the commit needs (the membership after this update). */
  required: Set<string>;
  /**
   * Whose acks count toward the majority: the membership before AND after this update, so a
   * minority cannot commit an update that removes the majority (SPEC section 4).
   */
  quorumSet: Set<string>;
  acked: Set<string>;
  phase: 'backup' | 'all';
  backup: string | null;
  copies: Map<string, number>;
  lastSentAt: number;
}

/** What the coordinator needs from the node that hosts it. */
export interface CoordinatorHost {
  readonly self: string;
  readonly epoch: number;
  readonly quorum: QuorumMode;
  readonly glup: 'multicast' | 'unicast';
  readonly retransmitMs: number;
  readonly missedHeartbeats: number;
  now(): number;
  replica: Replica;
  sendTo(node: string, type: 'update' | 'commit', body: unknown): void;
  publishUpdate(type: 'update' | 'commit', body: unknown): void;
  /** The update is committed here (applied to node.db); tell the submitter. */
  committed(records: UpdateRecord[]): void;
  rejected(sub: Submission, error: GlupError): void;
  /** A retried submission that is already committed: tell the submitter its result again. */
  answered(sub: Submission, result: { seq: number; epoch: number }): void;
  /** The manager's own store refused an append. */
  storeFailed(seq: number, error: Error): void;
  /** A member never acked: its removal must be the next update. */
  declareFailed(node: string): void;
}

export class UpdateCoordinator {
  private readonly queue: Submission[] = [];
  private readonly inFlight: InFlight[] = [];
  readonly declaredFailed = new Set<string>();
  /** Sequencing is allowed only once recovery is over (the statechart's `active`). */
  active = false;
  readonly window = 64;

  constructor(private readonly host: CoordinatorHost) {}

  get inFlightCount(): number {
    return this.inFlight.length;
  }

  get queued(): number {
    return this.queue.length;
  }

  isQueued(id: string): boolean {
    return this.queue.some((q) => q.id === id);
  }

  /** Queues a submission; `front` puts system updates (removals, takeover) first. */
  submit(sub: Submission, front = false): void {
    const seq = this.host.replica.submissions.get(sub.id);
    if (seq !== undefined) {
      // a retry of something already sequenced: answer if committed, else the commit will
      if (seq <= this.host.replica.committedSeq) {
        // answer the submitter only: the update itself was delivered when it committed
        const rec = this.host.replica.recordAt(seq);
        this.host.answered(sub, { seq, epoch: rec?.epoch ?? this.host.epoch });
      }
      return;
    }
    if (this.queue.some((q) => q.id === sub.id)) return;
    if (front) this.queue.unshift(sub);
    else this.queue.push(sub);
  }

  /** Takeover: the records this node holds beyond its commit point commit first, in order. */
  resendHeld(): number {
    const held = this.host.replica.uncommitted();
    let db = this.host.replica.db;
    for (const record of held) {
      const prior = db;
      db = this.host.replica.tentativeAfter(record.seq) ?? db;
      const flight = this.track(record, db, prior, null);
      flight.acked.add(this.host.self);
      flight.phase = 'all';
    }
    if (held.length) this.ship(this.inFlight.slice(-held.length));
    return held.length;
  }

  /** Sequences queued submissions while the window has room. */
  sequence(): void {
    if (!this.active) return;
    // batching under load: while a batch is in flight, submissions queue up and leave
    // together (one log append, one update message) once it commits; idle, they leave at once
    if (this.inFlight.length) return;
    const batch: InFlight[] = [];
    while (this.queue.length && this.inFlight.length < this.window) {
      const sub = this.queue.shift()!;
      const flight = this.sequenceOne(sub);
      if (flight) batch.push(flight);
    }
    if (!batch.length) return;
    this.host.replica.persist(batch.map((f) => f.record)).then(
      () => {
        for (const f of batch) f.acked.add(this.host.self);
        this.advance();
      },
      // not durable here: never counted as acked, so nothing commits through this node
      (e) => this.host.storeFailed(batch[0]!.record.seq, e as Error),
    );
    const toBackup = batch.filter((f) => f.phase === 'backup');
    const toAll = batch.filter((f) => f.phase === 'all');
    if (toBackup.length) this.sendBackup(toBackup);
    if (toAll.length) this.ship(toAll);
  }

  private sequenceOne(sub: Submission): InFlight | null {
    const replica = this.host.replica;
    const before = replica.tentativeDb;
    const seq = replica.lastSeq + 1;
    let op = sub.op;
    let result: { db: ClusterDb; patches: UpdateRecord['patches'] };
    // a node being (re-)added is no longer one that failed
    if ('membership' in op) for (const n of op.membership.add ?? []) this.declaredFailed.delete(n.id);
    try {
      checkCas(before, op);
      op = this.withBackupChoice(before, op);
      result = applyOp(before, op, { origin: sub.origin, seq, epoch: this.host.epoch });
    } catch (e) {
      const err = e instanceof GlupError ? e : new GlupError('INVALID_OP', (e as Error).message);
      this.host.rejected(sub, err);
      return null;
    }
    const record: UpdateRecord = {
      epoch: this.host.epoch,
      seq,
      origin: sub.origin,
      id: sub.id,
      op,
      patches: result.patches,
      ts: this.host.now(),
    };
    const backup = before.meta.backup;
    const flight = this.track(record, result.db, before, backup && backup !== this.host.self && !this.declaredFailed.has(backup) ? backup : null);
    // into the log's memory now (the next op sequences on top of it); durable in sequence()
    replica.stage(record);
    return flight;
  }

  /**
   * Whenever the membership is left without a live backup and a qualified member exists,
   * the manager picks one at once — in the same update (SPEC section 3).
   */
  private withBackupChoice(before: ClusterDb, op: Op): Op {
    if (!('membership' in op)) return op;
    const m = op.membership;
    if (m.backup !== undefined) return op;
    const removed = new Set((m.remove ?? []).map((r) => r.id));
    const manager = m.manager ?? before.meta.manager ?? this.host.self;
    const current = before.meta.backup;
    if (current && !removed.has(current) && current !== manager && before.nodes[current]) return op;
    const members = new Map<string, { id: string; priority: number; qualified: boolean }>();
    for (const n of Object.values(before.nodes)) if (!removed.has(n.id)) members.set(n.id, n);
    for (const n of m.add ?? []) members.set(n.id, n);
    for (const id of this.declaredFailed) members.delete(id);
    return { membership: { ...m, backup: chooseBackup(members.values(), manager) } };
  }

  private track(record: UpdateRecord, after: ClusterDb, before: ClusterDb, backup: string | null): InFlight {
    const required = new Set(Object.keys(after.nodes));
    const flight: InFlight = {
      record,
      required,
      quorumSet: new Set([...Object.keys(before.nodes), ...required]),
      acked: new Set(),
      phase: backup ? 'backup' : 'all',
      backup,
      copies: new Map(),
      lastSentAt: this.host.now(),
    };
    this.inFlight.push(flight);
    return flight;
  }

  private body(flights: InFlight[]): UpdateBody {
    return { records: flights.map((f) => f.record), commitSeq: this.host.replica.committedSeq };
  }

  private sendBackup(flights: InFlight[]): void {
    const backup = flights[0]!.backup!;
    this.host.sendTo(backup, 'update', this.body(flights));
  }

  private ship(flights: InFlight[]): void {
    const now = this.host.now();
    for (const f of flights) {
      f.phase = 'all';
      f.lastSentAt = now;
    }
    const body = this.body(flights);
    if (this.host.glup === 'multicast') {
      this.host.publishUpdate('update', body);
    } else {
      const targets = new Set<string>();
      for (const f of flights) for (const m of f.required) if (m !== this.host.self) targets.add(m);
      for (const m of targets) this.host.sendTo(m, 'update', body);
    }
  }

  onAck(from: string, acks: { seq: number; id: string }[], upTo = 0): void {
    const promoted: InFlight[] = [];
    const ack = (f: InFlight) => {
      if (f.acked.has(from)) return;
      f.acked.add(from);
      if (f.phase === 'backup' && from === f.backup) promoted.push(f);
    };
    for (const a of acks) {
      const f = this.inFlight.find((x) => x.record.seq === a.seq);
      if (f && f.record.id === a.id) ack(f);
    }
    for (const f of this.inFlight) if (f.record.seq <= upTo) ack(f);
    // the backup holds them: now every member may get them (SPEC section 4)
    if (promoted.length) this.ship(promoted);
    this.advance();
  }

  /** Retransmits to members that have not acked; too many unanswered copies → failed. */
  onTick(): void {
    const now = this.host.now();
    for (const f of this.inFlight) {
      if (now - f.lastSentAt < this.host.retransmitMs) continue;
      f.lastSentAt = now;
      const targets =
        f.phase === 'backup'
          ? [f.backup!]
          : // everyone whose ack counts: a node this update removes may be needed for its majority
            [...f.quorumSet].filter((m) => !f.acked.has(m) && m !== this.host.self);
      for (const m of targets) {
        if (this.declaredFailed.has(m)) {
          // no longer waited for, but its ack still counts toward the majority: a node that
          // was only slow (or is rejoining) can still make the update commit
          this.host.sendTo(m, 'update', { records: [f.record], commitSeq: this.host.replica.committedSeq });
          continue;
        }
        const copies = (f.copies.get(m) ?? 1) + 1;
        f.copies.set(m, copies);
        if (copies > this.host.missedHeartbeats) {
          this.declare(m);
          continue;
        }
        this.host.sendTo(m, 'update', { records: [f.record], commitSeq: this.host.replica.committedSeq });
      }
      if (f.phase === 'backup' && f.backup && this.declaredFailed.has(f.backup)) this.ship([f]);
    }
    this.advance();
  }

  declare(node: string): void {
    if (node === this.host.self || this.declaredFailed.has(node)) return;
    this.declaredFailed.add(node);
    this.host.declareFailed(node);
  }

  /** Commits the in-flight head while the commit rule holds, in seq order. */
  advance(): void {
    const done: UpdateRecord[] = [];
    // a re-sent update may have been committed meanwhile by a commit notice of the previous
    // manager that was already on its way: nothing is left to wait for
    while (this.inFlight.length && this.inFlight[0]!.record.seq <= this.host.replica.committedSeq) this.inFlight.shift();
    while (this.inFlight.length) {
      const f = this.inFlight[0]!;
      if (f.record.seq !== this.host.replica.committedSeq + done.length + 1) break;
      if (!f.acked.has(this.host.self)) break;
      let waiting = false;
      for (const m of f.required) if (!f.acked.has(m) && !this.declaredFailed.has(m)) waiting = true;
      let ackedMembers = 0;
      for (const m of f.quorumSet) if (f.acked.has(m)) ackedMembers++;
      if (waiting || !hasMajority(ackedMembers, f.quorumSet.size, this.host.quorum)) break;
      this.inFlight.shift();
      done.push(f.record);
    }
    if (!done.length) return;
    const last = done[done.length - 1]!.seq;
    const records = this.host.replica.commitTo(last);
    const notice = { commitSeq: this.host.replica.committedSeq };
    if (this.host.glup === 'multicast') this.host.publishUpdate('commit', notice);
    else for (const m of Object.keys(this.host.replica.db.nodes)) if (m !== this.host.self) this.host.sendTo(m, 'commit', notice);
    this.host.committed(records);
    this.sequence();
  }

  /** Stops: pending submitters will retry at the next manager. */
  stop(): void {
    this.active = false;
    this.queue.length = 0;
    this.inFlight.length = 0;
  }
}
