/**
 * The update coordinator's input, context, events and effect parameters (src/machines/coordinator.ts):
 * the protocol data a manager keeps while it numbers and commits updates.
 */
import type { Submission } from './rules/batch.js';
import type { LogIndex, LogPosition, RecordMeta } from './rules/log.js';
import type { QuorumMode } from './rules/majority.js';
import type { MemberFacts, NodeFacts } from './rules/membership.js';

export interface CoordinatorInput {
  self: string;
  epoch: number;
  log: LogIndex;
  /** The newest membership in the manager's log. */
  members: Record<string, MemberFacts>;
  backup: string | null;
  /** Seq of the newest membership change in the log (0: none), and the membership before it. */
  lastChangeSeq: number;
  previousMembers: string[];
  /** Nodes heard in the ballot that made this manager: the backup is chosen among them. */
  live: string[];
  /** The manager a takeover replaced: declared failed from the start, its removal queued (docs/protocol.md 4.4). */
  lost: string[];
  /** A new cluster's first record records these members (formation); null for a formed cluster. */
  formation: NodeFacts[] | null;
  /** The cluster-wide settings a founding manager records. */
  settings: Record<string, unknown> | null;
  retransmitMs: number;
  missedHeartbeats: number;
  quorum: QuorumMode;
  /** Records per batch, and batches in flight at once. */
  window: number;
  maxBatches: number;
}

export interface CoordinatorContext extends CoordinatorInput {
  /** The manager's own store holds its log up to here. */
  durable: number;
  /** Seq of this epoch's first record (0 until it is sequenced). */
  ownFirstSeq: number;
  /** The membership before the newest change (its majority counts too while that change is uncommitted). */
  previousMembers: string[];
  match: Record<string, number>;
  /** Match points at the last retransmission round: no progress since means an unanswered copy. */
  progress: Record<string, number>;
  copies: Record<string, number>;
  failed: string[];
  /** Newcomers being brought up to date before their add. */
  learners: Record<string, NodeFacts>;
  /** Retransmission rounds since each learner was last heard (a join request or an ack). */
  learnerSilence: Record<string, number>;
  queue: Submission[];
  changes: Submission[];
  /** The batch the host is numbering. */
  sequencing: Submission[] | null;
  /** Last seq of each batch in flight. */
  batches: number[];
  /** Who hears the last commit point (rules/commit.ts: commitNoticeTargets). */
  noticeTo: string[];
}

export type CoordinatorEvent =
  /** `knownSeq`: the seq this submission id already has in the log, if any. */
  | { type: 'SUBMIT'; submission: Submission; knownSeq: number | null }
  | { type: 'SEQUENCED'; accepted: (RecordMeta & { id: string })[] }
  | { type: 'WRITTEN'; upTo: number }
  | { type: 'ACK'; from: string; ok: boolean; match: number; hint: number }
  /** `lastMatches`: this manager's log holds the joiner's last record (same seq, epoch and id). */
  | { type: 'JOIN_REQUEST'; from: string; node: NodeFacts; position: LogPosition; lastMatches: boolean }
  | { type: 'MEMBERS_FAILED'; ids: string[] }
  /** A heartbeat answer. */
  | { type: 'PING'; from: string }
  | { type: 'DRAIN' };

export interface ShipParams {
  from: number;
  to: number;
  /** The nodes to send to. */
  targets: string[];
  /** These are every member and learner: with `glup: multicast`, one publish. */
  all: boolean;
}
