/**
 * Requests from the tools (SPEC section 9): `glup status`, `switchover`, `remove` and the data
 * commands. A `status-request` goes to every node on `glup.C.admin.<tool>` and each answers
 * with its own view (the manager's tables are the authoritative ones, the others' say what
 * each survivor last saw); an `admin-request` is addressed to one node (`to`, sent on
 * `glup.C.node.<to>.<tool>`): switchover and remove to the manager, the data actions
 * (src/actors/dataAdmin.ts) to any member. Replies go to the tool's inbox (bus.reply), where
 * the tool accepts them only from the node it addressed.
 */
import type { Envelope } from '../bus/envelope.js';
import type { MessageType } from '../bus/messageTypes.js';
import type { ClusterDb, Op } from '../db/types.js';
import type { Logger } from '../log.js';
import { answerData, isDataAction, type DataHost } from './dataAdmin.js';
import type { Role } from './types.js';

/** What answering admin requests needs from a node. */
export interface AdminHost extends DataHost {
  readonly cluster: string;
  readonly role: Role;
  readonly db: ClusterDb;
  readonly logger: Logger;
  status(): Record<string, unknown>;
  switchover(to: string): Promise<void>;
  /** A system update (removal); the data actions use `update`. */
  submit(op: Op): Promise<unknown>;
  /** Hosted actors, when the node has them: the status counts their activations. */
  readonly actors?: { list(): unknown[]; readonly hosting?: boolean };
}

export function answerAdmin(node: AdminHost, env: Envelope, send: (type: MessageType, body: unknown) => void): void {
  const reply = (type: MessageType, body: unknown) => {
    try {
      send(type, body);
    } catch (e) {
      node.logger.warn('admin reply failed', { requester: env.from, error: String(e) });
    }
  };
  if (env.type === 'status-request') {
    reply('status-reply', statusOf(node));
    return;
  }
  if (env.type !== 'admin-request') return;
  const b = (typeof env.body === 'object' && env.body !== null ? env.body : {}) as { action?: unknown; to?: unknown; target?: unknown; node?: unknown };
  // every admin request names the node it is for: one that reaches others too is not theirs to answer
  if (b.to !== node.id) return;
  if (isDataAction(b.action)) {
    answerData(node, env, reply);
    return;
  }
  if (node.role !== 'manager') {
    reply('admin-reply', { ok: false, code: 'NOT_MEMBER', message: `${node.id} is ${node.role}, not the manager` });
    return;
  }
  const done = (p: Promise<unknown>) =>
    p.then(
      () => reply('admin-reply', { ok: true }),
      (e: Error & { code?: string }) => reply('admin-reply', { ok: false, code: e.code ?? 'INVALID_OP', message: e.message }),
    );
  if (b.action === 'switchover' && typeof b.target === 'string') {
    void done(node.switchover(b.target));
  } else if (b.action === 'remove' && typeof b.node === 'string') {
    const target = b.node;
    if (!node.db.nodes[target]) {
      reply('admin-reply', { ok: false, code: 'INVALID_OP', message: `${target} is not a member of ${node.cluster}` });
      return;
    }
    void done(node.submit({ membership: { remove: [{ id: target, reason: 'removed' }] } }));
  } else {
    reply('admin-reply', { ok: false, code: 'INVALID_OP', message: 'admin-request needs action switchover {target}, remove {node}, or a data action (get, put, delete, cas, watch)' });
  }
}

/**
 * A node's answer to `glup status`: its own state, and the membership and groups as its
 * committed database has them. Every node sends the tables, so with no manager the tool can
 * still show what the survivors last knew and who of those is not answering.
 */
function statusOf(node: AdminHost): Record<string, unknown> {
  const db = node.db;
  return {
    ...node.status(),
    cluster: node.cluster,
    nodes: Object.fromEntries(Object.values(db.nodes).map((n) => [n.id, { role: n.role, status: n.status }])),
    groups: Object.fromEntries(Object.entries(db.groups).map(([g, row]) => [g, Object.keys(row.members)])),
    // only a node that defines actor types has the column: a cluster without actors shows none
    ...(node.actors && node.actors.hosting !== false && { activations: node.actors.list().length }),
  };
}
