/**
 * `glup status`, `glup switchover` and `glup remove` (SPEC section 9) over a tool session
 * (session.ts). Status asks every node and shows whoever answers, manager or not: with the
 * manager gone, the isolated or leaderless survivors are exactly what an operator needs to
 * see. Switchover and remove find the manager that way and then address it alone.
 */
import { GlupError } from '../errors.js';
import { compareIds } from '../ids.js';
import type { AdminOptions, ClusterStatus, ClusterStatusFn, NodeStatus, RemoveNodeFn, SwitchoverFn } from '../cli/admin.js';
import { MEMBER_ROLES, pickManager, withSession, type Session, type StatusReply } from './session.js';

export { asStatusReply, type StatusReply } from './session.js';

/** How long a status request waits for replies (all of it when no manager answers). */
export const STATUS_TIMEOUT_MS = 3000;
/** After the manager answered, how long the others may take (they are rarely slower). */
const COLLECT_MS = 500;
/** A switchover or removal is a GLUP round plus a handover: allow for slow heartbeats. */
const ACTION_TIMEOUT_MS = 30_000;

export const clusterStatus: ClusterStatusFn = (opts) => withSession(opts, (s) => statusOf(s, opts.timeoutMs ?? STATUS_TIMEOUT_MS));

/** One status round on an open session (glup status --watch runs one a second). */
export async function statusOf(session: Session, timeoutMs: number): Promise<ClusterStatus> {
  const replies = await session.statuses(timeoutMs, (got) => {
    const manager = pickManager(got);
    if (!manager) return false;
    // every member the manager knows has answered: nothing more to wait for
    if (Object.keys(manager.nodes ?? {}).every((id) => got.some((r) => r.id === id))) return true;
    return COLLECT_MS;
  });
  if (replies.length === 0) throw new GlupError('TIMEOUT', `no node of cluster ${session.cluster} answered within ${timeoutMs} ms (is any glup node of this cluster running on this NATS?)`);
  return summarize(session.cluster, replies);
}

export const switchover: SwitchoverFn = (opts) =>
  withSession(opts, async (s) => {
    const manager = await requireManager(s);
    await s.ask(manager, { action: 'switchover', target: opts.to }, ACTION_TIMEOUT_MS).catch(explainTimeout(`switchover to ${opts.to}`, manager));
  });

export const removeNode: RemoveNodeFn = (opts) =>
  withSession(opts, async (s) => {
    const manager = await requireManager(s);
    await s.ask(manager, { action: 'remove', node: opts.id }, ACTION_TIMEOUT_MS).catch(explainTimeout(`remove ${opts.id}`, manager));
  });

async function requireManager(s: Session): Promise<string> {
  const manager = pickManager(await s.statuses(STATUS_TIMEOUT_MS, (got) => pickManager(got) !== undefined));
  if (!manager) throw new GlupError('TIMEOUT', `no manager of cluster ${s.cluster} answered within ${STATUS_TIMEOUT_MS} ms (is any glup node of this cluster running on this NATS?)`);
  return manager.id;
}

function explainTimeout(what: string, manager: string) {
  return (e: unknown): never => {
    if (e instanceof GlupError && e.code === 'TIMEOUT') {
      throw new GlupError('TIMEOUT', `${what}: the manager ${manager} did not confirm within ${ACTION_TIMEOUT_MS} ms`, { cause: e });
    }
    throw e;
  };
}

/**
 * The SPEC 9 status object from one round of replies. The manager of the highest epoch
 * gives the tables; without one, the survivor that has committed the most does. Each node
 * shows as it describes itself when it answered (`status` up, isolated or joining), else as
 * the tables list it (`failed`, or `unreachable` for a member that did not answer). `lag` is
 * how many committed updates a node is behind the manager (or the most advanced survivor).
 */
export function summarize(cluster: string, replies: StatusReply[]): ClusterStatus {
  const manager = pickManager(replies);
  const reference = manager ?? [...replies].sort((a, b) => b.epoch - a.epoch || b.committedSeq - a.committedSeq)[0];
  const head = manager?.committedSeq ?? Math.max(0, ...replies.map((r) => r.committedSeq));
  const nodes: Record<string, NodeStatus> = {};
  for (const [id, row] of Object.entries(reference?.nodes ?? {})) {
    nodes[id] = { role: row.role, status: row.status === 'failed' ? 'failed' : 'unreachable', seq: null, lag: null };
  }
  for (const r of replies) {
    const status = r.role === 'isolated' || r.role === 'joining' ? r.role : 'up';
    const member = MEMBER_ROLES.includes(r.role);
    nodes[r.id] = {
      role: r.role,
      status,
      seq: member || r.role === 'isolated' ? r.committedSeq : null,
      lag: member || r.role === 'isolated' ? Math.max(0, head - r.committedSeq) : null,
      ...(r.activations !== undefined && { activations: r.activations }),
    };
  }
  const metrics: ClusterStatus['metrics'] = { invalidMessages: 0 };
  for (const r of replies) {
    for (const [name, value] of Object.entries(r.metrics ?? {})) {
      if (typeof value === 'number') metrics[name] = (metrics[name] ?? 0) + value;
    }
  }
  return {
    cluster,
    manager: manager?.id ?? null,
    backup: manager?.backup ?? null,
    epoch: manager?.epoch ?? Math.max(0, ...replies.map((r) => r.epoch)),
    seq: head,
    nodes: Object.fromEntries(Object.entries(nodes).sort(([a], [b]) => compareIds(a, b))),
    groups: reference?.groups ?? {},
    metrics,
  };
}

export type { AdminOptions };
