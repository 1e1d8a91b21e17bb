/**
 * `node.actors` (SPEC section 11): hosted actors on one node. It registers the types this
 * node defines in the cluster database, routes this node's events to their hosts (./outbox.ts),
 * and hosts the activations placed here (./activation.ts). It uses the node's public surface
 * (role, db, update, on) plus two wires the runtime hands it: publishing on the actor
 * subjects and the node's inspection observers. docs/actors.md has the model.
 *
 * Every decision reads the committed database, so nodes at the same seq agree:
 * - a committed record that can move actors (membership, roles, registrations) makes every
 *   node re-place: activations no longer placed here stop (after answering what they
 *   persisted), senders re-send to the new hosts, a singleton's new host activates its keys;
 * - an event that reaches a node that does not host the actor by its own view is answered
 *   `moved`: the sender re-sends once its view changes, or at its next retransmission.
 */
import type { AnyStateMachine, InspectionEvent } from 'xstate';
import { subjects } from '../../bus/transport.js';
import type { Envelope } from '../../bus/envelope.js';
import type { MessageType } from '../../bus/messageTypes.js';
import type { Clock } from '../../clock.js';
import { affectedPaths } from '../../db/ops.js';
import type { ClusterDb, DataOp, Op, UpdateRecord } from '../../db/types.js';
import { GlupError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Role, Settings } from '../types.js';
import { Activation, type ActivationHost } from './activation.js';
import { Outbox, type ActorEvent, type ActorEventBody, type ActorReplyBody } from './outbox.js';
import { hostOf, typePlacement } from './placement.js';
import { actorCommitOf, checkKey, checkType, keysOf, registrationOp, registrationsOf, ROOT, stateOf } from './records.js';
import type { ActivationInfo, ActorRef, ActorState, DefineOptions, HostedActorMetrics, HostedActors } from './types.js';

/** What hosted actors need of their node: its public surface. */
export interface ActorNode {
  readonly id: string;
  readonly cluster: string;
  readonly settings: Settings;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly role: Role;
  readonly db: ClusterDb;
  readonly replica: { readonly incarnation: number };
  update(op: DataOp): Promise<{ seq: number; epoch: number }>;
  on(event: string, fn: (...args: any[]) => void): () => void;
}

/** The two things only the runtime can give: its bus, and its inspection observers. */
export interface ActorWires {
  publish(subject: string, type: MessageType, body: unknown): void;
  inspect(e: InspectionEvent): void;
}

const DEFAULT_SHARDED_IDLE_MS = 60_000;
const MEMBER = new Set<Role>(['manager', 'backup', 'client']);

interface Definition {
  machine: AnyStateMachine;
  opts: DefineOptions;
  idleMs: number;
}

export class HostedActorRuntime implements HostedActors {
  readonly metrics: HostedActorMetrics = { activations: 0, reactivations: 0, passivations: 0, messages: 0, staleActivations: 0, commits: 0 };
  private readonly types = new Map<string, Definition>();
  private readonly activations = new Map<string, Activation>();
  /** Keys whose last activation here was stale: wait for the database to pass that version (or the deadline). */
  private readonly stale = new Map<string, { version: number; until: number }>();
  private readonly registering = new Set<string>();
  private readonly outbox: Outbox;
  private activationCount = 0;
  private channelId: string | null = null;
  private stopped = false;

  constructor(
    private readonly node: ActorNode,
    private readonly wires: ActorWires,
  ) {
    this.outbox = new Outbox({
      id: node.id,
      clock: node.clock,
      logger: node.logger,
      retransmitMs: node.settings.retransmitMs,
      channel: () => this.channel(),
      db: () => node.db,
      isMember: () => MEMBER.has(node.role),
      isIsolated: () => node.role === 'isolated',
      transmit: (to, body) => this.transmit(to, body),
    });
    this.activationHost = this.makeActivationHost();
    node.on('update', (rec: UpdateRecord) => this.onCommitted(rec));
    node.on('role', (role: Role) => this.onRole(role));
  }

  // ---------------------------------------------------------------- public API

  define(type: string, machine: AnyStateMachine, opts: DefineOptions): void {
    checkType(type);
    if (!machine || typeof (machine as { transition?: unknown }).transition !== 'function') throw new GlupError('INVALID_OP', `define ${type}: machine is not an XState machine`);
    if (opts?.placement !== 'sharded' && opts?.placement !== 'singleton') throw new GlupError('INVALID_OP', `define ${type}: placement must be 'sharded' or 'singleton', got ${JSON.stringify(opts?.placement)}`);
    if (opts.on !== undefined && (opts.placement !== 'singleton' || typeof opts.on !== 'string')) throw new GlupError('INVALID_OP', `define ${type}: 'on' is for singletons only ('backup' or a node id)`);
    if (opts.idleMs !== undefined && !(typeof opts.idleMs === 'number' && opts.idleMs > 0)) throw new GlupError('INVALID_OP', `define ${type}: idleMs must be a positive number of ms`);
    if (this.types.has(type)) throw new GlupError('INVALID_OP', `define ${type}: already defined on ${this.node.id}`);
    const idleMs = opts.idleMs ?? (opts.placement === 'sharded' ? DEFAULT_SHARDED_IDLE_MS : Infinity);
    this.types.set(type, { machine, opts: { ...opts }, idleMs });
    const rule = typePlacement(this.node.db, type).rule;
    if (rule && (rule.placement !== opts.placement || rule.on !== opts.on)) {
      this.node.logger.warn('actor type defined with another placement elsewhere: the smallest node id decides', { type, here: opts, cluster: rule });
    }
    this.register();
  }

