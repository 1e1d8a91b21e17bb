/**
 * Contract of src/admin/client.ts, the implementation behind `glup status`, `glup
 * switchover` and `glup remove`: a short-lived NATS client that asks the cluster's manager
 * on the admin subject. Rejections are GlupErrors (TIMEOUT when no manager answers).
 */
export interface AdminOptions {
  cluster: string;
  nats: string;
}

/** `glup status --json` prints exactly this object (SPEC section 9). */
export interface ClusterStatus {
  cluster: string;
  manager: string | null;
  backup: string | null;
  epoch: number;
  seq: number;
  nodes: Record<string, { role: string; status: string }>;
  groups: Record<string, string[]>;
  metrics: { invalidMessages: number; [name: string]: number };
}

export type ClusterStatusFn = (opts: AdminOptions) => Promise<ClusterStatus>;
export type SwitchoverFn = (opts: AdminOptions & { to: string }) => Promise<void>;
export type RemoveNodeFn = (opts: AdminOptions & { id: string }) => Promise<void>;

export const ADMIN_MODULE = '../admin/client.js';
