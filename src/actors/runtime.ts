/**
 * One node (SPEC section 11, the embedding API): hosts the node's actor system
 * (./provide.ts), connects it to the bus through the edge (./edge.ts) and to the store
 * through the replica. It decides nothing about the protocol: the charts do.
 */
import { createActor, type Actor, type AnyActorRef, type InspectionEvent as XInspectionEvent, type Observer } from 'xstate';
import { createBus, type Bus, type BusMetrics } from '../bus/bus.js';
import type { Envelope } from '../bus/envelope.js';
import type { MessageType } from '../bus/messageTypes.js';
import { subjects, type TransportMessage } from '../bus/transport.js';
import type { Clock } from '../clock.js';
import type { ClusterDb, DataOp, Op, UpdateRecord } from '../db/types.js';
import { validateOp } from '../db/validate.js';
import { GlupError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { nodeMachine } from '../machines/node.js';
import type { NodeEvent } from '../machines/nodeTypes.js';
import { positionOf } from '../machines/rules/log.js';
import type { NodeFacts } from '../machines/rules/membership.js';
import type { MonitoredStore, StoreHealth } from '../persistence/health.js';
import { memoryStore } from '../persistence/memory.js';
import { answerAdmin } from './admin.js';
import { afterCommit, committedFacts } from './commits.js';
import { createEdge, type Edge } from './edge.js';
import { answerFetch, FetchReplies } from './effects/catchUp.js';
import { groupHostOf, type GroupHost } from './groups.js';
import { HostedActorRuntime } from './hosted/host.js';
import type { Channel, Counters, NodeHost } from './host.js';
import { InspectionSwitch, inspectionOf } from './inspection.js';
import { messageEvent } from './messageEvents.js';
import { provideNodeMachine } from './provide.js';
import { nodeMachineInput } from './machineInput.js';
import { Replica } from './replica.js';
import { roleOf, untilManagerIs, untilMember, untilRole } from './roleWaits.js';
import { admissionViewOf, statusOf } from './nodeStatus.js';
import { watchStore } from './storeWatch.js';
import { answerConflict, takeJoinRequest, takeSubmission } from './submissions.js';
import { routeMessage } from './routes.js';
import { resolveSettings } from './settings.js';
import { Submitter } from './submitter.js';
import type { GroupHandle, InspectionEvent, JoinGroupOptions, Listener, NodeMetrics, NodeOptions, Role, Settings } from './types.js';
import { watchCommitted } from './watch.js';

export class NodeRuntime implements NodeHost {
  readonly id: string;
  readonly cluster: string;
  readonly settings: Settings;
  readonly info: { qualified: boolean; priority: number };
  readonly clock: Clock;
  readonly logger: Logger;
  readonly replica: Replica;
  /** The node's store, watched: a disk error on it is a node failure (SPEC section 6). */
  readonly store: MonitoredStore;
  readonly submitter: Submitter;
  readonly counters: Counters = { updatesCommitted: 0, conflicts: 0, fencedMessages: 0, refusedSubmissions: 0 };
  private readonly busMetrics: BusMetrics = { invalidMessages: 0, messagesSent: 0, messagesReceived: 0, handlerErrors: 0 };
  private readonly opts: NodeOptions;
  private readonly groups: GroupHost;
  /** Hosted actors (SPEC section 11; src/actors/hosted). */
  readonly actors: HostedActorRuntime;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly inspectors = new Set<(e: InspectionEvent) => void>();
  private readonly inspection = new InspectionSwitch((e) => this.observe(e), () => this.inspectors.size > 0 || !!this.opts.inspect);
  private readonly replies = new FetchReplies();
  private bus: Bus | null = null;
  private edge: Edge | null = null;
  private root: Actor<typeof nodeMachine> | null = null;
  role: Role = 'stopped';
  /** When this node, as a new manager, sent the first message of its epoch (failover ends there). */
  lastTakeoverAt: number | null = null;
  private announcedEpoch = 0;
  /** Between start() and the node stopping (kill, leave, STOP). */
  private running = false;
  private markOpened!: () => void;
  /** Resolves once the store is recovered and the node's actors run (start() goes on to join). */
  readonly opened: Promise<void> = new Promise((resolve) => (this.markOpened = resolve));

  constructor(opts: NodeOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.cluster = opts.cluster;
    this.settings = resolveSettings(opts);
    this.info = { qualified: opts.qualified ?? true, priority: opts.priority ?? 0 };
    this.clock = opts.transport.clock;
    this.logger = (opts.logger ?? silentLogger()).child({ node: opts.id });
    this.store = watchStore(this, opts.store ?? memoryStore());
    this.replica = new Replica(opts.cluster, this.store, this.clock, this.logger, this.settings.snapshotEvery);
    this.submitter = new Submitter({
      id: this.id,
      clock: this.clock,
      replica: this.replica,
      retransmitMs: this.settings.retransmitMs,
      updateTimeoutMs: this.settings.updateTimeoutMs,
      deliver: (id, op) => this.deliverSubmission(id, op),
      epoch: () => this.epoch,
    });
    this.groups = groupHostOf(this, (subject, body) => this.send1(subject, 'group-message', body), (e) => this.observe(e));
    // epoch 0: application traffic, which must never raise a node's epoch (a voter's promised
    // epoch would depose the manager) nor be fenced
    this.actors = new HostedActorRuntime(this, { publish: (subject, type, body) => this.send1(subject, type, body, 0), inspect: (e) => this.observe(e) });
  }

  get db(): ClusterDb {
    return this.replica.db;
  }

  /** The epoch of the manager this node is or follows (a fencing token); its own epoch otherwise. */
  get epoch(): number {
    const c = this.root?.getSnapshot().context;
    if (!c) return this.replica.persistedEpoch;
    return c.leadership?.epoch ?? (this.isMember() ? c.followed?.epoch : undefined) ?? c.epoch;
  }

  get committedSeq(): number {
    return this.isMember() ? this.replica.committedSeq : 0;
  }

  get manager(): string | null {
    if (!this.isMember()) return null;
    return this.role === 'manager' ? this.id : (this.root?.getSnapshot().context.followed?.manager ?? null);
  }

  get backup(): string | null {
    return this.isMember() ? this.replica.committedShape.meta.backup : null;
  }

  get metrics(): NodeMetrics {
    return { ...this.busMetrics, ...this.counters };
  }

  isMember(): boolean {
    return this.role === 'manager' || this.role === 'backup' || this.role === 'client';
  }

  on(event: string, fn: Listener): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }

  emit(event: string, ...args: unknown[]): void {
    for (const fn of this.listeners.get(event) ?? []) {
      try {
        fn(...args);
      } catch (e) {
        this.logger.error('listener threw', { event, error: String(e) });
      }
    }
  }

  inspect(fn: (e: InspectionEvent) => void): () => void {
    this.inspectors.add(fn);
    this.inspection.update(this.root);
    return () => void (this.inspectors.delete(fn) && this.inspection.update(this.root));
  }

  async start(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (this.root) throw new Error(`node ${this.id} already started`);
    await this.replica.open().catch((e) => {
      this.markOpened();
      throw e;
    });
    this.bus = createBus({
      transport: this.opts.transport,
      cluster: this.cluster,
      node: this.id,
      faults: this.opts.faults,
      logger: this.logger,
      metrics: this.busMetrics,
      // every message sent and delivered goes to node.inspect too (src/actors/messageEvents.ts)
      tap: (dir, env, subject) => {
        if (!this.inspectors.size) return;
        const ev = messageEvent(this.id, dir, env, subject, this.cluster, Math.round(this.clock.now() * 1000) / 1000);
        for (const fn of this.inspectors) fn(ev);
      },
    });
    this.edge = createEdge({ host: this, metrics: this.busMetrics, view: () => admissionViewOf(this.root!.getSnapshot(), this.id, this.settings), route: (env, body) => this.route(env, body) });
    const handler = (env: Envelope, raw: TransportMessage) => this.onMessage(env, raw);
    // a `*` in the sender's place: the bus checks each message's `from` against that token
    for (const s of [subjects.discoveryAll, subjects.heartbeatAll, subjects.submitAll, subjects.updateAll, subjects.adminAll, subjects.groupAll]) this.bus.subscribe(s(this.cluster), handler);
    this.bus.subscribe(subjects.nodeAll(this.cluster, this.id), handler);
    this.bus.subscribe(subjects.actorAll(this.cluster, this.id), handler);
    const machine = provideNodeMachine(this, { replies: this.replies, stop: () => this.teardown(), conflict: (from, seq) => answerConflict(this, from, seq) });
    this.root = createActor(machine, {
      input: nodeMachineInput(this),
      clock: this.clock,
      systemId: 'node',
    });
    this.inspection.update(this.root);
    this.root.subscribe((snap) => this.onSnapshot(snap));
    this.running = true;
    const r = this.replica;
    r.onChange = () => this.toNode({ type: 'LOG', log: r.index, newest: r.newestMembers(), lastChangeSeq: r.lastChangeSeq, previousMembers: r.previousMembers });
    this.root.start();
    this.toNode({ type: 'COMMITTED', facts: committedFacts(this.replica, this.id) });
    this.toNode({ type: 'START' });
    this.markOpened();
    await untilMember(this, opts.timeoutMs);
  }

  /**
   * Submits an application update (SPEC section 4). `opts.id` is a caller-chosen submission
   * id: a tool that retries through another node gets its update committed once.
   */
  update(op: DataOp, opts: { id?: string } = {}): Promise<{ seq: number; epoch: number }> {
    let valid: DataOp;
    try {
      // a fresh copy: the caller may keep mutating its object after submitting
      valid = validateOp(op, { maxUpdateBytes: this.settings.maxUpdateBytes });
    } catch (e) {
      return Promise.reject(e);
    }
    return this.submit(valid, opts.id);
  }

  submit(op: Op, id?: string): Promise<{ seq: number; epoch: number }> {
    if (this.role === 'stopped') return Promise.reject(new GlupError('STOPPED', `node ${this.id} is stopped`));
    if (this.role === 'isolated') return Promise.reject(new GlupError('NO_QUORUM', `node ${this.id} is isolated from the majority`));
    return this.submitter.submit(op, id);
  }

  watch(prefix: string, opts: { fromSeq?: number } = {}): AsyncIterableIterator<UpdateRecord> {
    return watchCommitted(this, prefix, opts);
  }
  joinGroup(group: string, process: string, opts?: JoinGroupOptions): Promise<GroupHandle> {
    return this.groups.join(group, process, opts);
  }

  async send(group: string, msg: unknown, opts: { mode?: 'all' | 'one' | 'ordered'; key?: string } = {}): Promise<void> {
    const mode = opts.mode ?? 'all';
    if (mode === 'ordered') await this.groups.broadcastOrdered(group, msg);
    else this.groups.send(group, msg, mode, opts.key);
  }

  async leave(): Promise<void> {
    if (this.role === 'stopped') return;
    const stopped = untilRole(this, 'stopped');
    this.toNode({ type: 'LEAVE' });
    await stopped;
  }

  async switchover(to: string): Promise<void> {
    if (this.role !== 'manager') throw new GlupError('NOT_MEMBER', `switchover must run on the manager; ${this.id} is ${this.role}`);
    const target = this.replica.db.nodes[to];
    if (!target || !target.qualified || to === this.id) throw new GlupError('INVALID_OP', `switchover target ${to} is not a qualified member other than the manager`);
    const done = untilManagerIs(this, to);
    this.toNode({ type: 'SWITCHOVER', to });
    await done;
  }

  async kill(): Promise<void> {
    this.teardown();
    this.root?.stop();
    await this.opts.transport.close();
    await this.replica.store.close();
  }

  /** A plain status object for `glup status` and the dashboard. */
  status() {
    return statusOf(this, this.root?.getSnapshot().value);
  }

  facts(): NodeFacts {
    return { id: this.id, qualified: this.info.qualified, priority: this.info.priority, incarnation: this.replica.incarnation };
  }

  position() {
    return positionOf(this.replica.index);
  }

  sendTo(node: string, type: MessageType, body: unknown, opts: { epoch?: number } = {}): void {
    this.send1(subjects.node(this.cluster, node, this.id), type, body, opts.epoch);
  }

  publish(channel: Channel, type: MessageType, body: unknown): void {
    const subject = (channel === 'discovery' ? subjects.discovery : channel === 'heartbeat' ? subjects.heartbeat : subjects.update)(this.cluster, this.id);
    this.send1(subject, type, body);
  }

  toNode(event: NodeEvent): void {
    if (this.running) this.root!.send(event);
  }

  toActor(systemId: string, event: { type: string; [k: string]: unknown }): void {
    this.actor(systemId)?.send(event);
  }

  actor(systemId: string): AnyActorRef | undefined {
    return this.root?.system.get(systemId) as AnyActorRef | undefined;
  }

  persistEpoch(epoch: number): Promise<void> {
    return this.replica.persistEpoch(epoch);
  }

  committed(records: UpdateRecord[], asManager: boolean): void {
    afterCommit(this, records, asManager);
  }

  // a disk error is counted once, in the store's health (storeWatch.ts); this line names the step
  storeFailed(what: string, error: unknown): void {
    this.logger.error('store write failed', { what, error: String(error) });
  }

  /** Whether the store takes writes (`failing` from a disk error until a write succeeds). */
  get storeHealth(): StoreHealth {
    return this.store.health;
  }

  announcedAt(epoch: number): void {
    if (epoch <= this.announcedEpoch) return;
    this.announcedEpoch = epoch;
    this.lastTakeoverAt = this.clock.now();
  }


  private send1(subject: string, type: MessageType, body: unknown, epoch = this.nodeEpoch()): void {
    if (!this.bus || !this.running) return;
    try {
      this.bus.publish(subject, type, body, { epoch });
    } catch (e) {
      this.logger.error('publish failed', { subject, type, error: String(e) });
    }
  }

  nodeEpoch(): number {
    return this.root?.getSnapshot().context.epoch ?? this.replica.persistedEpoch;
  }

  private onMessage(env: Envelope, raw: TransportMessage): void {
    if (!this.running) return;
    if (env.type === 'status-request' || env.type === 'admin-request') {
      answerAdmin(this, env, (type, body) => this.bus?.reply(raw, type, body, { epoch: this.nodeEpoch() }));
      return;
    }
    this.edge!.receive(env);
  }

  private route(env: Envelope, body: unknown): void {
    routeMessage(this, {
      onSubmit: (e, b) => takeSubmission(this, e.from, b),
      onSubmitResult: (b) => this.submitter.onResult(b),
      onFetch: (e, b) => answerFetch(this, e.from, b),
      onFetchReply: (e, b) => this.replies.deliver(e.from, b),
      onJoinRequest: (e, b) => takeJoinRequest(this, e.from, b),
      onGroupMessage: (e, b) => this.emit('group-message', b, e),
      onActorMessage: (e, b) => this.actors.receive(e, b),
      onAdmin: () => {},
    }, env, body);
  }

  /** Where the submitter's submissions go: this node's coordinator, or the manager. */
  private deliverSubmission(id: string, op: Op): boolean {
    const snap = this.root?.getSnapshot();
    if (!snap || !(snap.hasTag('member') || snap.matches({ active: { following: 'leaving' } } as never))) return false;
    if (snap.hasTag('manager')) takeSubmission(this, this.id, { id, op });
    else this.send1(subjects.submit(this.cluster, this.id), 'submit', { id, op });
    return true;
  }

  private onSnapshot(snap: ReturnType<Actor<typeof nodeMachine>['getSnapshot']>): void {
    const role = roleOf(snap);
    if (role === null || role === this.role) return;
    const wasIsolated = this.role === 'isolated';
    this.role = role;
    this.emit('role', role);
    if (role === 'isolated') this.emit('quorum', false);
    if (wasIsolated && this.isMember()) this.emit('quorum', true);
    if (this.isMember()) this.submitter.flush();
  }

  /** Every actor's inspection event, the node's and the hosted ones: to createNode({ inspect }) and node.inspect. */
  private observe(e: XInspectionEvent): void {
    this.onInspect(e);
    const userInspect = this.opts.inspect;
    if (typeof userInspect === 'function') userInspect(e);
    else userInspect?.next?.(e);
  }

  private readonly lastValues = new Map<string, string>();
  private onInspect(e: XInspectionEvent): void {
    if (!this.inspectors.size) return;
    const ev = inspectionOf(e, this.root, this.lastValues, this.id, this.clock.now());
    if (ev) for (const fn of this.inspectors) fn(ev);
  }

  private teardown(): void {
    if (!this.running) return;
    this.running = false;
    this.submitter.rejectAll(new GlupError('STOPPED', `node ${this.id} stopped`));
    this.groups.stop();
    this.actors.stop();
    this.role = 'stopped';
    this.emit('role', 'stopped');
    this.bus?.close();
    void this.opts.transport.close();
  }
}
