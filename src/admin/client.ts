/**
 * `glup status`, `glup switchover` and `glup remove` (SPEC section 9): a short-lived bus
 * endpoint named `cli-<random>` on the cluster's admin subject `glup.<cluster>.admin`.
 *
 * Every live node answers a `status-request` with its own view; only the manager adds the
 * cluster tables (nodes, groups) and only the manager carries out an `admin-request`. So
 * status collects replies on an inbox for a short window, and the admin actions first find
 * a manager that way (a fast, clear TIMEOUT when none answers) and then ask it.
 */
import { randomBytes } from 'node:crypto';
import { createBus, type Bus } from '../bus/bus.js';
import type { Envelope } from '../bus/envelope.js';
import { natsTransport } from '../bus/nats.js';
import { subjects } from '../bus/transport.js';
import { GlupError, isGlupErrorCode } from '../errors.js';
import type { AdminOptions, ClusterStatus, ClusterStatusFn, RemoveNodeFn, SwitchoverFn } from '../cli/admin.js';

/** How long replies are collected once the manager has answered (non-managers may be a little slower). */
const COLLECT_MS = 500;
/** How long to wait for any manager to answer a status request. */
const MANAGER_TIMEOUT_MS = 3000;
/** A switchover or removal is a GLUP round plus a handover: allow for slow heartbeats. */
const ACTION_TIMEOUT_MS = 30_000;

/** The body of a `status-reply` (NodeRuntime.status() plus, from the manager, the tables). */
export interface StatusReply {
  id: string;
  role: string;
  epoch: number;
  manager: string | null;
  backup: string | null;
  committedSeq: number;
  lastSeq: number;
  metrics: Record<string, number>;
  nodes?: Record<string, { role: string; status: string }>;
  groups?: Record<string, string[]>;
}

export const clusterStatus: ClusterStatusFn = (opts) => withBus(opts, async (bus) => summarize(opts.cluster, await collectStatus(bus)));

export const switchover: SwitchoverFn = (opts) =>
  withBus(opts, async (bus) => {
    await requireManager(bus);
    await adminRequest(bus, { action: 'switchover', to: opts.to }, `switchover to ${opts.to}`);
  });

export const removeNode: RemoveNodeFn = (opts) =>
  withBus(opts, async (bus) => {
    await requireManager(bus);
    await adminRequest(bus, { action: 'remove', node: opts.id }, `remove ${opts.id}`);
  });

/** Builds the SPEC 9 status object from the replies of one status request. */
export function summarize(cluster: string, replies: StatusReply[]): ClusterStatus {
  const manager = pickManager(replies);
  if (!manager) throw noManager(cluster);
  const nodes: ClusterStatus['nodes'] = { ...(manager.nodes ?? {}) };
  // a node that answers but is not in the manager's table yet (joining, isolated, a stale manager) shows as it sees itself
  for (const r of replies) if (!nodes[r.id]) nodes[r.id] = { role: r.role, status: 'up' };
  const metrics: ClusterStatus['metrics'] = { invalidMessages: 0 };
  for (const r of replies) {
    for (const [name, value] of Object.entries(r.metrics ?? {})) {
      if (typeof value === 'number') metrics[name] = (metrics[name] ?? 0) + value;
    }
  }
  return {
    cluster,
    manager: manager.id,
    backup: manager.backup,
    epoch: manager.epoch,
    seq: manager.committedSeq,
    nodes,
    groups: manager.groups ?? {},
    metrics,
  };
}

/** The manager of the highest epoch: a deposed manager that has not noticed yet loses to its successor. */
function pickManager(replies: StatusReply[]): StatusReply | undefined {
  return replies.filter((r) => r.role === 'manager').sort((a, b) => b.epoch - a.epoch)[0];
}

function noManager(cluster: string): GlupError {
  return new GlupError('TIMEOUT', `no manager of cluster ${cluster} answered within ${MANAGER_TIMEOUT_MS} ms (is any glup node of this cluster running on this NATS?)`);
}

/**
 * Publishes one status request with a private inbox as its reply subject and gathers the
 * replies: until COLLECT_MS after the first manager reply, or MANAGER_TIMEOUT_MS without one.
 */
