/**
 * The host of one node: runs the node statechart (src/machines/node.ts) and, on the manager,
 * the coordinator statechart, wires them to the bus and the store, and keeps the protocol
 * data they decide on (membership liveness, election votes, submissions). Every effect the
 * machines name is implemented here and supplied with `.provide()`.
 */
import { createActor, fromCallback, type Actor, type AnyActorRef, type InspectionEvent as XInspectionEvent } from 'xstate';
import { nodeMachine, type MemberRole, type NodeMachineEvent } from '../machines/node.js';
import { coordinatorMachine } from '../machines/coordinator.js';
import { chooseBackup, hasMajority } from '../machines/rules.js';
import { createBus, type Bus, type BusMetrics } from '../bus/bus.js';
import type { Envelope } from '../bus/envelope.js';
import { subjects } from '../bus/transport.js';
import type { MessageType } from '../bus/messageTypes.js';
import type { TransportMessage } from '../bus/transport.js';
import type { Clock } from '../clock.js';
import { GlupError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { ClusterDb, DataOp, NodeInfo, Op, UpdateRecord } from '../db/types.js';
import { validateOp, validateSystemOp } from '../db/validate.js';
import { memoryStore } from '../persistence/memory.js';
import { Replica } from './replica.js';
import { UpdateCoordinator, type Submission } from './coordinator.js';
import { clusterSettings, resolveSettings } from './settings.js';
import { GroupHost } from './groups.js';
import { watchCommitted } from './watch.js';
import { answerAdmin } from './admin.js';
import { Submitter } from './submitter.js';
import { Election } from './election.js';
import { Follower } from './follower.js';
import type * as M from './messages.js';
import type { GroupHandle, InspectionEvent, JoinGroupOptions, NodeMetrics, NodeOptions, Role, Settings } from './types.js';

type Listener = (...args: any[]) => void;



export class NodeRuntime {
  readonly id: string;
  readonly cluster: string;
  readonly settings: Settings;
  readonly info: { qualified: boolean; priority: number };
  readonly clock: Clock;
  readonly logger: Logger;
  readonly replica: Replica;
  private readonly opts: NodeOptions;
  private bus: Bus | null = null;
  private actor: Actor<typeof nodeMachine> | null = null;
  private coordinatorRef: AnyActorRef | null = null;
  coordinator: UpdateCoordinator | null = null;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly inspectors = new Set<(e: InspectionEvent) => void>();

  role: Role = 'stopped';
  /** Highest epoch seen on any manager message (fencing). */
  highestEpoch = 0;
  /** Epoch this node is manager of (when manager). */
  private managingEpoch = 0;
  managerId: string | null = null;
  private lastManagerHbAt = 0;
  private lastBackupHbAt = 0;
  private nextHeartbeatAt = 0;
  /** Last time each node was heard (acks, any message), for failure detection and quorum. */
  private readonly lastHeard = new Map<string, number>();
  private lastQuorumAt = 0;
  private hasQuorumFlag = true;

  private readonly election: Election;
  private readonly follower: Follower;
  /**
   * The first update of a new manager, built once recovery is over: it must be valid on the
   * database as caught up and as changed by the re-sent updates, not as it was at election.
   */
  private leadership: (() => Op) | null = null;
  /** A node whose log is ahead of this new manager's: fetched before anything is committed. */
  private catchUpFrom: { node: string; pos: M.LogPosition } | null = null;
  private readonly confirms = new Map<string, boolean>();
  private handoverTo: string | null = null;
  private removalsPending = new Set<string>();

  /** Wall-independent time of the last takeover (for failover measurement). */
  lastTakeoverAt: number | null = null;
  private readonly busMetrics: BusMetrics = { invalidMessages: 0, messagesSent: 0, messagesReceived: 0, handlerErrors: 0 };
  private readonly counters = { updatesCommitted: 0, conflicts: 0, fencedMessages: 0, pausesDiscounted: 0 };

  get metrics(): NodeMetrics {
    return { ...this.busMetrics, ...this.counters };
  }

  constructor(opts: NodeOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.cluster = opts.cluster;
    this.settings = resolveSettings(opts);
    this.info = { qualified: opts.qualified ?? true, priority: opts.priority ?? 0 };
    this.clock = opts.transport.clock;
    this.logger = (opts.logger ?? silentLogger()).child({ node: opts.id });
    this.replica = new Replica(opts.cluster, opts.store ?? memoryStore(), this.clock, this.logger, this.settings.snapshotEvery);
    this.groups = new GroupHost({
      id: this.id,
      cluster: this.cluster,
      get db() {
        return runtime.replica.db;
      },
      maxUpdateBytes: this.settings.maxUpdateBytes,
      submit: (op) => this.submit(op),
      publishOn: (subject, body) => this.publish(subject, 'group-message', body),
      emit: (event, ...args) => this.emit(event, ...args),
      on: (event, fn) => this.on(event, fn),
    });
    const runtime = this;
    this.submitter = new Submitter({
      id: this.id,
      clock: this.clock,
      replica: this.replica,
      retransmitMs: this.settings.retransmitMs,
      updateTimeoutMs: this.settings.updateTimeoutMs,
      deliver: (id, op) => this.deliverSubmission(id, op),
      get epoch() {
        return runtime.epoch;
      },
    });
    this.follower = new Follower({
      id: this.id,
      clock: this.clock,
      replica: this.replica,
      logger: this.logger,
      retransmitMs: this.settings.retransmitMs,
      updateTimeoutMs: this.settings.updateTimeoutMs,
      get managerId() {
        return runtime.managerId;
      },
      set managerId(id: string | null) {
        runtime.managerId = id;
      },
      isManaging: () => this.coordinator !== null,
      isMember: () => this.isMember(),
      isStopped: () => this.role === 'stopped',
      fenced: (env) => this.fenced(env),
      sendTo: (node, type, body) => this.sendTo(node, type, body),
      committed: (records) => this.onCommitted(records, false),
      reportConflicts: (ids, manager, epoch) => this.reportConflicts(ids, manager, epoch),
      caughtUp: () => this.checkRole(),
    });
    this.election = new Election({
      id: this.id,
      quorum: this.settings.quorum,
      initialMembers: this.settings.initialMembers,
      windowMs: this.settings.discoveryMs + 2 * this.timing().electionMs,
      now: () => this.clock.now(),
      self: () => ({ info: this.nodeInfo(), ...this.position(), heardAt: this.clock.now() }),
      highestEpoch: () => this.highestEpoch,
      persistedEpoch: () => this.replica.persistedEpoch,
      logMembers: () => Object.keys(this.replica.tentativeDb.nodes),
      committedSeq: () => this.replica.committedSeq,
      committedMembers: () => Object.keys(this.replica.db.nodes),
    });
  }

  private readonly groups: GroupHost;
  private readonly submitter: Submitter;

  /** Joins `process` of this node to `group` (a GLUP update); resolves once committed. */
  joinGroup(group: string, process: string, opts?: JoinGroupOptions): Promise<GroupHandle> {
    return this.groups.join(group, process, opts);
  }

  /** Sends to a group from this node, member or not (SPEC section 7). */
  async send(group: string, msg: unknown, opts: { mode?: 'all' | 'one' | 'ordered'; key?: string } = {}): Promise<void> {
    const mode = opts.mode ?? 'all';
    if (mode === 'ordered') {
      await this.groups.broadcastOrdered(group, msg);
      return;
    }
    this.groups.send(group, msg, mode, opts.key);
  }

  // ---------------------------------------------------------------- public surface

  get db(): ClusterDb {
    return this.replica.db;
  }

  get epoch(): number {
    return Math.max(this.replica.db.meta.epoch, this.managingEpoch);
  }

  get committedSeq(): number {
    return this.isMember() ? this.replica.committedSeq : 0;
  }

  get manager(): string | null {
    if (!this.isMember()) return null;
    return this.role === 'manager' ? this.id : this.managerId ?? this.replica.db.meta.manager;
  }

  get backup(): string | null {
    return this.isMember() ? this.replica.db.meta.backup : null;
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
    return () => this.inspectors.delete(fn);
  }

  private markOpened!: () => void;
  /** Resolves once the store is recovered and the node's actors run (start() goes on to join). */
  readonly opened: Promise<void> = new Promise((resolve) => (this.markOpened = resolve));

  async start(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (this.actor) throw new Error(`node ${this.id} already started`);
    await this.replica.open().catch((e) => {
      this.markOpened();
      throw e;
    });
    this.highestEpoch = Math.max(this.replica.tentativeDb.meta.epoch, this.replica.db.meta.epoch);
    this.follower.resetConfirmed();
    this.bus = createBus({
      transport: this.opts.transport,
      cluster: this.cluster,
      node: this.id,
      faults: this.opts.faults,
      logger: this.logger,
      metrics: this.busMetrics,
    });
    this.subscribe();
    this.actor = createActor(this.provideMachine(), {
      input: { id: this.id, timing: this.timing() },
      clock: this.clock,
      systemId: 'node',
      inspect: (e) => this.onInspect(e),
    });
    this.actor.subscribe((snap) => this.onSnapshot(snap.value));
    this.actor.start();
    this.sendEvent({ type: 'START' });
    this.markOpened();
    const joined = new Promise<void>((resolve, reject) => {
      if (this.isMember()) return resolve();
      const off = this.on('role', (r: Role) => {
        if (r === 'manager' || r === 'backup' || r === 'client') {
          off();
          resolve();
        } else if (r === 'stopped') {
          off();
          reject(new GlupError('STOPPED', `node ${this.id} stopped before joining`));
        }
      });
    });
    if (opts.timeoutMs === undefined) return joined;
    let timer: unknown;
    const timeout = new Promise<void>((_, reject) => {
      timer = this.clock.setTimeout(
        () => reject(new GlupError('TIMEOUT', `node ${this.id} did not join within ${opts.timeoutMs} ms`)),
        opts.timeoutMs!,
      );
    });
    try {
      await Promise.race([joined, timeout]);
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  /**
   * Submits an application update (SPEC section 4). SHIM (issue 13, "needs from core"):
   * `opts.id` is a caller-chosen submission id, so a tool that retries through another node
   * gets its update committed once (the coordinator knows committed ids).
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
    if (this.role === 'isolated') {
      return Promise.reject(new GlupError('NO_QUORUM', `node ${this.id} is isolated from the majority`));
    }
    return this.submitter.submit(op, id);
  }

  /**
   * Committed updates touching `prefix` (a dotted path under data; '' for all), from
   * `fromSeq` on (default: the next commit): first what the log holds, then live commits.
   */
  watch(prefix: string, opts: { fromSeq?: number } = {}): AsyncIterableIterator<UpdateRecord> {
    return watchCommitted(this, prefix, opts);
  }

  async leave(): Promise<void> {
    if (this.role === 'stopped') return;
    const stopped = this.waitForRole('stopped');
    this.sendEvent({ type: 'LEAVE' });
    await stopped;
  }

  async switchover(to: string): Promise<void> {
    if (this.role !== 'manager') throw new GlupError('NOT_MEMBER', `switchover must run on the manager; ${this.id} is ${this.role}`);
    const target = this.replica.db.nodes[to];
    if (!target || !target.qualified || to === this.id) {
      throw new GlupError('INVALID_OP', `switchover target ${to} is not a qualified member other than the manager`);
    }
    const done = new Promise<void>((resolve) => {
      const off = this.on('update', () => {
        if (this.replica.db.meta.manager === to) {
          off();
          resolve();
        }
      });
    });
    this.sendEvent({ type: 'SWITCHOVER', to });
    await done;
  }

  async kill(): Promise<void> {
    this.teardown(new GlupError('STOPPED', `node ${this.id} was killed`));
    this.groups.stop();
    this.actor?.stop();
    this.setRole('stopped');
    this.bus?.close();
    await this.opts.transport.close();
    await this.replica.store.close();
  }

  /** A plain status object for `glup status` and the dashboard. */
  status() {
    return {
      id: this.id,
      role: this.role,
      epoch: this.epoch,
      manager: this.manager,
      backup: this.backup,
      committedSeq: this.replica.committedSeq,
      lastSeq: this.replica.lastSeq,
      state: this.actor ? JSON.stringify(this.actor.getSnapshot().value) : 'stopped',
      metrics: { ...this.metrics },
    };
  }

  // ---------------------------------------------------------------- machine wiring

  private timing() {
    const s = this.settings;
    return {
      discoveryMs: s.discoveryMs,
      electionMs: Math.max(2 * s.heartbeatMs, s.discoveryMs),
      retransmitMs: s.retransmitMs,
      confirmMs: s.heartbeatMs,
      joinTimeoutMs: s.updateTimeoutMs,
      leaveTimeoutMs: s.updateTimeoutMs,
      tickMs: Math.max(1, s.heartbeatMs / 5),
    };
  }

  private sendEvent(ev: NodeMachineEvent): void {
    this.actor?.send(ev);
  }

  private provideMachine() {
    const clock = this.clock;
    // every submission and ack reaches the coordinator through its chart, so the phase it is
    // in (recovering, active, draining) decides what happens to it
    const coordinatorLogic = coordinatorMachine.provide({
      actions: {
        resendHeldUpdates: () => void this.recoverAsManager(),
        sequencePending: ({ event }) => {
          if (!this.coordinator) return;
          this.coordinator.active = true;
          if (event.type === 'SUBMIT') this.coordinator.submit(event.submission as Submission, event.front);
          this.coordinator.sequence();
        },
        recordAck: ({ event }) => {
          if (event.type === 'ACK') this.coordinator?.onAck(event.from, event.acks as M.UpdateAckBody['acks'], event.upTo);
        },
        retransmit: () => this.coordinator?.onTick(),
        holdSubmissions: ({ event }) => {
          if (event.type === 'SUBMIT') this.coordinator?.submit(event.submission as Submission, event.front);
        },
        stopSequencing: () => {
          if (this.coordinator) this.coordinator.active = false;
        },
        handOver: () => this.completeHandover(),
      },
    });
    return nodeMachine.provide({
      actors: {
        ticker: fromCallback<{ type: 'TICK' }, { tickMs: number }>(({ sendBack, input }) => {
          let handle: unknown;
          const arm = () => {
            handle = clock.setTimeout(() => {
              sendBack({ type: 'TICK' });
              arm();
            }, input.tickMs);
          };
          arm();
          return () => clock.clearTimeout(handle);
        }),
        coordinator: coordinatorLogic as any,
      },
      actions: {
        sendHello: () => this.sendHello(),
        onTick: () => this.onTick(),
        standForElection: () => this.standForElection(),
        becomeElectedManager: () => this.becomeElectedManager(),
        sendJoinRequest: () => this.sendJoinRequest(),
        sendConfirmRequest: () => this.sendConfirmRequest(),
        takeOver: () => this.takeOver('takeover'),
        acceptHandover: () => this.takeOver('handover'),
        enterIsolation: () => this.sendHello(),
        startLeave: () => this.startLeave(),
        beginHandover: ({ event }) => this.beginHandover(event as NodeMachineEvent),
        stopRuntime: () => this.teardown(new GlupError('STOPPED', `node ${this.id} stopped`)),
        resetMembership: () => {
          this.managerId = null;
        },
      },
      guards: {
        majorityReachable: () => this.election.majorityReachable(),
      },
    });
  }

  private inState(path: string): boolean {
    const snap = this.actor?.getSnapshot();
    return !!snap && snap.matches(path as any);
  }

  private actorsDirty = false;

  /** Keeps the XState persisted snapshots beside the log (SPEC 6), at most once per tick. */
  private saveActorSnapshots(): void {
    if (!this.actorsDirty || !this.actor) return;
    this.actorsDirty = false;
    const snapshots: Record<string, unknown> = {};
    try {
      snapshots.node = this.actor.getPersistedSnapshot();
      const coord = this.actor.system.get('coordinator') as AnyActorRef | undefined;
      if (coord) snapshots.coordinator = coord.getPersistedSnapshot?.();
    } catch (e) {
      this.logger.warn('actor snapshot not persistable', { error: String(e) });
      return;
    }
    void this.replica.serial(() => this.replica.store.saveActorSnapshots(JSON.parse(JSON.stringify(snapshots))));
  }

  private onSnapshot(value: unknown): void {
    this.actorsDirty = true;
    const role = roleOf(value);
    if (role === null) return;
    if (role !== this.role) {
      const prev = this.role;
      this.setRole(role);
      this.onRoleEntered(role, prev);
    }
    const coord = this.actor?.system.get('coordinator') as AnyActorRef | undefined;
    this.coordinatorRef = coord ?? null;
  }

  private setRole(role: Role): void {
    if (role === this.role) return;
    this.role = role;
    this.emit('role', role);
  }


  private onRoleEntered(role: Role, prev: Role): void {
    const now = this.clock.now();
    const wasMember = prev === 'manager' || prev === 'backup' || prev === 'client';
    if ((role === 'joining' || role === 'isolated') && (wasMember || prev === 'stopped')) this.election.newRound();
    if (role === 'manager' || role === 'backup' || role === 'client') {
      this.lastManagerHbAt = now;
      this.lastBackupHbAt = now;
      this.lastQuorumAt = now;
      this.submitter.flush();
    }
    if (role === 'manager' || role === 'backup') this.nextHeartbeatAt = now;
    if (role !== 'manager' && this.coordinator) {
      this.coordinator.stop();
      this.coordinator = null;
    }
    if (role === 'isolated') this.setQuorum(false);
    if (role === 'manager' || role === 'backup' || role === 'client') this.setQuorum(true);
  }

  private setQuorum(q: boolean): void {
    if (q === this.hasQuorumFlag) return;
    this.hasQuorumFlag = q;
    this.emit('quorum', q);
  }

  private readonly lastValues = new Map<string, string>();
  private onInspect(e: XInspectionEvent): void {
    if (!this.inspectors.size || e.type !== '@xstate.snapshot') return;
    const ref = e.actorRef as AnyActorRef & { systemId?: string };
    const name = ref === this.actor ? 'node' : ((ref as any)._systemId ?? ref.id);
    if (name === 'ticker') return;
    const value = (e.snapshot as { value?: unknown }).value;
    if (value === undefined) return;
    const key = JSON.stringify(value);
    const prev = this.lastValues.get(name);
    if (prev === key) return;
    this.lastValues.set(name, key);
    const ev: InspectionEvent = {
      node: this.id,
      actor: name,
      type: 'transition',
      event: e.event.type,
      from: prev === undefined ? null : JSON.parse(prev),
      to: value,
      t: round(this.clock.now()),
    };
    for (const fn of this.inspectors) fn(ev);
  }

  // ---------------------------------------------------------------- bus

  private subscribe(): void {
    const bus = this.bus!;
    const c = this.cluster;
    const handler = (env: Envelope, raw?: TransportMessage) => this.onMessage(env, raw);
    bus.subscribe(subjects.discoveryAll(c), handler);
    bus.subscribe(subjects.heartbeatAll(c), handler);
    bus.subscribe(subjects.nodeAll(c, this.id), handler);
    bus.subscribe(subjects.submitAll(c), handler);
    bus.subscribe(subjects.updateAll(c), handler);
    bus.subscribe(subjects.adminAll(c), handler);
    bus.subscribe(subjects.groupAll(c), handler);
  }

  private publish(subject: string, type: MessageType, body: unknown): void {
    if (!this.bus) return;
    try {
      this.bus.publish(subject, type, body, { epoch: this.highestEpoch });
    } catch (e) {
      this.logger.error('publish failed', { subject, type, error: String(e) });
    }
  }

  sendTo(node: string, type: MessageType, body: unknown): void {
    if (node === this.id) {
      // local delivery keeps the same code path without a network hop
      this.clock.setTimeout(() => this.onMessage(this.localEnvelope(type, body)), 0);
      return;
    }
    this.publish(subjects.node(this.cluster, node, this.id), type, body);
  }

  private localEnvelope(type: MessageType, body: unknown): Envelope {
    return { v: 1, cluster: this.cluster, type, from: this.id, epoch: this.highestEpoch, id: 'local', ts: this.clock.now(), body };
  }

  private onMessage(env: Envelope, raw?: TransportMessage): void {
    if (!this.actor || this.role === 'stopped') return;
    if (env.type === 'status-request' || env.type === 'admin-request') {
      if (raw) {
        answerAdmin(this, env, (type, body) => this.bus?.reply(raw, type, body, { epoch: this.highestEpoch }));
      }
      return;
    }
        if (env.from !== this.id) this.lastHeard.set(env.from, this.clock.now());
    try {
      this.dispatch(env);
    } catch (e) {
      this.logger.error('message handler failed', { type: env.type, from: env.from, error: String((e as Error).stack ?? e) });
    }
  }

  private dispatch(env: Envelope): void {
    const b = env.body as any;
    switch (env.type) {
      case 'hello':
        return this.onHello(env, b);
      case 'announce':
        return this.onAnnounce(env, b);
      case 'heartbeat':
        return this.onHeartbeat(env, b);
      case 'heartbeat-ack':
        return;
      case 'candidacy':
        return this.onCandidacy(env, b);
      case 'vote':
        return this.onVote(env, b);
      case 'join-request':
        return this.onJoinRequest(env, b);
      case 'join-accept':
        return this.follower.onJoinAccept(env, b);
      case 'submit':
        return this.onSubmit(env, b);
      case 'submit-result':
        return this.submitter.onResult(b);
      case 'update':
        return this.follower.onUpdate(env, b);
      case 'update-ack':
        if (this.coordinator && env.epoch <= this.managingEpoch) this.coordinatorRef?.send({ type: 'ACK', from: env.from, acks: (b as M.UpdateAckBody).acks, upTo: (b as M.UpdateAckBody).upTo });
        return;
      case 'commit':
        return this.follower.onCommitNotice(env, b);
      case 'fetch':
        return this.follower.onFetch(env, b);
      case 'fetch-reply':
        return this.follower.onFetchReply(env, b);
      case 'confirm-request':
        return this.onConfirmRequest(env, b);
      case 'confirm-reply':
        return this.onConfirmReply(env, b);
      case 'handover':
        return this.onHandover(env, b);
      case 'group-message':
        return this.emit('group-message', b, env);
      default:
        return;
    }
  }

  /** Fencing: a manager message from an epoch older than the highest seen changes nothing. */
  private fenced(env: Envelope): boolean {
    if (env.epoch < this.highestEpoch) {
      this.counters.fencedMessages++;
      return true;
    }
    if (env.epoch > this.highestEpoch) {
      this.highestEpoch = env.epoch;
      // remembered across restarts too: a term is never reused by a node that forgot it saw it
      void this.replica.persistEpoch(env.epoch);
    }
    return false;
  }

  private position(): M.LogPosition {
    const last = this.replica.lastIdentity();
    return { committedSeq: this.replica.committedSeq, lastSeq: last.seq, lastEpoch: last.epoch, lastId: last.id };
  }

  private nodeInfo(): NodeInfo {
    return { id: this.id, qualified: this.info.qualified, priority: this.info.priority, incarnation: this.replica.incarnation };
  }

  // ---------------------------------------------------------------- discovery and election

  private sendHello(): void {
    this.publish(subjects.discovery(this.cluster, this.id), 'hello', { info: this.nodeInfo(), ...this.electionPosition() } satisfies M.HelloBody);
  }

  private onHello(env: Envelope, b: M.HelloBody): void {
    if (env.from === this.id) return;
    const known = this.election.knows(b.info.id);
    this.election.note(b.info, b, env.epoch);
    // a node that started later never heard our hello: answer it once, so that both sides
    // know each other when discovery ends and the first election needs one round
    if (!known && env.type === 'hello' && !this.isMember()) {
      this.sendTo(env.from, 'hello', { info: this.nodeInfo(), ...this.electionPosition() } satisfies M.HelloBody);
    }
    if (this.role === 'manager' && this.coordinator) {
      // (an epoch a node only voted in does not count: no manager ever held it)
      if (env.epoch > this.managingEpoch) {
        // a node saw a higher epoch (a manager that never committed): it would fence this
        // one off for good. Step down: the election that follows takes an epoch above it.
        this.stepDown();
        return;
      }
      const db = this.replica.db;
      this.sendTo(env.from, 'announce', {
        manager: this.id,
        backup: db.meta.backup,
        seq: this.replica.committedSeq,
        members: Object.keys(db.nodes),
        quorate: this.settings.quorum === 'none' || this.quorateNow,
      } satisfies M.AnnounceBody);
    }
  }

  private onAnnounce(env: Envelope, b: M.AnnounceBody): void {
    if (env.from === this.id || this.fenced(env)) return;
    // only a manager backed by a majority is worth joining (SPEC section 3)
    if (b.quorate === false) return;
    if (this.isMember() && this.managerId === env.from) return;
    this.follower.follow(env.from, env.epoch);
    this.sendEvent({ type: 'MANAGER_HEARD' });
  }

  /** Position plus the committed membership, for hello, candidacy and vote. */
  private electionPosition(): M.LogPosition {
    return { ...this.position(), members: Object.keys(this.replica.db.nodes), epochFloor: this.election.termFloor() };
  }

  private standForElection(): void {
    const term = this.election.nextTerm();
    this.publish(subjects.discovery(this.cluster, this.id), 'candidacy', {
      term,
      info: this.nodeInfo(),
      ...this.electionPosition(),
    } satisfies M.CandidacyBody);
    // entry actions run before the snapshot says `electing`: vote now, on what discovery heard
    this.voteIfReady(true);
  }

  private onCandidacy(env: Envelope, b: M.CandidacyBody): void {
    if (env.from === this.id) return;
    this.election.note(b.info, b, env.epoch);
    this.election.noteTerm(b.term);
    if (this.role === 'manager' && this.coordinator) {
      // a live manager answers instead of letting an election depose it
      this.onHello(env, b);
      return;
    }
    if (this.inState('active.electing')) {
      this.election.adoptTerm(b.term);
      this.voteIfReady();
    } else if ((this.role === 'client' || this.role === 'backup') && this.replica.db.nodes[env.from]) {
      // a member whose manager stands for election (it restarted), or that lost its manager
      // too, takes part: without its vote a small membership could never elect again
      const silent = this.clock.now() - this.lastManagerHbAt >= (this.settings.missedHeartbeats - 1) * this.settings.heartbeatMs;
      if (env.from === this.managerId || env.from === this.replica.db.meta.manager || silent) this.sendEvent({ type: 'LEADERS_LOST' });
    }
  }

  private voteIfReady(entering = false): void {
    const e = this.election;
    if ((!entering && !this.inState('active.electing')) || e.votedTerm >= e.term) return;
    const best = e.candidate();
    if (!best) return;
    const term = e.term;
    e.votedTerm = term;
    const vote: M.VoteBody = { term, for: best.id, info: this.nodeInfo(), ...this.electionPosition() };
    // the vote is durable before anyone counts it: a restart cannot vote twice in a term
    void this.replica.persistEpoch(term).then(() => {
      if (this.role === 'stopped' || e.term !== term) return;
      if (best.id === this.id) e.recordVote(this.id, vote);
      else this.sendTo(best.id, 'vote', vote);
      // votes that reached this node before it stood count now
      this.checkElectionWon();
    });
  }

  private onVote(env: Envelope, b: M.VoteBody): void {
    const e = this.election;
    e.note(b.info, b, env.epoch);
    if (b.for !== this.id || b.term < e.term) return;
    e.recordVote(env.from, b);
    if (!this.inState('active.electing')) return;
    if (e.adoptTerm(b.term)) {
      e.votedTerm = 0;
      this.voteIfReady();
    }
    this.checkElectionWon();
  }

  private checkElectionWon(): void {
    if (this.inState('active.electing') && this.election.won()) this.sendEvent({ type: 'ELECTION_WON' });
  }

  private becomeElectedManager(): void {
    const epoch = this.election.term;
    this.highestEpoch = Math.max(this.highestEpoch, epoch);
    this.managingEpoch = epoch;
    this.managerId = this.id;
    const takingPart = this.election.recent();
    const present = new Set(takingPart.map((p) => p.info.id));
    this.leadership = () => {
      const db = this.replica.db;
      const add = takingPart.filter((p) => db.nodes[p.info.id]?.incarnation !== p.info.incarnation).map((p) => p.info);
      const remove = Object.keys(db.nodes)
        .filter((id) => !present.has(id))
        .map((id) => ({ id, reason: 'failed' as const }));
      const keepBackup = db.meta.backup && present.has(db.meta.backup) && db.meta.backup !== this.id ? db.meta.backup : undefined;
      return {
        membership: {
          epoch,
          manager: this.id,
          ...(keepBackup ? { backup: keepBackup } : {}),
          add,
          remove,
          ...(Object.keys(db.meta.settings).length ? {} : { settings: clusterSettings(this.settings) }),
        },
      };
    };
    this.pendingFailed = Object.keys(this.replica.db.nodes).filter((id) => !present.has(id));
    // before committing anything, bring the log up to the most advanced one among the voters
    this.catchUpFrom = this.mostAdvanced(this.election.votes);
    this.backers = new Set([...this.election.votes.keys(), this.id]);
    this.lastTakeoverAt = this.clock.now();
    this.sendHeartbeat();
  }

  private pendingFailed: string[] = [];
  /** Who chose this node as manager: its voters, or the members that confirmed a takeover. */
  private backers = new Set<string>();

  /** Whether the backers are still a majority of the membership in the log once caught up. */
  private backedAfterCatchUp(): boolean {
    if (this.settings.quorum === 'none' || this.backers.size === 0) return true;
    const members = Object.keys(this.replica.tentativeDb.nodes);
    if (!members.length) return true;
    const n = members.filter((m) => this.backers.has(m)).length;
    return hasMajority(n, members.length, 'majority');
  }

  /**
   * The node whose log is ahead of this one, by (last epoch, last seq): every update a
   * majority acked is in it, since any majority shares a node with the voters or confirmers.
   */
  private mostAdvanced(positions: Map<string, M.LogPosition>): { node: string; pos: M.LogPosition } | null {
    const ahead = (a: M.LogPosition, b: M.LogPosition) =>
      a.lastEpoch !== b.lastEpoch ? a.lastEpoch > b.lastEpoch : a.lastSeq > b.lastSeq;
    let best: { node: string; pos: M.LogPosition } | null = null;
    const mine = this.position();
    for (const [node, pos] of positions) {
      if (node === this.id || !ahead(pos, mine)) continue;
      if (!best || ahead(pos, best.pos)) best = { node, pos };
    }
    return best;
  }

  // ---------------------------------------------------------------- takeover and handover

  private takeOver(kind: 'takeover' | 'handover'): void {
    const epoch = Math.max(this.highestEpoch, this.election.termFloor(), kind === 'takeover' ? this.takeoverEpoch - 1 : 0) + 1;
    const old = this.replica.db.meta.manager;
    this.highestEpoch = epoch;
    this.managingEpoch = epoch;
    this.managerId = this.id;
    const leaving = kind === 'handover' ? this.handoverReason : 'failed';
    const removeOld = !!old && old !== this.id && (kind === 'takeover' || leaving === 'leave');
    const reason = leaving === 'leave' ? ('leave' as const) : ('failed' as const);
    this.leadership = () => {
      const present = removeOld && !!this.replica.db.nodes[old!];
      return { membership: { epoch, manager: this.id, remove: present ? [{ id: old!, reason }] : [] } };
    };
    this.pendingFailed = removeOld ? [old!] : [];
    this.catchUpFrom = kind === 'takeover' ? this.mostAdvanced(this.confirmPositions) : null;
    // a handover is backed by the previous manager; a takeover by the members that confirmed
    this.backers = kind === 'takeover' ? new Set([...this.confirmPositions.keys(), this.id]) : new Set();
    // announce first: the new epoch is on the wire before anything else — once it is durable
    void this.replica.persistEpoch(epoch).then(() => {
      if (this.managingEpoch !== epoch) return;
      this.lastTakeoverAt = this.clock.now();
      this.sendHeartbeat();
    });
  }

  private handoverReason: 'leave' | 'switchover' = 'leave';

  private onHandover(env: Envelope, b: M.HandoverBody): void {
    if (this.fenced(env) || env.from === this.id) return;
    this.handoverReason = b.reason;
    this.sendEvent({ type: 'HANDOVER' });
  }

  /** The manager role was entered (election, takeover, handover): run the coordinator's recovery. */
  private async recoverAsManager(): Promise<void> {
    const runtime = this;
    const coordinator = new UpdateCoordinator({
      self: this.id,
      get epoch() {
        return runtime.managingEpoch;
      },
      quorum: this.settings.quorum,
      glup: this.settings.glup,
      retransmitMs: this.settings.retransmitMs,
      missedHeartbeats: this.settings.missedHeartbeats,
      now: () => this.clock.now(),
      replica: this.replica,
      sendTo: (node, type, body) => this.sendTo(node, type, body),
      publishUpdate: (type, body) => this.publish(subjects.update(this.cluster, this.id), type, body),
      committed: (records) => this.onCommitted(records, true),
      rejected: (sub, err) => {
        if (!('set' in sub.op || 'delete' in sub.op || 'merge' in sub.op || 'cas' in sub.op || 'batch' in sub.op)) {
          this.logger.warn('system update refused', { id: sub.id, error: err.message });
        }
        this.answerSubmission(sub.origin, { id: sub.id, error: { code: err.code, message: err.message } });
      },
      answered: (sub, result) => this.answerSubmission(sub.origin, { id: sub.id, ...result }),
      storeFailed: (seq, error) => this.logger.error('store append failed on the manager', { seq, error: error.message }),
      declareFailed: (node) => this.declareFailed(node),
    });
    this.coordinator = coordinator;
    for (const id of this.pendingFailed) coordinator.declaredFailed.add(id);
    const now = this.clock.now();
    for (const id of Object.keys(this.replica.db.nodes)) this.lastHeard.set(id, now);
    // the role is announced first; anything below may step down from it
    await Promise.resolve();
    if (this.catchUpFrom) await this.follower.catchUp(this.catchUpFrom.node, this.catchUpFrom.pos);
    if (this.coordinator !== coordinator) return;
    if (!this.backedAfterCatchUp()) {
      // the log caught up with holds a newer membership, of which those who chose this node
      // are no majority: another side may hold it, so this node must not lead
      this.logger.warn('not a majority of the caught-up membership: stepping down', { epoch: this.managingEpoch });
      this.stepDown();
      return;
    }
    this.follower.resetConfirmed();
    this.follower.confirmedUpTo = this.replica.lastSeq;
    coordinator.resendHeld();
    coordinator.active = false;
    await this.waitUntil(() => coordinator.inFlightCount === 0 || this.coordinator !== coordinator);
    if (this.coordinator !== coordinator) return;
    if (this.leadership) {
      coordinator.submit({ id: `${this.id}:lead:${this.managingEpoch}`, origin: this.id, op: this.leadership() }, true);
      this.leadership = null;
    }
    (this.actor?.system.get('coordinator') as AnyActorRef | undefined)?.send({ type: 'RECOVERED' });
    this.submitter.flush();
  }

  private waitUntil(cond: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (cond() || this.role === 'stopped') return resolve();
        this.clock.setTimeout(check, Math.max(1, this.settings.heartbeatMs / 10));
      };
      check();
    });
  }

  private beginHandover(ev: NodeMachineEvent): void {
    const leaving = ev.type === 'LEAVE';
    const to = ev.type === 'SWITCHOVER' ? ev.to : this.replica.db.meta.backup;
    this.handoverTo = to && to !== this.id ? to : null;
    this.handoverLeaving = leaving;
    this.coordinatorRef?.send({ type: 'DRAIN' });
    void this.waitUntil(() => !this.coordinator || this.coordinator.inFlightCount === 0).then(() => {
      this.coordinatorRef?.send({ type: 'DRAINED' });
    });
  }

  private handoverLeaving = false;

  private completeHandover(): void {
    const to = this.handoverTo;
    if (to) {
      this.sendTo(to, 'handover', { reason: this.handoverLeaving ? 'leave' : 'switchover', commitSeq: this.replica.committedSeq } satisfies M.HandoverBody);
    }
    this.resign();
    this.sendEvent({ type: 'HANDED_OVER', leaving: this.handoverLeaving });
    if (this.handoverLeaving && !to) this.sendEvent({ type: 'LEFT' });
  }

  private startLeave(): void {
    if (this.handoverLeaving) return; // a manager that handed over waits for its successor's epoch
    if (!this.replica.db.nodes[this.id]) {
      this.sendEvent({ type: 'LEFT' });
      return;
    }
    this.submit({ membership: { remove: [{ id: this.id, reason: 'leave' }] } }).catch(() => this.sendEvent({ type: 'LEFT' }));
  }

  // ---------------------------------------------------------------- heartbeats and liveness

  private sendHeartbeat(): void {
    const db = this.replica.db;
    const members = Object.keys(db.nodes);
    const body: M.HeartbeatBody = {
      role: this.role === 'manager' || this.managingEpoch ? 'manager' : 'backup',
      manager: this.role === 'manager' || this.managingEpoch ? this.id : (db.meta.manager ?? ''),
      backup: db.meta.backup,
      commitSeq: this.replica.committedSeq,
      lastSeq: this.replica.lastSeq,
      members,
      quorate: this.settings.quorum === 'none' || this.quorateNow,
    };
    if (this.settings.heartbeat === 'multicast') {
      this.publish(subjects.heartbeat(this.cluster, this.id), 'heartbeat', body);
    } else {
      for (const m of members) if (m !== this.id) this.sendTo(m, 'heartbeat', body);
    }
  }

  private onHeartbeat(env: Envelope, b: M.HeartbeatBody): void {
    if (env.from === this.id) return;
    if (this.fenced(env)) return;
    const now = this.clock.now();
    if (b.role === 'manager') {
      if (this.role === 'manager' && this.coordinator) {
        // two managers meet (quorum none heal, or a deposed one): higher epoch, then smaller id, stays
        if (env.epoch > this.managingEpoch || (env.epoch === this.managingEpoch && env.from < this.id)) this.stepDown();
        return;
      }
      const foreign = this.managerId !== null && this.managerId !== env.from && env.epoch > this.replica.db.meta.epoch;
      this.follower.follow(env.from, env.epoch);
      this.lastManagerHbAt = now;
      if (!this.isMember() || this.role === 'isolated') {
        if (b.quorate !== false) this.sendEvent({ type: 'MANAGER_HEARD' });
      } else if (foreign && !b.members.includes(this.id)) {
        this.sendEvent({ type: 'REMOVED' });
      }
    } else {
      this.lastBackupHbAt = now;
    }
    this.sendTo(env.from, 'heartbeat-ack', { committedSeq: this.replica.committedSeq } satisfies M.HeartbeatAckBody);
    if (!this.isMember() || b.role !== 'manager') return;
    if (!b.members.includes(this.id) && b.commitSeq >= this.replica.committedSeq && !this.inState('active.leaving')) {
      this.sendEvent({ type: 'REMOVED' });
      return;
    }
    if (b.commitSeq > this.replica.committedSeq) {
      if (this.replica.lastSeq >= b.commitSeq && this.follower.confirmedUpTo >= b.commitSeq) {
        this.follower.enqueue(async () => this.follower.commitTo(b.commitSeq));
      } else {
        this.follower.requestFetch(env.from, Math.min(this.follower.confirmedUpTo, this.replica.committedSeq) + 1, b.commitSeq);
      }
    }
  }

  private stepDown(): void {
    this.resign();
    this.sendEvent({ type: 'REMOVED' });
  }

  /** Stops acting as manager; what it logged beyond the commit point waits for the next one. */
  private resign(): void {
    this.coordinator?.stop();
    this.coordinator = null;
    this.managingEpoch = 0;
    this.managerId = null;
    this.follower.followedEpoch = 0;
    this.follower.resetConfirmed();
  }

  private lastTickAt = -Infinity;

  /**
   * A tick that comes late means this process was paused (GC, a busy event loop, a stopped
   * VM): nothing could be heard meanwhile, so the pause does not count as silence of others.
   * Without this, one long pause makes a manager declare every member failed at once.
   */
  private discountPause(now: number): void {
    const tickMs = this.timing().tickMs;
    const pause = now - this.lastTickAt - tickMs;
    const first = this.lastTickAt === -Infinity;
    this.lastTickAt = now;
    if (first || !(pause > this.settings.heartbeatMs / 2)) return;
    const credit = (t: number) => Math.min(now, t + pause);
    for (const [id, t] of this.lastHeard) this.lastHeard.set(id, credit(t));
    this.lastManagerHbAt = credit(this.lastManagerHbAt);
    this.lastBackupHbAt = credit(this.lastBackupHbAt);
    this.lastQuorumAt = credit(this.lastQuorumAt);
    this.counters.pausesDiscounted++;
  }

  private onTick(): void {
    const now = this.clock.now();
    this.discountPause(now);
    const hb = this.settings.heartbeatMs;
    const missed = this.settings.missedHeartbeats;
    // a node that is leaving keeps its public role until it is gone, but acts as nothing
    const role = this.inState('active.leaving') ? 'leaving' : this.role;
    if ((role === 'manager' || role === 'backup') && now >= this.nextHeartbeatAt) {
      this.sendHeartbeat();
      this.nextHeartbeatAt = Math.max(this.nextHeartbeatAt + hb, now);
    }
    if (role === 'manager' || role === 'backup') this.checkQuorum(now);
    if (role === 'manager' && this.coordinator) {
      for (const m of Object.keys(this.replica.db.nodes)) {
        if (m === this.id) continue;
        const last = this.lastHeard.get(m) ?? now;
        if (!this.lastHeard.has(m)) this.lastHeard.set(m, now);
        if (now - last >= missed * hb) this.coordinator.declare(m);
      }
      this.coordinatorRef?.send({ type: 'TICK' });
      this.ensureBackup();
    }
    if (role === 'backup' && now - this.lastManagerHbAt >= missed * hb && this.inState('active.member.backup.watching')) {
      // a takeover that no majority confirms for twice as long: the members are gone or
      // isolated too, so the backup takes part in an election with them instead
      if (now - this.lastManagerHbAt >= 2 * missed * hb) this.sendEvent({ type: 'LEADERS_LOST' });
      else this.sendEvent({ type: 'MANAGER_SUSPECTED' });
    }
    if (role === 'client' && now - this.lastManagerHbAt >= missed * hb && now - this.lastBackupHbAt >= missed * hb) {
      this.sendEvent({ type: 'LEADERS_LOST' });
    }
    if (role === 'isolated' && this.election.majorityReachable() && this.election.recent().length > 1) {
      this.sendEvent({ type: 'MAJORITY_VISIBLE' });
    }
    this.submitter.onTick(now);
    this.saveActorSnapshots();
  }

  /** A manager or backup that hears less than a majority for (missed − 1) intervals steps aside. */
  private checkQuorum(now: number): void {
    if (this.settings.quorum === 'none') return;
    const window = (this.settings.missedHeartbeats - 1) * this.settings.heartbeatMs;
    const members = Object.keys(this.replica.db.nodes);
    let heard = 0;
    for (const m of members) {
      if (m === this.id || now - (this.lastHeard.get(m) ?? -Infinity) < window) heard++;
    }
    if (!members.includes(this.id)) heard++;
    this.quorateNow = hasMajority(heard, Math.max(members.length, 1), 'majority');
    if (this.quorateNow) {
      this.lastQuorumAt = now;
    } else if (now - this.lastQuorumAt >= window) {
      this.resign();
      this.sendEvent({ type: 'QUORUM_LOST' });
    }
  }

  /**
   * Whenever there is no backup and a qualified member exists, the manager picks one at once
   * (SPEC section 3); membership updates do it themselves, this covers the rest.
   */
  private ensureBackup(): void {
    const coord = this.coordinator;
    if (!coord?.active || coord.inFlightCount || coord.queued) return;
    const db = this.replica.tentativeDb;
    if (db.meta.backup && db.nodes[db.meta.backup]) return;
    const candidates = Object.values(db.nodes).filter((n) => !coord.declaredFailed.has(n.id));
    const backup = chooseBackup(candidates, this.id);
    if (!backup) return;
    this.toCoordinator({ id: `${this.id}:backup:${backup}:${this.replica.lastSeq}`, origin: this.id, op: { membership: { backup } } }, true);
  }

  /** Whether this manager heard a majority within the last (missed − 1) intervals. */
  private quorateNow = true;

  private declareFailed(node: string): void {
    if (this.removalsPending.has(node) || !this.coordinator) return;
    this.removalsPending.add(node);
    this.toCoordinator(
      { id: `${this.id}:fail:${node}:${this.managingEpoch}:${this.replica.lastSeq}`, origin: this.id, op: { membership: { remove: [{ id: node, reason: 'failed' }] } } },
      true,
    );
  }

  /** Hands a submission to this manager's coordinator, through its chart. */
  private toCoordinator(submission: Submission, front = false): void {
    this.coordinatorRef?.send({ type: 'SUBMIT', submission, front });
  }

  /** Log positions of the members that confirmed the manager lost (a takeover catches up). */
  private readonly confirmPositions = new Map<string, M.LogPosition>();

  private sendConfirmRequest(): void {
    this.confirms.clear();
    this.confirmPositions.clear();
    this.confirms.set(this.id, true);
    const members = Object.keys(this.replica.db.nodes).filter((m) => m !== this.id && m !== this.replica.db.meta.manager);
    // the epoch this takeover would create: a member that confirms stops obeying the old one
    this.takeoverEpoch = Math.max(this.highestEpoch, this.election.termFloor()) + 1;
    for (const m of members) this.sendTo(m, 'confirm-request', { epoch: this.takeoverEpoch } satisfies M.ConfirmRequestBody);
    this.evaluateConfirms();
  }

  private takeoverEpoch = 0;

  /**
   * The confirmers must also be a majority of the newest membership in any confirmer's log
   * (by last epoch, then last seq), not only of this backup's committed one: after catching
   * up, that is the membership the new manager works with.
   */
  private confirmedByNewestMembership(): boolean {
    if (this.settings.quorum === 'none') return true;
    let newest: M.LogPosition = { ...this.position(), members: Object.keys(this.replica.tentativeDb.nodes) };
    const newer = (a: M.LogPosition, b: M.LogPosition) => (a.lastEpoch !== b.lastEpoch ? a.lastEpoch > b.lastEpoch : a.lastSeq > b.lastSeq);
    for (const p of this.confirmPositions.values()) if (p.members?.length && newer(p, newest)) newest = p;
    const members = newest.members ?? [];
    if (!members.length) return true;
    const yes = members.filter((m) => this.confirms.get(m) === true).length;
    return hasMajority(yes, members.length, 'majority');
  }

  private onConfirmRequest(env: Envelope, b: M.ConfirmRequestBody): void {
    const window = (this.settings.missedHeartbeats - 1) * this.settings.heartbeatMs;
    // only the backup of this node's committed membership may take over: a backup that was
    // declared failed and removed meanwhile lacks committed updates and must not lead
    const db = this.replica.db;
    const lost =
      this.role !== 'manager' &&
      db.meta.backup === env.from &&
      env.epoch >= db.meta.epoch &&
      this.clock.now() - this.lastManagerHbAt >= window;
    const reply = () =>
      this.sendTo(env.from, 'confirm-reply', { lost, ...this.position(), members: Object.keys(this.replica.tentativeDb.nodes) } satisfies M.ConfirmReplyBody);
    if (!lost || typeof b?.epoch !== 'number') return reply();
    // a confirmation is a promise, like a vote: from now on the old manager's epoch is fenced
    // here (durably), so it cannot commit with this node's ack while the backup takes over
    this.highestEpoch = Math.max(this.highestEpoch, b.epoch);
    void this.replica.persistEpoch(b.epoch).then(reply);
  }

  private onConfirmReply(env: Envelope, b: M.ConfirmReplyBody): void {
    if (!this.inState('active.member.backup.confirming')) return;
    this.confirms.set(env.from, b.lost);
    if (b.lost && typeof b.lastSeq === "number") this.confirmPositions.set(env.from, b as M.LogPosition);
    this.evaluateConfirms();
  }

  private evaluateConfirms(): void {
    const total = Object.keys(this.replica.db.nodes).length;
    const yes = [...this.confirms.values()].filter(Boolean).length;
    if (hasMajority(yes, total, this.settings.quorum) && this.confirmedByNewestMembership()) {
      this.sendEvent({ type: 'TAKEOVER_CONFIRMED' });
      return;
    }
    const possible = total - 1; // everyone but the suspected manager
    if (this.confirms.size >= possible) this.sendEvent({ type: 'TAKEOVER_DENIED' });
  }

  // ---------------------------------------------------------------- joining

  private sendJoinRequest(): void {
    if (!this.managerId) {
      this.sendHello();
      return;
    }
    this.sendTo(this.managerId, 'join-request', { info: this.nodeInfo(), ...this.position() } satisfies M.JoinRequestBody);
  }

  private onJoinRequest(env: Envelope, b: M.JoinRequestBody): void {
    const coord = this.coordinator;
    if (this.role !== 'manager' || !coord) return;
    if (env.epoch > this.managingEpoch) {
      // the joiner is fenced against this epoch (it confirmed a takeover that did not
      // happen, or saw a newer manager): it could never follow this one, so step down
      this.stepDown();
      return;
    }
    const r = this.replica;
    const mine = b.lastSeq > 0 ? r.recordAt(b.lastSeq) : undefined;
    // a joiner whose log ends at a snapshot (no id) holds committed state only
    const atSnapshot = b.lastId === '' && b.lastSeq <= r.committedSeq;
    const matches = b.lastSeq === 0 || atSnapshot || (mine !== undefined && mine.epoch === b.lastEpoch && mine.id === b.lastId);
    // from the joiner's commit point: its uncommitted tail is sent too, so that it is compared
    // and confirmed (a joiner cannot commit what this manager never confirmed to it)
    const from = Math.min(b.committedSeq, r.committedSeq) + 1;
    const canSuffix = matches && from >= r.firstHeldSeq;
    const accept: M.JoinAcceptBody = canSuffix
      ? { records: r.range(from, r.committedSeq), commitSeq: r.committedSeq }
      : { snapshot: r.committedSnapshot(), records: [], commitSeq: r.committedSeq };
    this.sendTo(env.from, 'join-accept', accept);
    // a recovering coordinator still lets a joiner catch up; it adds it once active
    if (!coord.active) return;
    const row = r.tentativeDb.nodes[b.info.id];
    if (row && row.incarnation === b.info.incarnation) return;
    // one add per join: a repeated request while it is queued or in flight adds nothing, but a
    // node removed and rejoining with the same incarnation gets a new submission id
    const queued = this.pendingJoins.get(b.info.id);
    if (queued && (coord.isQueued(queued) || (r.submissions.get(queued) ?? 0) > r.committedSeq)) return;
    const id = `${this.id}:join:${b.info.id}:${b.info.incarnation}:${r.lastSeq}`;
    this.pendingJoins.set(b.info.id, id);
    this.toCoordinator({ id, origin: this.id, op: { membership: { add: [b.info] } } });
  }

  /** Node → submission id of its add while that add is queued or in flight. */
  private readonly pendingJoins = new Map<string, string>();

  /** quorum none: updates of the losing side that the winner's database does not hold. */
  private reportConflicts(winnerIds: string[], manager: string, epoch: number): void {
    if (this.settings.quorum !== 'none') return;
    const keep = new Set(winnerIds);
    const discarded = this.replica.range(this.replica.firstHeldSeq, this.replica.lastSeq).filter((r) => !keep.has(r.id));
    if (!discarded.length) return;
    this.counters.conflicts += discarded.length;
    this.emit('conflict', { discarded, winner: { manager, epoch } });
  }

  // ---------------------------------------------------------------- updates (member side)

  /** Everything that follows a commit on this node: events, roles, submitters, removals. */
  private onCommitted(records: UpdateRecord[], asManager: boolean): void {
    if (!records.length) return;
    this.counters.updatesCommitted += records.length;
    for (const r of records) {
      if ('membership' in r.op) {
        for (const x of r.op.membership.remove ?? []) this.removalsPending.delete(x.id);
        this.emitMembership(r);
      }
      this.emit('update', r, this.replica.dbAfter.get(r.seq) ?? this.replica.db);
      if (asManager) this.answerSubmission(r.origin, { id: r.id, seq: r.seq, epoch: r.epoch });
    }
    this.submitter.resolveCommitted();
    this.checkRole();
  }

  private emitMembership(r: UpdateRecord): void {
    if (!('membership' in r.op)) return;
    const m = r.op.membership;
    const db = this.replica.db;
    this.emit('membership', {
      epoch: db.meta.epoch,
      seq: r.seq,
      members: Object.keys(db.nodes),
      joined: (m.add ?? []).map((n) => n.id),
      left: m.remove ?? [],
    });
  }

  private checkRole(): void {
    const db = this.replica.db;
    const inDb = !!db.nodes[this.id];
    if (this.inState('active.leaving')) {
      if (!inDb) this.sendEvent({ type: 'LEFT' });
      return;
    }
    if (!this.actor || this.role === 'stopped') return;
    const dbRole: MemberRole = db.meta.manager === this.id ? 'manager' : db.meta.backup === this.id ? 'backup' : 'client';
    if (!this.isMember()) {
      // only a membership of the current epoch counts: a rejoining node's old database also lists it
      if (inDb && db.meta.manager && db.meta.manager !== this.id && db.meta.epoch >= this.highestEpoch) {
        this.managerId = db.meta.manager;
        this.sendEvent({ type: 'JOINED', role: dbRole });
      }
      return;
    }
    if (!inDb) {
      if (this.role !== 'manager') this.sendEvent({ type: 'REMOVED' });
      return;
    }
    if (this.role === 'manager') return;
    if (db.meta.manager && db.meta.manager !== this.id) this.managerId = db.meta.manager;
    if (dbRole !== this.role && dbRole !== 'manager') this.sendEvent({ type: 'ROLE', role: dbRole });
  }

  // ---------------------------------------------------------------- submissions

  /** Where the submitter's submissions go: the local coordinator, or the submit subject. */
  private deliverSubmission(id: string, op: Op): boolean {
    if (!this.isMember() && !this.inState('active.leaving')) return false; // held until a member
    if (this.role === 'manager' && this.coordinator) {
      this.toCoordinator({ id, origin: this.id, op });
    } else {
      this.publish(subjects.submit(this.cluster, this.id), 'submit', { id, op } satisfies M.SubmitBody);
    }
    return true;
  }

  private onSubmit(env: Envelope, b: M.SubmitBody): void {
    if (this.role !== 'manager' || !this.coordinator) return;
    let op: Op;
    try {
      const system = b.op && typeof b.op === 'object' && ['membership', 'groupJoin', 'groupLeave', 'groupMessage'].some((k) => k in b.op);
      const limits = { maxUpdateBytes: this.settings.maxUpdateBytes };
      op = system ? validateSystemOp(b.op, limits) : validateOp(b.op, limits);
    } catch (e) {
      const err = e as GlupError;
      this.answerSubmission(env.from, { id: String(b.id), error: { code: err.code ?? 'INVALID_OP', message: err.message } });
      return;
    }
    this.toCoordinator({ id: b.id, origin: env.from, op });
  }

  private answerSubmission(origin: string, body: M.SubmitResultBody): void {
    if (origin === this.id) this.submitter.onResult(body);
    else this.sendTo(origin, 'submit-result', body);
  }

  private waitForRole(role: Role): Promise<void> {
    return new Promise((resolve) => {
      if (this.role === role) return resolve();
      const off = this.on('role', (r: Role) => {
        if (r === role) {
          off();
          resolve();
        }
      });
    });
  }

  private teardown(err: GlupError): void {
    this.submitter.rejectAll(err);
    this.coordinator?.stop();
    this.coordinator = null;
    if (this.role !== 'stopped') {
      this.setRole('stopped');
      this.bus?.close();
      void this.opts.transport.close();
    }
  }

}

/** Maps the node machine's state to the public role. */
export function roleOf(value: unknown): Role | null {
  if (value === 'idle') return null;
  if (value === 'stopped') return 'stopped';
  if (typeof value !== 'object' || value === null) return null;
  const active = (value as { active?: unknown }).active;
  if (active === undefined) return null;
  if (active === 'discovering' || active === 'electing' || active === 'joining') return 'joining';
  if (typeof active === 'object' && active !== null && 'joining' in active) return 'joining';
  if (active === 'isolated') return 'isolated';
  if (active === 'leaving') return null;
  const member = (active as { member?: unknown }).member;
  if (member === 'client') return 'client';
  if (member === 'manager') return 'manager';
  if (member === 'backup' || (typeof member === 'object' && member !== null && 'backup' in member)) return 'backup';
  return null;
}

function round(t: number): number {
  return Math.round(t * 1000) / 1000;
}

