/** Bodies of the protocol messages (types listed in src/bus/messageTypes.ts). */
import type { NodeInfo, Op, UpdateRecord } from '../db/types.js';
import type { SnapshotRecord } from '../persistence/store.js';

export interface LogPosition {
  committedSeq: number;
  lastSeq: number;
  lastEpoch: number;
  lastId: string;
  /** The committed membership (election messages): every node counts votes against the newest. */
  members?: string[];
  /** Highest epoch the sender saw, voted in or led (election messages): new terms go above it. */
  epochFloor?: number;
}

export interface HelloBody extends LogPosition {
  info: NodeInfo;
}

export interface AnnounceBody {
  manager: string;
  backup: string | null;
  seq: number;
  members: string[];
  /** False while the manager has not heard a majority lately: not worth joining. */
  quorate?: boolean;
}

export interface HeartbeatBody {
  role: 'manager' | 'backup';
  manager: string;
  backup: string | null;
  commitSeq: number;
  lastSeq: number;
  members: string[];
  quorate?: boolean;
}

export interface HeartbeatAckBody {
  committedSeq: number;
}

export interface CandidacyBody extends LogPosition {
  /** The epoch this election would create. */
  term: number;
  info: NodeInfo;
}

export interface VoteBody extends LogPosition {
  term: number;
  for: string;
  info: NodeInfo;
}

export interface JoinRequestBody extends LogPosition {
  info: NodeInfo;
}

export interface JoinAcceptBody {
  snapshot?: SnapshotRecord;
  records: UpdateRecord[];
  commitSeq: number;
}

export interface SubmitBody {
  id: string;
  op: Op;
}

export interface SubmitResultBody {
  id: string;
  seq?: number;
  epoch?: number;
  error?: { code: string; message: string };
}

export interface UpdateBody {
  records: UpdateRecord[];
  commitSeq: number;
}

export interface UpdateAckBody {
  acks: { seq: number; id: string }[];
  /**
   * The member holds this manager's records up to here (compared or received from it): it
   * acks every one of them, even those whose own ack was lost.
   */
  upTo?: number;
}

export interface CommitBody {
  commitSeq: number;
}

export interface FetchBody {
  from: number;
  to: number;
}

export interface FetchReplyBody {
  snapshot?: SnapshotRecord;
  records: UpdateRecord[];
  commitSeq: number;
}

export interface ConfirmRequestBody {
  /** The epoch the backup's takeover would create. */
  epoch: number;
}

export interface ConfirmReplyBody extends Partial<LogPosition> {
  lost: boolean;
}

export interface HandoverBody {
  reason: 'leave' | 'switchover';
  commitSeq: number;
}

export interface GroupMessageBody {
  group: string;
  msg: unknown;
  /** Member id when sent to one member; absent for all members. */
  to?: string;
  /** Sender's member id or node id. */
  sender: string;
}
