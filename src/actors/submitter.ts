/**
 * The submitting side of GLUP (SPEC section 4): a node's own submissions until they commit.
 * Each is re-sent with the same id every retransmitMs (to whichever node is manager by then)
 * until the manager answers, and resolves only once this node's database includes it (read
 * your writes); it rejects with TIMEOUT after updateTimeoutMs.
 */
import type { Clock } from '../clock.js';
import type { Op } from '../db/types.js';
import { GlupError, type GlupErrorCode } from '../errors.js';
import type { SubmitResultBody } from './messages.js';
import type { Replica } from './replica.js';

interface PendingSubmission {
  id: string;
  /** What submit() returned: a second submit of the same id gets the same promise. */
  promise?: Promise<{ seq: number; epoch: number }>;
  op: Op;
  resolve: (r: { seq: number; epoch: number }) => void;
  reject: (e: Error) => void;
  deadline: number;
  lastSentAt: number;
  /** The manager's answer: the submission resolves once node.db includes that seq. */
  result?: { seq: number; epoch: number };
}

export interface SubmitterHost {
  readonly id: string;
  readonly clock: Clock;
  readonly replica: Replica;
  readonly retransmitMs: number;
  readonly updateTimeoutMs: number;
  /** Hands a submission to the manager; false while it must be held (not a member yet). */
  deliver(id: string, op: Op): boolean;
  /** Epoch to report for a commit this node learned of without the manager's answer. */
  epoch(): number;
}

export class Submitter {
  private readonly pending = new Map<string, PendingSubmission>();
  private counter = 0;

  constructor(private readonly host: SubmitterHost) {}

  /** `chosenId` (a tool's retry-safe id) is the caller's to keep unique; default `<node>:<incarnation>:<n>`. */
  submit(op: Op, chosenId?: string): Promise<{ seq: number; epoch: number }> {
    const h = this.host;
    const same = chosenId === undefined ? undefined : this.pending.get(chosenId);
    if (same?.promise) return same.promise;
    const id = chosenId ?? `${h.id}:${h.replica.incarnation}:${++this.counter}`;
    let p!: PendingSubmission;
    const promise = new Promise<{ seq: number; epoch: number }>((resolve, reject) => {
      p = { id, op, resolve, reject, deadline: h.clock.now() + h.updateTimeoutMs, lastSentAt: -Infinity };
    });
    p.promise = promise;
    this.pending.set(id, p);
    this.send(p, true);
    this.arm();
    return promise;
  }

  private timer: unknown = null;

  /** Retransmits and timeouts run on the node's clock while anything is pending. */
  private arm(): void {
    if (this.timer !== null || !this.pending.size) return;
    this.timer = this.host.clock.setTimeout(() => {
      this.timer = null;
      this.onTick(this.host.clock.now());
      this.arm();
    }, this.host.retransmitMs);
  }

  private send(p: PendingSubmission, force: boolean): void {
    if (p.result) return;
    const now = this.host.clock.now();
    if (!force && now - p.lastSentAt < this.host.retransmitMs) return;
    if (this.host.deliver(p.id, p.op)) p.lastSentAt = now;
  }

  /** Sends everything held now (this node just became a member, or a new manager took over). */
  flush(): void {
    for (const p of this.pending.values()) this.send(p, true);
  }

  /** Re-sends what is due and times out what is late; called on every tick. */
  onTick(now: number): void {
    for (const p of [...this.pending.values()]) {
      if (now >= p.deadline) {
        this.pending.delete(p.id);
        p.reject(new GlupError('TIMEOUT', `update ${p.id} not committed within ${this.host.updateTimeoutMs} ms`));
        continue;
      }
      this.send(p, false);
    }
  }

  /** The manager's answer: an error rejects at once; a success waits for the local commit. */
  onResult(b: SubmitResultBody): void {
    const p = this.pending.get(b.id);
    if (!p) return;
    if (b.error) {
      this.pending.delete(b.id);
      p.reject(new GlupError(b.error.code as GlupErrorCode, b.error.message.replace(/^[A-Z_]+: /, '')));
      return;
    }
    p.result = { seq: b.seq!, epoch: b.epoch! };
    this.resolveCommitted();
  }

  /** Read your writes: resolves every submission that this node's database now includes. */
  resolveCommitted(): void {
    const r = this.host.replica;
    for (const p of [...this.pending.values()]) {
      const seq = p.result?.seq ?? r.submissions.get(p.id);
      if (seq !== undefined && seq <= r.committedSeq && r.submissions.get(p.id) === seq) {
        this.pending.delete(p.id);
        p.resolve(p.result ?? { seq, epoch: r.recordAt(seq)?.epoch ?? this.host.epoch() });
      }
    }
  }

  rejectAll(err: GlupError): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    if (this.timer !== null) this.host.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
