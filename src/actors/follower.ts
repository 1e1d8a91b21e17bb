/**
 * The member side of GLUP (SPEC section 4): a node following its manager. Records are logged
 * in seq order before they are acked; a duplicate is acked and ignored; a gap is buffered and
 * fetched; a divergent uncommitted tail is replaced by the manager's; and only what the
 * manager it follows has confirmed, contiguously, may commit here.
 */
import type { Envelope } from '../bus/envelope.js';
import type { MessageType } from '../bus/messageTypes.js';
import type { Clock } from '../clock.js';
import type { UpdateRecord } from '../db/types.js';
import type { Logger } from '../log.js';
import type * as M from './messages.js';
import type { Replica } from './replica.js';

/** What following a manager needs from the node. */
export interface FollowerHost {
  readonly id: string;
  readonly clock: Clock;
  readonly replica: Replica;
  readonly logger: Logger;
  readonly retransmitMs: number;
  readonly updateTimeoutMs: number;
  /** The manager this node follows (shared with the rest of the node). */
  managerId: string | null;
  /** This node runs a coordinator: it ignores other managers' updates and commit notices. */
  isManaging(): boolean;
  isMember(): boolean;
  isStopped(): boolean;
  /** Fencing check of a manager message (raises the highest epoch seen). */
  fenced(env: Envelope): boolean;
  sendTo(node: string, type: MessageType, body: unknown): void;
  /** Records committed here, in order. */
  committed(records: UpdateRecord[]): void;
  reportConflicts(winnerIds: string[], manager: string, epoch: number): void;
  /** A join-accept was applied: the node may already be a member of what it holds. */
  caughtUp(): void;
}

export class Follower {
  /** Highest seq of this node's log confirmed by the manager it follows, contiguously. */
  confirmedUpTo = 0;
  private readonly buffered = new Map<number, UpdateRecord>();
  private lastFetchAt = -Infinity;
  private work: Promise<unknown> = Promise.resolve();
  private readonly fetchWaiters = new Set<() => void>();
  /** The node a new manager catches up from: its records up to its commit point are committed. */
  private fetchCommitted: string | null = null;

  /** Epoch of the manager followed: a new manager, or a new epoch, resets what is confirmed. */
  followedEpoch = 0;

  constructor(private readonly host: FollowerHost) {}

  /**
   * Follows a manager. Whenever the manager (or its epoch) changes, only what the new one
   * confirms may commit here: an uncommitted tail written under another manager — or by this
   * node while it was manager — is never committed by a later commit notice.
   */
  follow(manager: string, epoch: number): void {
    if (manager === this.host.managerId && epoch === this.followedEpoch) return;
    this.host.managerId = manager;
    this.followedEpoch = epoch;
    this.resetConfirmed();
  }

  onJoinAccept(env: Envelope, b: M.JoinAcceptBody): void {
    if (this.host.fenced(env) || this.host.isMember()) return;
    this.follow(env.from, env.epoch);
    this.enqueue(async () => {
      const r = this.host.replica;
      // a snapshot replaces a log that is behind it or whose uncommitted tail the manager refused
      if (b.snapshot && (b.snapshot.seq > r.committedSeq || (b.snapshot.seq === r.committedSeq && r.lastSeq > r.committedSeq))) {
        this.host.reportConflicts(b.snapshot.submissions ?? [], env.from, env.epoch);
        await r.resetTo(b.snapshot);
        this.resetConfirmed();
      }
      await this.applyRecords(env.from, b.records, b.commitSeq);
      this.commitTo(b.commitSeq);
      // a joiner already up to date commits nothing new: its membership is checked here
      this.host.caughtUp();
    });
  }

  enqueue(work: () => Promise<void> | void): void {
    const next = this.work.then(work).catch((e) => this.host.logger.error('update processing failed', { error: String((e as Error).stack ?? e) }));
    this.work = next;
    void this.host.clock.track(next);
  }

