/**
 * The public face of hosted actors (SPEC section 11): `node.actors.define / ref / list`.
 * docs/actors.md describes the model and its guarantees.
 */
import type { AnyStateMachine } from 'xstate';

export type Placement = 'sharded' | 'singleton';

export interface DefineOptions {
  /** `sharded`: rendezvous hashing of the key over the live nodes that defined the type; `singleton`: one node for the whole type. */
  placement: Placement;
  /** Singletons only: host on the backup, or on this node id, instead of the manager (falls back to the manager while that node is not live or did not define the type). */
  on?: 'backup' | string;
  /** Passivate an activation after this many ms without messages; default 60 000 for sharded types, never for singletons. */
  idleMs?: number;
}

/** What `ask` resolves with: the actor's state right after the event, once that state is persisted. */
export interface ActorState {
  value: unknown;
  context: unknown;
  status: 'active' | 'done' | 'error' | 'stopped';
  /** Version of the committed state record that holds this event (1 for the first commit). */
  version: number;
  /** The event's id, `<channel>#<n>`: retries of it are processed once. */
  eventId: string;
}

export interface ActorRef {
  readonly type: string;
  readonly key: string;
  /** Fire and forget, FIFO per sender; delivered once unless it times out (updateTimeoutMs), which is only logged. */
  send(event: { type: string; [k: string]: unknown }): void;
  /** Resolves after the event was processed and the resulting state persisted. Rejects with TIMEOUT, NO_QUORUM, STOPPED, UNKNOWN_ACTOR or INVALID_OP. */
  ask(event: { type: string; [k: string]: unknown }, opts?: { timeoutMs?: number }): Promise<ActorState>;
}

/** One activation on this node (`node.actors.list()`, `glup status`). */
export interface ActivationInfo {
  type: string;
  key: string;
  /** Node clock time the activation started. */
  since: number;
  /** Version of the last committed state (0: never committed). */
  version: number;
  /** Events processed by this activation. */
  events: number;
  /** Node clock time of the last event. */
  lastEventAt: number;
  /** The XState status of the actor. */
  status: string;
}

/** Counters of `/metrics` (src/admin/metrics.ts). */
export interface HostedActorMetrics {
  activations: number;
  /** Activations that restored a persisted state (after passivation, a move or a failover). */
  reactivations: number;
  passivations: number;
  /** Events processed by activations on this node. */
  messages: number;
  /** State commits that failed their version check: a newer activation exists elsewhere. */
  staleActivations: number;
  commits: number;
}

export interface HostedActors {
  define(type: string, machine: AnyStateMachine, opts: DefineOptions): void;
  ref(type: string, key?: string): ActorRef;
  list(): ActivationInfo[];
  readonly metrics: HostedActorMetrics;
}
