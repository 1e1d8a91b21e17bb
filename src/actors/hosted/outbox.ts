/**
 * The sending side of hosted actors: every `send` and `ask` of this node until its host
 * answers. One stream per actor (type, key) numbers its events 1, 2, 3, … under this node's
 * channel (`<node>:<incarnation>:<start time>`), so an event's id is (channel, n):
 * - FIFO: events go out in order and the host processes event n only after n − 1;
 * - at least once: every event not answered is re-sent, in order, every `retransmitMs`, to
 *   whichever node hosts the actor by then (a membership change re-sends at once);
 * - once: the host drops a number it has processed (the state keeps the last per channel);
 * - `first`, the oldest number still waiting, tells the host that anything below it was
 *   answered or given up, so a timed-out event never blocks the ones after it.
 * An ask rejects with TIMEOUT at its deadline (NO_QUORUM when this node is isolated by then,
 * UNKNOWN_ACTOR when no live node defines the type), STOPPED when this node stops, and with
 * the host's code when the host refuses the event for good (INVALID_OP).
 */
import type { Clock } from '../../clock.js';
import type { ClusterDb } from '../../db/types.js';
import { GlupError, isGlupErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Body } from '../../bus/bodies.js';
import { hostOf } from './placement.js';
import type { ActorState } from './types.js';

export type ActorEventBody = Body<'actor-event'>;
export type ActorReplyBody = Body<'actor-reply'>;
export type ActorEvent = { type: string; [k: string]: unknown };

interface Pending {
  n: number;
  event: ActorEvent;
  ask: boolean;
  deadline: number;
  lastSentAt: number;
  resolve?: (s: ActorState) => void;
  reject?: (e: Error) => void;
}

interface Stream {
  type: string;
  key: string;
  /** In number order (a Map keeps insertion order). */
  pending: Map<number, Pending>;
  /** Where the events went last. */
  target: string | null;
}

export interface OutboxHost {
  readonly id: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retransmitMs: number;
  /** This node's channel; null before the node has opened its store. */
  channel(): string | null;
  db(): ClusterDb;
  /** A member (manager, backup, client): only members route by the committed database. */
  isMember(): boolean;
  isIsolated(): boolean;
  transmit(host: string, body: ActorEventBody): void;
}

export class Outbox {
  private readonly streams = new Map<string, Stream>();
  /** Last number given per stream: kept after the stream empties, so numbers never repeat within a channel. */
  private readonly numbers = new Map<string, number>();
  private timer: unknown = null;
  private stopped = false;

  constructor(private readonly host: OutboxHost) {}

  /** Queues one event; `ask` events settle the returned promise. */
  enqueue(type: string, key: string, event: ActorEvent, opts: { ask: boolean; timeoutMs: number }): Promise<ActorState> | void {
    if (this.stopped) {
      if (opts.ask) return Promise.reject(new GlupError('STOPPED', `node ${this.host.id} is stopped`));
      return;
    }
    const id = `${type}/${key}`;
    let stream = this.streams.get(id);
    if (!stream) this.streams.set(id, (stream = { type, key, pending: new Map(), target: null }));
    const n = (this.numbers.get(id) ?? 0) + 1;
    this.numbers.set(id, n);
    const p: Pending = { n, event, ask: opts.ask, deadline: this.host.clock.now() + opts.timeoutMs, lastSentAt: -Infinity };
    const promise = opts.ask
      ? new Promise<ActorState>((resolve, reject) => {
          p.resolve = resolve;
          p.reject = reject;
        })
      : undefined;
    stream.pending.set(n, p);
    this.transmit(stream, [p]);
    this.arm();
    return promise;
  }

