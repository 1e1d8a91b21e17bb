/**
 * The admin subject (SPEC section 9: `glup status`, `glup switchover`, `glup remove`): every
 * node answers a status request with its own view, the manager adds the cluster tables;
 * switchover and remove requests are the manager's to carry out.
 */
import type { Envelope } from '../bus/envelope.js';
import type { MessageType } from '../bus/messageTypes.js';
import type { Logger } from '../log.js';
import type { Op } from '../db/types.js';
import type { Replica } from './replica.js';
import type { Role } from './types.js';

/** What answering admin requests needs from a node. */
export interface AdminHost {
  readonly cluster: string;
  readonly role: Role;
  readonly replica: Replica;
  readonly logger: Logger;
  status(): Record<string, unknown>;
  switchover(to: string): Promise<void>;
  submit(op: Op): Promise<unknown>;
}

export function answerAdmin(node: AdminHost, env: Envelope, send: (type: MessageType, body: unknown) => void): void {
    const reply = (type: MessageType, body: unknown) => {
      try {
        send(type, body);
      } catch (e) {
        node.logger.warn('admin reply failed', { error: String(e) });
      }
    };
    if (env.type === 'status-request') {
      const db = node.replica.db;
      const manager = node.role === 'manager';
      reply('status-reply', {
        ...node.status(),
        cluster: node.cluster,
        ...(manager
          ? {
              nodes: Object.fromEntries(Object.values(db.nodes).map((n) => [n.id, { role: n.role, status: n.status }])),
              groups: Object.fromEntries(Object.entries(db.groups).map(([g, row]) => [g, Object.keys(row.members)])),
            }
          : {}),
      });
      return;
    }
    if (node.role !== 'manager') return;
    const b = env.body as { action?: unknown; to?: unknown; node?: unknown };
    const done = (p: Promise<unknown>) =>
      p.then(
        () => reply('admin-reply', { ok: true }),
        (e: Error & { code?: string }) => reply('admin-reply', { ok: false, code: e.code ?? 'INVALID_OP', message: e.message }),
      );
    if (b.action === 'switchover' && typeof b.to === 'string') {
      void done(node.switchover(b.to));
    } else if (b.action === 'remove' && typeof b.node === 'string') {
      const target = b.node;
      if (!node.replica.db.nodes[target]) {
        reply('admin-reply', { ok: false, code: 'INVALID_OP', message: `${target} is not a member of ${node.cluster}` });
        return;
      }
      void done(node.submit({ membership: { remove: [{ id: target, reason: 'removed' }] } }));
    } else {
      reply('admin-reply', { ok: false, code: 'INVALID_OP', message: 'admin-request needs action switchover {to} or remove {node}' });
    }
}