  ref(type: string, key = 'default'): ActorRef {
    checkType(type);
    checkKey(key);
    const enqueue = (event: ActorEvent, ask: boolean, timeoutMs: number) => {
      this.checkEvent(type, key, event);
      return this.outbox.enqueue(type, key, event, { ask, timeoutMs });
    };
    return {
      type,
      key,
      send: (event) => void enqueue(event, false, this.node.settings.updateTimeoutMs),
      ask: (event, opts = {}) => {
        try {
          return enqueue(event, true, opts.timeoutMs ?? this.node.settings.updateTimeoutMs) as Promise<ActorState>;
        } catch (e) {
          return Promise.reject(e);
        }
      },
    };
  }

  list(): ActivationInfo[] {
    return [...this.activations.values()].map((a) => ({ type: a.type, key: a.key, since: a.since, version: a.version, events: a.events, lastEventAt: a.lastEventAt, status: a.status }));
  }

  /** This node defines at least one type (glup status shows activations only then). */
  get hosting(): boolean {
    return this.types.size > 0;
  }

  /** Events sent from this node still waiting for their host's answer. */
  get waiting(): number {
    return this.outbox.waiting;
  }

  // ---------------------------------------------------------------- wiring (runtime.ts)

  /** An admitted `actor-event` or `actor-reply` (the edge validated its body). */
  receive(env: Envelope, body: unknown): void {
    if (env.type === 'actor-event') this.onEvent(env.from, body as ActorEventBody);
    else if (env.type === 'actor-reply') this.outbox.onReply(env.from, body as ActorReplyBody);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.outbox.stop();
    for (const a of [...this.activations.values()]) a.stop('node stopped');
  }

  // ---------------------------------------------------------------- hosting

  private onEvent(from: string, b: ActorEventBody): void {
    if (this.stopped) return;
    // a stream belongs to its sender: no node can speak on another's channel
    if (!b.channel.startsWith(`${from}:`)) {
      this.node.logger.warn('actor event on a channel of another node dropped', { from, channel: b.channel });
      return;
    }
    // not a member (isolated, joining): no answer, the sender re-sends where the majority's view says
    if (!MEMBER.has(this.node.role)) return;
    const db = this.node.db;
    const def = this.types.get(b.type);
    if (!def || hostOf(db, b.type, b.key) !== this.node.id) {
      this.reply(from, { type: b.type, key: b.key, channel: b.channel, n: b.n, outcome: 'moved' });
      return;
    }
    const a = this.activations.get(`${b.type}/${b.key}`) ?? this.activate(b.type, b.key, def);
    if (!a) return;
    a.receive(from, b);
  }

  private activate(type: string, key: string, def: Definition): Activation | null {
    const id = `${type}/${key}`;
    const db = this.node.db;
    const stale = this.stale.get(id);
    if (stale) {
      // this node's database has not caught up with the commit that beat us: the sender re-sends
      if (stateOf(db, type, key).version <= stale.version && this.node.clock.now() < stale.until) return null;
      this.stale.delete(id);
    }
    let a: Activation;
    try {
      a = new Activation(this.activationHost, type, key, def.machine, `${this.channel() ?? this.node.id}:${++this.activationCount}`, def.idleMs);
    } catch (e) {
      this.node.logger.error('hosted actor did not start', { type, key, error: String((e as Error)?.message ?? e) });
      return null;
    }
    this.activations.set(id, a);
    this.metrics.activations++;
    if (a.version > 0) this.metrics.reactivations++;
    return a;
  }

  private readonly activationHost: ActivationHost;

  private makeActivationHost(): ActivationHost {
    return {
      clock: this.node.clock,
      logger: this.node.logger,
      maxUpdateBytes: this.node.settings.maxUpdateBytes,
      metrics: this.metrics,
      db: () => this.node.db,
      submit: (op: DataOp) => this.node.update(op),
      reply: (to: string, body: ActorReplyBody) => this.reply(to, body),
      inspect: (e: InspectionEvent) => this.wires.inspect(e),
      ended: (a: Activation, why: string, staleFrom?: number) => {
        const id = `${a.type}/${a.key}`;
        if (this.activations.get(id) === a) this.activations.delete(id);
        if (staleFrom !== undefined) this.stale.set(id, { version: staleFrom, until: this.node.clock.now() + this.node.settings.updateTimeoutMs });
        if (why.startsWith('passivated')) this.metrics.passivations++;
        this.node.logger.debug('hosted actor activation ended', { type: a.type, key: a.key, why });
      },
    };
  }

