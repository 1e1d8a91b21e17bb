/** Context and events of the node actor (src/machines/node.ts). */
import type { Candidate } from './rules/candidates.js';
import type { PromisedTo } from './rules/ballot.js';
import type { LogIndex, LogPosition } from './rules/log.js';
import type { QuorumMode } from './rules/majority.js';

/** The child actors that hold a ballot and answer to `STAND`. */
export type BallotActor = 'election' | 'takeover';
import type { MemberFacts, NodeFacts } from './rules/membership.js';
import type { Participant } from './election.js';

export interface NodeSettings {
  heartbeatMs: number;
  missedHeartbeats: number;
  discoveryMs: number;
  retransmitMs: number;
  updateTimeoutMs: number;
  quorum: QuorumMode;
  initialMembers?: string[];
  /** Cluster-wide settings a founding manager records in meta.settings. */
  cluster: Record<string, unknown>;
}

/** What the committed database says, as far as the node actor decides on it. */
export interface CommittedFacts {
  /** The committed seq these facts are of. */
  seq: number;
  manager: string | null;
  backup: string | null;
  epoch: number;
  members: string[];
  /** This node's incarnation as the committed database records it (null: not a member). */
  incarnation: number | null;
}

export interface NodeContext {
  self: NodeFacts;
  settings: NodeSettings;
  /** The node's epoch: the highest it saw from an allowed sender or promised (durable). */
  epoch: number;
  promisedTo: PromisedTo;
  log: LogIndex;
  /** The newest membership in the log, and the seq of its last change. */
  newest: Record<string, MemberFacts>;
  lastChangeSeq: number;
  previousMembers: string[];
  committed: CommittedFacts;
  /** The manager this node follows (joining, client, backup), with its epoch. */
  /** `membershipSeq`: the manager's last committed membership change: this node's view is current once it committed that far. */
  followed: { manager: string; epoch: number; membershipSeq: number } | null;
  /** The ballot that made this node manager. */
  /** `lost`: the manager a takeover replaced (its coordinator does not wait for it). */
  leadership: { epoch: number; voters: string[]; live: string[]; lost: string[] } | null;
  /** Heartbeat intervals since the manager was heard, and whether that means it is lost. */
  managerMissed: number;
  managerLost: boolean;
  /** Peers the liveness actor did not hear in its last interval. */
  silent: string[];
  /** A handover notice from the manager this node follows. */
  handover: { to: string; epoch: number; from: string; leaving: boolean } | null;
  /** Promises that reached this node before its handover ballot began. */
  earlyGrants: { from: string; term: number }[];
  /** Nodes heard (hello) while looking for a manager. */
  heard: Record<string, Participant>;
  /** The time of the latest event that carried one. */
  now: number;
  leaving: boolean;
  /** Its store failed (a disk error): it acks nothing more, hands over or leaves, and stops. */
  storeFailing: boolean;
  successor: string | null;
  switchoverTo: string | null;
}

export type NodeEvent =
  | { type: 'START' }
  | { type: 'STOP' }
  | { type: 'LEAVE' }
  /** The host's store failed with a disk error (SPEC: a store failure is a node failure). */
  | { type: 'STORE_FAILED' }
  | { type: 'SWITCHOVER'; to: string }
  /** The edge recorded a higher epoch from an allowed sender. */
  | { type: 'EPOCH_RAISED'; epoch: number; from: string }
  /** This node's own ballot (election or takeover) asks to stand for `term`: the node's promise to itself. */
  | { type: 'STAND'; term: number; ballot: BallotActor }
  | { type: 'LOG'; log: LogIndex; newest: Record<string, MemberFacts>; lastChangeSeq: number; previousMembers: string[] }
  | { type: 'COMMITTED'; facts: CommittedFacts }
  | { type: 'HELLO'; node: NodeFacts; position: LogPosition; epoch: number; at: number }
  | { type: 'MANAGER_HEARD'; manager: string; epoch: number; quorate: boolean; membershipSeq: number }
  | { type: 'PREVOTE_REQUEST'; from: string; term: number; candidate: Candidate; position: LogPosition; epoch: number; at: number }
  | { type: 'VOTE_REQUEST'; from: string; term: number; candidate: Candidate; position: LogPosition; epoch: number; at: number }
  | { type: 'CONFIRM_ASK'; from: string; term: number; position: LogPosition }
  | { type: 'PROMISE_REQUEST'; from: string; term: number; position: LogPosition }
  | { type: 'ASK_REPLY'; from: string; term: number; lost: boolean; position: LogPosition }
  | { type: 'PROMISE_REPLY'; from: string; term: number; granted: boolean }
  | { type: 'HANDOVER_NOTICE'; from: string; to: string; epoch: number; leaving: boolean }
  | { type: 'LOG_CONFLICT'; from: string }
  /** A manager says this node is not a member (removed while alive): it rejoins. */
  | { type: 'NOT_MEMBER'; from: string }
  // reports of the child actors
  | { type: 'MEMBERS_FAILED'; ids: string[] }
  | { type: 'MANAGER_SUSPECTED' }
  | { type: 'LEADERS_LOST' }
  | { type: 'QUORUM_LOST' }
  | { type: 'LIVENESS'; managerMissed: number; silent: string[] }
  | { type: 'DRAINED' };
