import type { Patch } from 'immer';

/** Path under `data`: dotted string or array of segments (SPEC section 4). */
export type DataPath = string | string[];

/**
 * Application operations (SPEC section 4). An update is exactly one of these keys.
 * `cas` also takes `ephemeral` (an extension): a lock taken with cas is released when its node goes.
 */
export type DataOp =
  | { set: { path: DataPath; value: unknown; ephemeral?: boolean } }
  | { delete: { path: DataPath } }
  | { merge: { path: DataPath; value: Record<string, unknown> } }
  | { cas: { path: DataPath; expect: unknown; value: unknown; ephemeral?: boolean } }
  | { batch: { ops: DataOp[] } };

export interface NodeInfo {
  id: string;
  qualified: boolean;
  priority: number;
  incarnation: number;
}

/**
 * System operations: membership, roles and process groups change through the same
 * protocol as data (SPEC section 4). One `membership` op can record a whole election
 * result or takeover in a single update.
 */
export type SystemOp =
  | {
      membership: {
        epoch?: number;
        manager?: string | null;
        backup?: string | null;
        add?: NodeInfo[];
        remove?: { id: string; reason: 'leave' | 'failed' | 'removed' }[];
        settings?: Record<string, unknown>;
      };
    }
  | { groupJoin: { group: string; process: string; node: string } }
  | { groupLeave: { group: string; process: string; node: string } }
  | { groupMessage: { group: string; msg: unknown } };

export type Op = DataOp | SystemOp;

export interface NodeRow {
  id: string;
  qualified: boolean;
  priority: number;
  role: 'manager' | 'backup' | 'client';
  status: 'up' | 'failed';
  incarnation: number;
  joinedSeq: number;
  /** Dotted paths of ephemeral keys this node owns; deleted with the node. */
  ephemeral?: string[];
}

export interface GroupMemberRow {
  node: string;
  process: string;
  since: number;
}

export interface GroupRow {
  view: number;
  members: Record<string, GroupMemberRow>;
}

/** The replicated cluster database (SPEC section 5). */
export interface ClusterDb {
  meta: {
    cluster: string;
    epoch: number;
    seq: number;
    manager: string | null;
    backup: string | null;
    settings: Record<string, unknown>;
  };
  nodes: Record<string, NodeRow>;
  groups: Record<string, GroupRow>;
  data: Record<string, unknown>;
}

/** One committed (or pending) GLUP update, as shipped and as logged (SPEC sections 4 and 6). */
export interface UpdateRecord {
  epoch: number;
  seq: number;
  /** Submitting node. */
  origin: string;
  /** Submission id: a retried submission with the same id applies at most once. */
  id: string;
  op: Op;
  patches: Patch[];
  /** Virtual or wall time at sequencing, milliseconds. */
  ts: number;
}

export function emptyDb(cluster: string): ClusterDb {
  return {
    meta: { cluster, epoch: 0, seq: 0, manager: null, backup: null, settings: {} },
    nodes: {},
    groups: {},
    data: {},
  };
}
