/**
 * What follows a commit on a node (SPEC sections 3, 4, 11): `update` and `membership` events
 * in seq order, the submitters' answers, read-your-writes, and the committed facts the node
 * actor decides its role on.
 */
import type { UpdateRecord } from '../db/types.js';
import type { CommittedFacts } from '../machines/nodeTypes.js';
import { answerSubmission } from './effects/coordinator.js';
import type { NodeHost } from './host.js';
import type { Replica } from './replica.js';

export function committedFacts(replica: Replica, self: string): CommittedFacts {
  // members, roles and epoch: read without making the database whole (its data writes may wait)
  const db = replica.committedShape;
  return {
    seq: replica.committedSeq,
    manager: db.meta.manager,
    backup: db.meta.backup,
    epoch: db.meta.epoch,
    members: Object.keys(db.nodes),
    incarnation: db.nodes[self]?.incarnation ?? null,
  };
}

export function afterCommit(host: NodeHost, records: UpdateRecord[], asManager: boolean): void {
  const r = host.replica;
  host.counters.updatesCommitted += records.length;
  for (const rec of records) {
    if ('membership' in rec.op) {
      const m = rec.op.membership;
      const db = r.committedDbAt(rec.seq);
      if (m.add?.length || m.remove?.length) {
        host.emit('membership', {
          epoch: db.meta.epoch,
          seq: rec.seq,
          members: Object.keys(db.nodes),
          joined: (m.add ?? []).map((n) => n.id),
          left: m.remove ?? [],
        });
      }
    }
    // the database right after the record, made only for a listener that asks (valid during the call)
    host.emit('update', rec, () => r.committedDbAt(rec.seq));
    if (asManager) answerSubmission(host, rec.origin, { id: rec.id, seq: rec.seq, epoch: rec.epoch });
  }
  host.submitter.resolveCommitted();
  host.toNode({ type: 'COMMITTED', facts: committedFacts(r, host.id) });
}