  /** Re-place after a commit that can move actors; activate a singleton's keys on its new host. */
  private replace(): void {
    if (!MEMBER.has(this.node.role)) return;
    const db = this.node.db;
    for (const a of [...this.activations.values()]) {
      if (hostOf(db, a.type, a.key) !== this.node.id) a.stop('moved: placed on another node');
    }
    for (const [type, def] of this.types) {
      if (typePlacement(db, type).rule?.placement !== 'singleton') continue;
      for (const key of keysOf(db, type)) {
        if (!this.activations.has(`${type}/${key}`) && hostOf(db, type, key) === this.node.id) this.activate(type, key, def);
      }
    }
    this.outbox.rehome();
  }

  private onCommitted(rec: UpdateRecord): void {
    if (this.stopped) return;
    const commit = actorCommitOf(rec);
    if (commit) {
      const stale = this.stale.get(`${commit.type}/${commit.key}`);
      if (stale && commit.version > stale.version) this.stale.delete(`${commit.type}/${commit.key}`);
      return;
    }
    if (!movesActors(rec.op)) return;
    this.register();
    this.replace();
  }

  private onRole(role: Role): void {
    if (this.stopped) return;
    if (MEMBER.has(role)) {
      this.register();
      this.replace();
      return;
    }
    // isolated or no longer a member: whatever the majority does next, this node commits nothing
    for (const a of [...this.activations.values()]) a.stop(`node is ${role}`);
  }

  /** Makes the committed database hold this node's registration of every type it defines. */
  private register(): void {
    if (this.stopped || !MEMBER.has(this.node.role)) return;
    for (const [type, def] of this.types) {
      const mine = registrationsOf(this.node.db, type)[this.node.id];
      if ((mine && mine.placement === def.opts.placement && mine.on === def.opts.on) || this.registering.has(type)) continue;
      this.registering.add(type);
      this.node.update(registrationOp(type, this.node.id, def.opts)).then(
        () => {
          this.registering.delete(type);
          this.register();
        },
        (e: unknown) => {
          this.node.logger.debug('actor type registration failed', { type, error: String(e) });
          // tried again after a pause: a node that rejoins a busy cluster may time out here, and
          // nothing else may come that would try again, so the type would stay unhosted there
          this.node.clock.setTimeout(() => {
            this.registering.delete(type);
            this.register();
          }, this.node.settings.retransmitMs);
        },
      );
    }
  }

  // ---------------------------------------------------------------- messages

  private channel(): string | null {
    if (this.channelId === null && this.node.role !== 'stopped') {
      // incarnation + start time: a node restarted on a fresh store still gets a new channel
      this.channelId = `${this.node.id}:${this.node.replica.incarnation}:${Math.floor(this.node.clock.now())}`;
    }
    return this.channelId;
  }

  private transmit(to: string, body: ActorEventBody): void {
    if (to === this.node.id) queueMicrotask(() => this.onEvent(this.node.id, body));
    else this.wires.publish(subjects.actor(this.node.cluster, body.type, to, this.node.id), 'actor-event', body);
  }

  private reply(to: string, body: ActorReplyBody): void {
    if (this.stopped) return;
    if (to === this.node.id) queueMicrotask(() => this.outbox.onReply(this.node.id, body));
    else this.wires.publish(subjects.actor(this.node.cluster, body.type, to, this.node.id), 'actor-reply', body);
  }

  private checkEvent(type: string, key: string, event: ActorEvent): void {
    if (event === null || typeof event !== 'object' || Array.isArray(event) || typeof event.type !== 'string' || !event.type) {
      throw new GlupError('INVALID_OP', `actor ${type}/${key}: an event is an object with a string type`);
    }
    let size: number;
    try {
      size = Buffer.byteLength(JSON.stringify(event));
    } catch (e) {
      throw new GlupError('INVALID_OP', `actor ${type}/${key}: event ${event.type} is not JSON: ${(e as Error).message}`);
    }
    if (size > this.node.settings.maxUpdateBytes) throw new GlupError('INVALID_OP', `actor ${type}/${key}: event ${event.type} is ${size} bytes, over maxUpdateBytes (${this.node.settings.maxUpdateBytes})`);
  }
}

/** A record that can change where actors live: membership and roles, or a type registration. */
function movesActors(op: Op): boolean {
  if ('membership' in op) return true;
  if (!('set' in op || 'delete' in op || 'merge' in op || 'cas' in op || 'batch' in op)) return false;
  // a data op's paths need no database (only a membership op's ephemeral keys would)
  return affectedPaths(op).some((p) => p === ROOT || p.startsWith(`${ROOT}.actorTypes`));
}
