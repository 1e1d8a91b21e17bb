/**
 * Contract of src/admin/client.ts and src/admin/data.ts, the implementations behind
 * `glup status`, `switchover`, `remove` and the data commands: a short-lived NATS client
 * speaking as the tool's id. Rejections are GlupErrors (TIMEOUT when nobody answers).
 */
import type { ToolOptions } from '../admin/session.js';

export type AdminOptions = ToolOptions & { timeoutMs?: number };

/** One node as `glup status` shows it; `seq` and `lag` are null for a node that did not answer (or is joining). */
export interface NodeStatus {
  role: string;
  /** up, isolated or joining (it answered); failed or unreachable (listed, but silent). */
  status: string;
  seq: number | null;
  /** Committed updates behind the manager (or, with none, the most advanced node that answered). */
  lag: number | null;
  /** Hosted actor activations, when the node reports them. */
  activations?: number;
}

/** `glup status --json` prints exactly this object (SPEC section 9); `manager` is null when none answered. */
export interface ClusterStatus {
  cluster: string;
  manager: string | null;
  backup: string | null;
  epoch: number;
  seq: number;
  nodes: Record<string, NodeStatus>;
  groups: Record<string, string[]>;
  metrics: { invalidMessages: number; [name: string]: number };
}

export type ClusterStatusFn = (opts: AdminOptions) => Promise<ClusterStatus>;
export type SwitchoverFn = (opts: AdminOptions & { to: string }) => Promise<void>;
export type RemoveNodeFn = (opts: AdminOptions & { id: string }) => Promise<void>;

export const ADMIN_MODULE = '../admin/client.js';
