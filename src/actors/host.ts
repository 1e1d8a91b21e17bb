/**
 * What the effects of a node's actors need from the node that hosts them. The machines name
 * effects (`sendHeartbeat`, `ship`, `promise`, ...); the functions in ./effects implement them
 * against this interface, so they know the bus and the replica but not the public API.
 */
import type { AnyActorRef } from 'xstate';
import type { Clock } from '../clock.js';
import type { MessageType } from '../bus/messageTypes.js';
import type { UpdateRecord } from '../db/types.js';
import type { Logger } from '../log.js';
import type { LogPosition } from '../machines/rules/log.js';
import type { NodeFacts } from '../machines/rules/membership.js';
import type { NodeEvent } from '../machines/node.js';
import type { Replica } from './replica.js';
import type { Submitter } from './submitter.js';
import type { Settings } from './types.js';

/** Where a multicast goes (SPEC section 8 subjects). */
export type Channel = 'discovery' | 'heartbeat' | 'update';

export interface Counters {
  updatesCommitted: number;
  conflicts: number;
  fencedMessages: number;
  /** Membership changes refused from other nodes (refusedChange). */
  refusedSubmissions: number;
  [name: string]: number;
}

export interface NodeHost {
  readonly id: string;
  readonly cluster: string;
  readonly settings: Settings;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly replica: Replica;
  readonly submitter: Submitter;
  readonly counters: Counters;
  /** This node as the protocol describes it. */
  facts(): NodeFacts;
  position(): LogPosition;
  /** The node actor's epoch: every envelope carries it. */
  nodeEpoch(): number;
  /** One message to one node (`glup.C.node.N`); `epoch` overrides the envelope's epoch. */
  sendTo(node: string, type: MessageType, body: unknown, opts?: { epoch?: number }): void;
  /** One publish that every node receives. */
  publish(channel: Channel, type: MessageType, body: unknown): void;
  /** An event for the node actor. */
  toNode(event: NodeEvent): void;
  /** An event for a child actor, if it runs (`coordinator`, `follower`, `election`, `takeover`, `liveness`). */
  toActor(systemId: string, event: { type: string; [k: string]: unknown }): void;
  actor(systemId: string): AnyActorRef | undefined;
  /** Records the epoch durably (before anything acts on it). */
  persistEpoch(epoch: number): Promise<void>;
  /** Everything that follows a commit here: events, views, submitters. */
  committed(records: UpdateRecord[], asManager: boolean): void;
  /** The store refused a write: the node stops acking it. */
  storeFailed(what: string, error: unknown): void;
  emit(event: string, ...args: unknown[]): void;
  /** A manager's first message of its epoch (failover is measured up to it). */
  announcedAt(epoch: number): void;
}
