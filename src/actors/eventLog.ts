/**
 * Info-level lines for what an operator reads a node's log for, derived from the node's
 * public events only (so they survive any rewrite of the core): role changes (which is
 * where elections, takeovers and handovers show), membership changes (joins, leaves,
 * removals and nodes declared failed) and quorum.
 *
 * Not derivable from events, and so not logged here (needs from core): an election round
 * starting or being lost, the reason of a takeover (manager silent vs handover), and
 * store errors on a member.
 */
import type { Logger } from '../log.js';
import type { MembershipEvent, Role } from './types.js';

export interface EventSource {
  readonly role: Role;
  readonly epoch: number;
  readonly manager: string | null;
  on(event: 'role', fn: (role: Role) => void): () => void;
  on(event: 'membership', fn: (m: MembershipEvent) => void): () => void;
  on(event: 'quorum', fn: (q: boolean) => void): () => void;
}

export function logNodeEvents(node: EventSource, logger: Logger): () => void {
  let previous: Role = node.role;
  const offs = [
    node.on('role', (role) => {
      const from = previous;
      previous = role;
      if (role === 'manager') {
        // from backup: a takeover or a handover to it; from joining: it won an election; from client: a switchover
        logger.info('became manager', { epoch: node.epoch, previousRole: from });
      } else {
        logger.info('role changed', { role, previousRole: from, epoch: node.epoch, manager: node.manager });
      }
    }),
    node.on('membership', (m) => {
      logger.info('membership changed', { epoch: m.epoch, seq: m.seq, members: m.members, joined: m.joined, left: m.left.map((l) => `${l.id}:${l.reason}`) });
      for (const l of m.left) {
        if (l.reason === 'removed') logger.info('node removed', { removed: l.id, seq: m.seq });
        else if (l.reason === 'failed') logger.info('node declared failed and removed', { removed: l.id, seq: m.seq });
      }
    }),
    node.on('quorum', (q) => {
      if (q) logger.info('quorum regained', { epoch: node.epoch });
      else logger.warn('quorum lost: isolated from the majority', { epoch: node.epoch });
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