  onUpdate(env: Envelope, b: M.UpdateBody): void {
    if (env.from === this.host.id) return;
    if (this.host.fenced(env)) return;
    if (this.host.isManaging()) return;
    this.follow(env.from, env.epoch);
    this.enqueue(async () => {
      const acks = await this.applyRecords(env.from, b.records);
      if (acks.length) this.host.sendTo(env.from, 'update-ack', { acks, upTo: this.confirmedUpTo } satisfies M.UpdateAckBody);
      this.commitTo(b.commitSeq);
    });
  }

  /**
   * Logs records from the manager in seq order (append before ack): duplicates are acked
   * and ignored, a divergent uncommitted tail is replaced, a gap is buffered and fetched.
   * Records up to `committedUpTo` (join, catch-up: the sender says they are committed) are
   * committed as they are logged.
   */
  private async applyRecords(from: string, records: UpdateRecord[], committedUpTo = 0): Promise<{ seq: number; id: string }[]> {
    const acks: { seq: number; id: string }[] = [];
    const sorted = [...records].sort((a, b) => a.seq - b.seq);
    for (const r of sorted) this.buffered.set(r.seq, r);
    // contiguous records go to the store in one append (one fsync); acks wait for it
    let staged: UpdateRecord[] = [];
    // records the sender says are committed commit once durable here (a snapshot may follow)
    let commitUpTo = 0;
    const flush = async () => {
      if (staged.length) {
        const batch = staged;
        staged = [];
        await this.host.replica.persist(batch);
      }
      if (commitUpTo) this.commitTo(commitUpTo);
      commitUpTo = 0;
    };
    for (;;) {
      let progressed = false;
      for (const [seq, r] of [...this.buffered].sort((a, b) => a[0] - b[0])) {
        const rp = this.host.replica;
        if (seq <= rp.committedSeq) {
          this.buffered.delete(seq);
          // a duplicate is acked; a different record at a committed seq never is: the sender
          // holds a history that lost a committed update, and must not count this node for it
          if (rp.submissions.get(r.id) === seq) acks.push({ seq, id: r.id });
          else this.host.logger.warn('refused a different record at a committed seq', { seq, id: r.id, from });
          continue;
        }
        if (seq <= rp.lastSeq) {
          const mine = rp.recordAt(seq);
          if (mine && mine.id === r.id && mine.epoch === r.epoch) {
            this.buffered.delete(seq);
            this.confirm(seq);
            acks.push({ seq, id: r.id });
            if (seq <= committedUpTo) commitUpTo = seq;
            continue;
          }
          // the manager's record replaces ours, but only on top of records it confirmed:
          // what lies below is compared first (fetched), never assumed
          if (this.confirmedUpTo < seq - 1) break;
          this.buffered.delete(seq);
          await flush();
          await rp.truncateAfter(seq - 1);
          this.unconfirmFrom(seq);
          rp.stage(r);
          staged.push(r);
        } else if (seq === rp.lastSeq + 1 && this.confirmedUpTo >= seq - 1) {
          this.buffered.delete(seq);
          rp.stage(r);
          staged.push(r);
        } else {
          break;
        }
        this.confirm(seq);
        acks.push({ seq, id: r.id });
        // only what the sender says is committed: buffered copies of later updates are not
        if (seq <= committedUpTo) commitUpTo = seq;
        progressed = true;
      }
      if (!progressed) break;
    }
    await flush();
    // what is missing, or held but not yet compared with this manager's log, is fetched
    const firstUnsure = this.confirmedUpTo + 1;
    const above = [...this.buffered.keys(), ...this.confirmedSeqs].filter((s) => s > firstUnsure);
    if (above.length) this.requestFetch(from, firstUnsure, Math.min(...above) - 1);
    return acks;
  }

  /** Seqs the current manager confirmed above confirmedUpTo (the part below is not yet compared). */
  private readonly confirmedSeqs = new Set<number>();

  /** Records that the current manager holds the same record at `seq`; commit stays contiguous. */
  private confirm(seq: number): void {
    if (seq > this.confirmedUpTo + 1) {
      this.confirmedSeqs.add(seq);
      return;
    }
    this.confirmedUpTo = Math.max(this.confirmedUpTo, seq);
    while (this.confirmedSeqs.delete(this.confirmedUpTo + 1)) this.confirmedUpTo++;
    for (const s of this.confirmedSeqs) if (s <= this.confirmedUpTo) this.confirmedSeqs.delete(s);
  }

