/**
 * One activation of a hosted actor on its host: the user's machine run with XState's own
 * `createActor`, restored from the committed state record, fed the events of every sender
 * in each sender's order, and persisted through GLUP before any event is answered.
 *
 * - Order and once: per channel, event n is processed only after n − 1 (later ones wait in
 *   a buffer); a number at or below the last processed one is a retry, answered and dropped.
 * - Persist before answering: events processed while a commit is in flight leave together
 *   in the next one (group commit). A commit is `commitOp`: a cas from the version this
 *   activation holds, so when another activation committed first, it fails with CAS_FAILED
 *   and this one stops (stale) without answering: its senders re-send to the current host.
 * - An event whose processing throws is refused with INVALID_OP and changes nothing: the
 *   activation stops and the next one restarts from the last committed state.
 */
import { createActor, type Actor, type AnyStateMachine, type InspectionEvent, type Snapshot } from 'xstate';
import type { Clock } from '../../clock.js';
import type { ClusterDb, DataOp } from '../../db/types.js';
import { GlupError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { ActorEventBody, ActorReplyBody } from './outbox.js';
import { commitOp, pruneSeen, stateOf } from './records.js';
import type { HostedActorMetrics } from './types.js';

export interface ActivationHost {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly maxUpdateBytes: number;
  readonly metrics: HostedActorMetrics;
  db(): ClusterDb;
  submit(op: DataOp): Promise<unknown>;
  reply(to: string, body: ActorReplyBody): void;
  inspect(e: InspectionEvent): void;
  /** The activation ended; `staleFrom` is set when a newer activation committed past that version. */
  ended(a: Activation, why: string, staleFrom?: number): void;
}

type StateSummary = NonNullable<ActorReplyBody['state']>;

interface Waiter {
  from: string;
  channel: string;
  n: number;
  /** The state right after the event (asks), or undefined: the committed state answers. */
  state?: StateSummary;
}

/** Room left in an update for the record's paths and the batch around the state. */
const OP_OVERHEAD_BYTES = 1024;

export class Activation {
  readonly since: number;
  lastEventAt: number;
  events = 0;
  version: number;
  private readonly actor: Actor<AnyStateMachine>;
  private readonly seen: Map<string, number>;
  private committedSeen: Map<string, number>;
  private committedState: StateSummary;
  private readonly buffers = new Map<string, Map<number, { from: string; b: ActorEventBody }>>();
  private waiting: Waiter[] = [];
  private dirty = false;
  private scheduled = false;
  /** The commit on its way: the events it answers and the numbers it persists. */
  private flight: { covered: Waiter[]; seen: Record<string, number> } | null = null;
  private live = false;
  private ended = false;
  private idleTimer: unknown = null;

  constructor(
    private readonly host: ActivationHost,
    readonly type: string,
    readonly key: string,
    machine: AnyStateMachine,
    /** `<node>:<incarnation>:<n>`: who committed a state, in the record. */
    readonly id: string,
    private readonly idleMs: number,
  ) {
    const now = host.clock.now();
    this.since = now;
    this.lastEventAt = now;
    const record = stateOf(host.db(), type, key);
    this.version = record.version;
    this.seen = new Map(Object.entries(record.state?.seen ?? {}));
    this.committedSeen = new Map(this.seen);
    const restored = record.state?.snapshot as Snapshot<unknown> | undefined;
    this.actor = createActor(machine, {
      id: `actor:${type}:${key}`,
      clock: host.clock,
      inspect: (e) => host.inspect(e),
      ...(restored ? { snapshot: restored } : { input: { type, key } }),
    });
    // after start: a change the actor makes on its own (a timer, an invoked promise) is persisted too
    this.actor.subscribe({
      next: () => {
        if (!this.live) return;
        this.dirty = true;
        this.schedule();
      },
      error: () => {},
    });
    this.actor.start();
    this.live = true;
    this.committedState = this.summary();
    if (this.actor.getSnapshot().status === 'error') throw new GlupError('INVALID_OP', `actor ${type}/${key}: its persisted state does not restore with this machine`);
    this.armIdle();
  }

  get status(): string {
    return this.actor.getSnapshot().status;
  }

  receive(from: string, b: ActorEventBody): void {
    if (this.ended) return;
    this.lastEventAt = this.host.clock.now();
    let last = this.seen.get(b.channel) ?? 0;
    // below `first` the sender has its answer or gave up: nothing there will come again
    if (b.first - 1 > last) {
      last = b.first - 1;
      this.touch(b.channel, last);
    }
    if (b.n <= last) return this.duplicate(from, b);
    let buffer = this.buffers.get(b.channel);
    if (!buffer) this.buffers.set(b.channel, (buffer = new Map()));
    buffer.set(b.n, { from, b });
    for (const [n] of buffer) if (n <= last) buffer.delete(n);
    for (let next = buffer.get(last + 1); next && !this.ended; next = buffer.get(last + 1)) {
      buffer.delete(last + 1);
      last++;
      this.process(next.from, next.b);
    }
    if (!buffer.size) this.buffers.delete(b.channel);
  }

  /** Stops now; a commit in flight still answers its events when it lands. */
  stop(why: string): void {
    if (this.ended) return;
    this.ended = true;
    this.live = false;
    if (this.idleTimer !== null) this.host.clock.clearTimeout(this.idleTimer);
    this.actor.stop();
    this.host.ended(this, why);
  }

  /** Nothing to persist and nothing in flight: it may passivate or move without losing an answer. */
  get quiet(): boolean {
    return !this.flight && !this.dirty && this.waiting.length === 0;
  }

  private process(from: string, b: ActorEventBody): void {
    this.events++;
    this.host.metrics.messages++;
    if (this.actor.getSnapshot().status === 'active') this.actor.send(b.event);
    if (this.actor.getSnapshot().status === 'error') {
      const error = (this.actor.getSnapshot() as { error?: unknown }).error;
      this.host.reply(from, { type: this.type, key: this.key, channel: b.channel, n: b.n, outcome: 'error', error: { code: 'INVALID_OP', message: `${b.event.type} failed in the machine: ${String((error as Error)?.message ?? error)}`.slice(0, 4000) } });
      // the events processed since the last commit are not answered: their senders re-send them to a fresh activation
      this.stop('the machine failed');
      return;
    }
    this.touch(b.channel, b.n);
    this.waiting.push({ from, channel: b.channel, n: b.n, ...(b.ask && { state: this.summary() }) });
    this.dirty = true;
    this.schedule();
  }

  private duplicate(from: string, b: ActorEventBody): void {
    if (b.n <= (this.committedSeen.get(b.channel) ?? 0)) {
      this.host.reply(from, { type: this.type, key: this.key, channel: b.channel, n: b.n, outcome: 'done', version: this.version, state: this.committedState });
    } else if (this.flight && b.n <= (this.flight.seen[b.channel] ?? 0)) {
      this.flight.covered.push({ from, channel: b.channel, n: b.n });
    } else {
      // processed, not yet persisted: answered with the commit that persists it
      this.waiting.push({ from, channel: b.channel, n: b.n });
    }
  }

  private touch(channel: string, n: number): void {
    this.seen.delete(channel);
    this.seen.set(channel, n);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // several events delivered in one turn share one commit
    queueMicrotask(() => {
      this.scheduled = false;
      this.commit();
    });
  }

  private commit(): void {
    if (this.flight || this.ended || !this.dirty) return;
    this.dirty = false;
    const snapshot = JSON.parse(JSON.stringify(this.actor.getPersistedSnapshot())) as unknown;
    const seen = pruneSeen(this.seen);
    const state = { by: this.id, snapshot, seen };
    const covered = this.waiting;
    this.waiting = [];
    const from = this.version;
    const summary = this.summary();
    const bytes = Buffer.byteLength(JSON.stringify(state));
    if (bytes + OP_OVERHEAD_BYTES > this.host.maxUpdateBytes) {
      this.refuse(covered, new GlupError('INVALID_OP', `the state of actor ${this.type}/${this.key} is ${bytes} bytes, over maxUpdateBytes (${this.host.maxUpdateBytes}) less ${OP_OVERHEAD_BYTES}: big states are not supported (docs/actors.md)`));
      return;
    }
    this.flight = { covered, seen };
    this.host.submit(commitOp(this.type, this.key, from, state)).then(
      () => {
        this.flight = null;
        this.version = from + 1;
        this.committedSeen = new Map(Object.entries(seen));
        this.committedState = summary;
        this.host.metrics.commits++;
        for (const w of covered) {
          this.host.reply(w.from, { type: this.type, key: this.key, channel: w.channel, n: w.n, outcome: 'done', version: this.version, state: w.state ?? summary });
        }
        this.commit();
      },
      (e: unknown) => {
        this.flight = null;
        const code = e instanceof GlupError ? e.code : undefined;
        if (code === 'CAS_FAILED') {
          this.host.metrics.staleActivations++;
          if (!this.ended) {
            this.ended = true;
            this.live = false;
            this.actor.stop();
            if (this.idleTimer !== null) this.host.clock.clearTimeout(this.idleTimer);
          }
          this.host.ended(this, 'stale: another activation committed first', from);
        } else if (code === 'INVALID_OP') {
          this.refuse(covered, e as GlupError);
        } else {
          // NO_QUORUM, TIMEOUT, STOPPED: the commit may or may not land; the senders re-send, and
          // a fresh activation answers from whatever state the cluster committed
          this.stop(`commit failed: ${String((e as Error)?.message ?? e)}`);
        }
      },
    );
  }

  private refuse(covered: Waiter[], err: GlupError): void {
    for (const w of covered) {
      this.host.reply(w.from, { type: this.type, key: this.key, channel: w.channel, n: w.n, outcome: 'error', error: { code: err.code, message: err.message.replace(/^[A-Z_]+: /, '').slice(0, 4000) } });
    }
    this.stop(err.message);
  }

  private summary(): StateSummary {
    const s = this.actor.getPersistedSnapshot() as { value?: unknown; context?: unknown; status?: string };
    const status = s.status === 'done' || s.status === 'error' || s.status === 'stopped' ? s.status : 'active';
    return JSON.parse(JSON.stringify({ value: s.value ?? null, context: s.context ?? null, status })) as StateSummary;
  }

  private armIdle(): void {
    if (!Number.isFinite(this.idleMs)) return;
    const due = this.lastEventAt + this.idleMs - this.host.clock.now();
    this.idleTimer = this.host.clock.setTimeout(() => {
      this.idleTimer = null;
      if (this.ended) return;
      if (this.host.clock.now() - this.lastEventAt >= this.idleMs && this.quiet) this.stop('passivated: idle');
      else this.armIdle();
    }, due > 0 ? due : Math.min(this.idleMs, 1000));
  }
}