function collectStatus(bus: Bus): Promise<StatusReply[]> {
  const inbox = `_INBOX.glup-admin.${randomBytes(8).toString('hex')}`;
  const byNode = new Map<string, StatusReply>();
  return new Promise((resolve) => {
    let collectTimer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(collectTimer);
      clearTimeout(managerTimer);
      sub.unsubscribe();
      resolve([...byNode.values()]);
    };
    const sub = bus.subscribe(inbox, (env: Envelope) => {
      if (env.type !== 'status-reply') return;
      const reply = asStatusReply(env.body);
      if (!reply) return;
      byNode.set(reply.id, reply);
      if (reply.role === 'manager' && collectTimer === undefined) collectTimer = setTimeout(finish, COLLECT_MS);
    });
    const managerTimer = setTimeout(finish, MANAGER_TIMEOUT_MS);
    bus.publish(subjects.admin(bus.cluster), 'status-request', {}, { epoch: 0, reply: inbox });
  });
}

async function requireManager(bus: Bus): Promise<StatusReply> {
  const manager = pickManager(await collectStatus(bus));
  if (!manager) throw noManager(bus.cluster);
  return manager;
}

/** Only the manager answers an admin request; its `{ok:false, code, message}` becomes a GlupError. */
async function adminRequest(bus: Bus, body: Record<string, unknown>, what: string): Promise<void> {
  let env: Envelope;
  try {
    env = await bus.request(subjects.admin(bus.cluster), 'admin-request', body, { epoch: 0, timeoutMs: ACTION_TIMEOUT_MS });
  } catch (e) {
    if (e instanceof GlupError && e.code === 'TIMEOUT') {
      throw new GlupError('TIMEOUT', `${what}: the manager of ${bus.cluster} did not confirm within ${ACTION_TIMEOUT_MS} ms`, { cause: e });
    }
    throw e;
  }
  const reply = env.body as { ok?: unknown; code?: unknown; message?: unknown };
  if (reply?.ok === true) return;
  const code = isGlupErrorCode(reply?.code) ? reply.code : 'INVALID_OP';
  const message = typeof reply?.message === 'string' ? reply.message.replace(/^[A-Z_]+: /, '') : 'refused without a reason';
  throw new GlupError(code, `${what} refused by ${env.from}: ${message}`);
}

export function asStatusReply(body: unknown): StatusReply | undefined {
  const b = body as Partial<StatusReply> | null;
  if (typeof b !== 'object' || b === null) return undefined;
  if (typeof b.id !== 'string' || typeof b.role !== 'string' || typeof b.epoch !== 'number') return undefined;
  return {
    id: b.id,
    role: b.role,
    epoch: b.epoch,
    manager: typeof b.manager === 'string' ? b.manager : null,
    backup: typeof b.backup === 'string' ? b.backup : null,
    committedSeq: typeof b.committedSeq === 'number' ? b.committedSeq : 0,
    lastSeq: typeof b.lastSeq === 'number' ? b.lastSeq : 0,
    metrics: typeof b.metrics === 'object' && b.metrics !== null ? b.metrics : {},
    ...(typeof b.nodes === 'object' && b.nodes !== null && { nodes: b.nodes }),
    ...(typeof b.groups === 'object' && b.groups !== null && { groups: b.groups }),
  };
}

async function withBus<T>(opts: AdminOptions, fn: (bus: Bus) => Promise<T>): Promise<T> {
  const name = `cli-${randomBytes(4).toString('hex')}`;
  const servers = opts.nats.split(',').map((s) => s.trim()).filter((s) => s !== '');
  let transport;
  try {
    // The first connect fails fast on a dead server; every later wait below is bounded by a timeout.
    transport = await natsTransport({ servers, name });
  } catch (e) {
    throw new GlupError('TIMEOUT', `cannot connect to NATS at ${opts.nats}: ${(e as Error).message}`, { cause: e });
  }
  const bus = createBus({ transport, cluster: opts.cluster, node: name });
  try {
    return await fn(bus);
  } finally {
    bus.close();
    await transport.close();
  }
}