  private unconfirmFrom(seq: number): void {
    this.confirmedUpTo = Math.min(this.confirmedUpTo, seq - 1);
    for (const s of this.confirmedSeqs) if (s >= seq) this.confirmedSeqs.delete(s);
  }

  resetConfirmed(): void {
    this.confirmedUpTo = this.host.replica.committedSeq;
    this.confirmedSeqs.clear();
  }

  onCommitNotice(env: Envelope, b: M.CommitBody): void {
    if (env.from === this.host.id || this.host.fenced(env) || this.host.isManaging()) return;
    if (env.from !== this.host.managerId || env.epoch !== this.followedEpoch) return;
    this.enqueue(() => this.commitTo(b.commitSeq));
  }

  commitTo(seq: number): void {
    const limit = Math.min(seq, this.confirmedUpTo);
    if (limit <= this.host.replica.committedSeq) return;
    const records = this.host.replica.commitTo(limit);
    this.host.committed(records);
  }

  requestFetch(from: string, lo: number, hi: number): void {
    const now = this.host.clock.now();
    if (hi < lo || now - this.lastFetchAt < this.host.retransmitMs / 2) return;
    this.lastFetchAt = now;
    this.host.sendTo(from, 'fetch', { from: lo, to: hi } satisfies M.FetchBody);
  }

  /** Election catch-up: fetch committed records from a voter and wait for them. */
  /** A new manager fetches the log of a node that is ahead, until it holds that node's last record. */
  async catchUp(node: string, target: M.LogPosition): Promise<void> {
    this.fetchCommitted = node;
    const deadline = this.host.clock.now() + this.host.updateTimeoutMs;
    const caughtUp = () => {
      const mine = this.host.replica.recordAt(target.lastSeq);
      return this.host.replica.lastSeq >= target.lastSeq && (!mine || (mine.epoch === target.lastEpoch && mine.id === target.lastId));
    };
    while (!caughtUp() && this.host.clock.now() < deadline && !this.host.isStopped()) {
      this.lastFetchAt = -Infinity;
      this.requestFetch(node, this.host.replica.committedSeq + 1, target.lastSeq);
      await new Promise<void>((resolve) => {
        const t = this.host.clock.setTimeout(() => {
          this.fetchWaiters.delete(resolve);
          resolve();
        }, this.host.retransmitMs);
        this.fetchWaiters.add(() => {
          this.host.clock.clearTimeout(t);
          resolve();
        });
      });
    }
    this.fetchCommitted = null;
  }

  onFetch(env: Envelope, b: M.FetchBody): void {
    const r = this.host.replica;
    const reply: M.FetchReplyBody =
      b.from < r.firstHeldSeq
        ? { snapshot: r.committedSnapshot(), records: r.range(r.committedSeq + 1, b.to), commitSeq: r.committedSeq }
        : { records: r.range(b.from, b.to), commitSeq: r.committedSeq };
    this.host.sendTo(env.from, 'fetch-reply', reply);
  }

  onFetchReply(env: Envelope, b: M.FetchReplyBody): void {
    const fromVoter = this.fetchCommitted === env.from;
    if (!fromVoter && this.host.fenced(env)) return;
    this.enqueue(async () => {
      if (b.snapshot && b.snapshot.seq > this.host.replica.committedSeq) {
        await this.host.replica.resetTo(b.snapshot);
        this.resetConfirmed();
      }
      // from a node this new manager catches up with: what it committed is committed
      // cluster-wide; its uncommitted tail joins this log to be re-sent and committed
      let acks: { seq: number; id: string }[];
      if (fromVoter) {
        acks = await this.applyRecords(env.from, b.records, b.commitSeq);
      } else {
        acks = await this.applyRecords(env.from, b.records);
      }
      if (!fromVoter && acks.length && env.from === this.host.managerId && !this.host.isManaging()) {
        this.host.sendTo(env.from, 'update-ack', { acks, upTo: this.confirmedUpTo } satisfies M.UpdateAckBody);
      }
      if (!fromVoter) this.commitTo(b.commitSeq);
      for (const w of this.fetchWaiters) w();
      this.fetchWaiters.clear();
    });
  }

}