  onReply(from: string, b: ActorReplyBody): void {
    if (b.channel !== this.host.channel()) return;
    const stream = this.streams.get(`${b.type}/${b.key}`);
    const p = stream?.pending.get(b.n);
    if (!stream || !p) return;
    if (b.outcome === 'moved') {
      // the host's view differs from ours: re-send at the next tick, to wherever our view says by then
      if (from === stream.target) p.lastSentAt = -Infinity;
      return;
    }
    this.settle(stream, p);
    if (b.outcome === 'error') {
      const code = isGlupErrorCode(b.error?.code) ? b.error.code : 'INVALID_OP';
      const err = new GlupError(code, `actor ${b.type}/${b.key}: ${b.error?.message ?? 'refused by its host'}`);
      if (p.reject) p.reject(err);
      else this.host.logger.warn('hosted actor refused an event', { type: b.type, key: b.key, event: p.event.type, error: err.message });
      return;
    }
    const s = b.state ?? { value: null, context: null, status: 'active' as const };
    p.resolve?.({ value: s.value, context: s.context, status: s.status, version: b.version ?? 0, eventId: `${b.channel}#${b.n}` });
  }

  /** The committed database changed: streams whose host moved re-send everything at once. */
  rehome(): void {
    if (!this.host.isMember()) return;
    const db = this.host.db();
    for (const s of this.streams.values()) {
      if (!s.pending.size) continue;
      if (hostOf(db, s.type, s.key) !== s.target) this.transmit(s, [...s.pending.values()]);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.host.clock.clearTimeout(this.timer);
    this.timer = null;
    for (const s of this.streams.values()) {
      for (const p of s.pending.values()) p.reject?.(new GlupError('STOPPED', `node ${this.host.id} stopped before actor ${s.type}/${s.key} answered`));
      s.pending.clear();
    }
  }

  /** Events waiting for an answer (tests, status). */
  get waiting(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.pending.size;
    return n;
  }

  private settle(stream: Stream, p: Pending): void {
    stream.pending.delete(p.n);
    if (!stream.pending.size) this.streams.delete(`${stream.type}/${stream.key}`);
  }

  private transmit(stream: Stream, events: Pending[]): void {
    const channel = this.host.channel();
    if (!channel || !this.host.isMember()) return;
    const target = hostOf(this.host.db(), stream.type, stream.key);
    stream.target = target;
    if (!target) return;
    const first = stream.pending.keys().next().value ?? events[0]!.n;
    const now = this.host.clock.now();
    for (const p of events) {
      p.lastSentAt = now;
      this.host.transmit(target, { type: stream.type, key: stream.key, channel, n: p.n, first, ask: p.ask, event: p.event });
    }
  }

  private arm(): void {
    if (this.timer !== null || this.stopped || !this.streams.size) return;
    this.timer = this.host.clock.setTimeout(() => {
      this.timer = null;
      this.tick();
      this.arm();
    }, this.host.retransmitMs);
  }

  private tick(): void {
    const now = this.host.clock.now();
    for (const s of [...this.streams.values()]) {
      for (const p of [...s.pending.values()]) if (now >= p.deadline) this.expire(s, p);
      const due = [...s.pending.values()].filter((p) => now - p.lastSentAt >= this.host.retransmitMs);
      if (due.length) this.transmit(s, due);
    }
  }

  private expire(s: Stream, p: Pending): void {
    this.settle(s, p);
    const where = `actor ${s.type}/${s.key}`;
    let err: GlupError;
    if (this.host.isIsolated()) err = new GlupError('NO_QUORUM', `${where}: node ${this.host.id} is isolated from the majority`);
    else if (this.host.isMember() && hostOf(this.host.db(), s.type, s.key) === null) err = new GlupError('UNKNOWN_ACTOR', `${where}: no live node defines actor type ${s.type}`);
    else err = new GlupError('TIMEOUT', `${where}: no answer to ${p.event.type} in time`);
    if (p.reject) p.reject(err);
    else this.host.logger.warn('hosted actor event given up', { type: s.type, key: s.key, event: p.event.type, code: err.code });
  }
}
