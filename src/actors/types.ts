import type { Transport } from '../bus/transport.js';
import type { Faults } from '../bus/faults.js';
import type { StoreFault } from '../persistence/health.js';
import type { Store } from '../persistence/store.js';
import type { ClusterDb, DataOp, UpdateRecord } from '../db/types.js';
import type { Logger } from '../log.js';
import type { HostedActors } from './hosted/types.js';
import type { InspectionEvent as InspectionEventX, Observer } from 'xstate';
import type { GroupView, JoinGroupOptions } from '../groups/types.js';

export type { GroupView, JoinGroupOptions } from '../groups/types.js';

export type Role = 'manager' | 'backup' | 'client' | 'joining' | 'isolated' | 'stopped';

/** Cluster-wide settings (SPEC section 2); the founding manager writes them to meta.settings. */
export interface Settings {
  heartbeatMs: number;
  missedHeartbeats: number;
  discoveryMs: number;
  retransmitMs: number;
  updateTimeoutMs: number;
  heartbeat: 'multicast' | 'unicast';
  glup: 'multicast' | 'unicast';
  quorum: 'majority' | 'none';
  initialMembers?: string[];
  snapshotEvery: number;
  maxUpdateBytes: number;
}

export interface NodeOptions extends Partial<Settings> {
  cluster: string;
  id: string;
  priority?: number;
  qualified?: boolean;
  transport: Transport;
  /** Defaults to the embedded file store, fileStore(`<dataDir>/<cluster>/<id>`). */
  store?: Store;
  /** Where the default file store lives; default `.glup-data` in the working directory. */
  dataDir?: string;
  /** Fault filter shared by the nodes of a simulation or scenario (receiving side). */
  faults?: Faults;
  /** glup's Logger; `createNode` also takes a pino logger as it is (src/log.ts adapts it). */
  logger?: Logger;
  /**
   * XState's own inspection observer, attached to every actor of the node (node, coordinator,
   * process groups, hosted actors): `createBrowserInspector().inspect` of @statelyai/inspect works.
   */
  inspect?: Observer<InspectionEventX> | ((event: InspectionEventX) => void);
}

export interface MembershipEvent {
  epoch: number;
  seq: number;
  members: string[];
  joined: string[];
  left: { id: string; reason: 'leave' | 'failed' | 'removed' }[];
}

export interface ConflictEvent {
  /** Updates of the losing side, discarded when the sides met again (quorum: none). */
  discarded: UpdateRecord[];
  winner: { manager: string; epoch: number };
}

export interface NodeEvents {
  role: (role: Role) => void;
  update: (record: UpdateRecord) => void;
  membership: (m: MembershipEvent) => void;
  quorum: (hasQuorum: boolean) => void;
  conflict: (c: ConflictEvent) => void;
  /** The store failed with a disk error (the node stops), or takes writes again. */
  store: (s: { state: 'failing'; fault: StoreFault | null } | { state: 'ok' }) => void;
}

export interface GroupHandle {
  readonly group: string;
  readonly process: string;
  readonly memberId: string;
  send(msg: unknown): void;
  sendToOne(msg: unknown, key?: string): void;
  broadcastOrdered(msg: unknown): Promise<{ seq: number; epoch: number }>;
  leave(): Promise<void>;
}

export interface NodeMetrics {
  invalidMessages: number;
  messagesSent: number;
  messagesReceived: number;
  updatesCommitted: number;
  conflicts: number;
  [name: string]: number;
}

/** One inspection event, already reduced to plain data (SPEC: the inspection stream is the trace). */
export type InspectionEvent = ActorInspectionEvent | MessageInspectionEvent;

/** What an actor did: a transition (its state value changed), an event it took, an action it ran. */
export interface ActorInspectionEvent {
  node: string;
  /** Stable actor id (systemId), never an XState session id. */
  actor: string;
  type: 'transition' | 'event' | 'action';
  event: string;
  from?: unknown;
  to?: unknown;
  /** Virtual or wall time, ms since the network's start. */
  t: number;
}

/**
 * One protocol message this node sent or had delivered to a handler (the bus's `tap`). The
 * summary holds the few fields that tell the protocol story (seq, seqs, commitSeq, term,
 * granted, …), never a whole payload: no records, snapshots or application values.
 */
export interface MessageInspectionEvent {
  node: string;
  actor: 'bus';
  type: 'message';
  dir: 'send' | 'receive';
  /** The envelope's type (src/bus/messageTypes.ts). */
  msgType: string;
  from: string;
  /** The addressed node for a unicast; null for a publish to many (heartbeats, multicast updates, discovery). */
  to: string | null;
  subject: string;
  epoch: number;
  summary: Record<string, unknown>;
  t: number;
}

/** The embedding API's node (SPEC section 11). */
export interface GlupNode {
  readonly id: string;
  readonly cluster: string;
  readonly role: Role;
  readonly epoch: number;
  /** Committed cluster database; read-only. */
  readonly db: ClusterDb;
  /** Highest committed seq applied here (0 while not a member). */
  readonly committedSeq: number;
  /** The manager this node follows (null while it knows none). */
  readonly manager: string | null;
  readonly backup: string | null;
  readonly metrics: NodeMetrics;
  /** Hosted actors: define / ref / list (SPEC section 11, docs/actors.md). */
  readonly actors: HostedActors;
  start(opts?: { timeoutMs?: number }): Promise<void>;
  /** `opts.id`: a caller-chosen submission id, committed at most once however often it is resent. */
  update(op: DataOp, opts?: { id?: string }): Promise<{ seq: number; epoch: number }>;
  watch(prefix: string, opts?: { fromSeq?: number }): AsyncIterableIterator<UpdateRecord>;
  joinGroup(group: string, process: string, opts?: JoinGroupOptions): Promise<GroupHandle>;
  send(group: string, msg: unknown, opts?: { mode?: 'all' | 'one' | 'ordered'; key?: string }): Promise<void>;
  on<K extends keyof NodeEvents>(event: K, fn: NodeEvents[K]): () => void;
  inspect(fn: (e: InspectionEvent) => void): () => void;
  switchover(to: string): Promise<void>;
  leave(): Promise<void>;
  kill(): Promise<void>;
}

/** A listener of node.on(event, …). */
export type Listener = (...args: any[]) => void;
