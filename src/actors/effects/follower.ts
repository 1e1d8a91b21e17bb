/** Effects of the follower and joining actors (src/machines/follower.ts, joining.ts). */
import { followerMachine, type AckParams, type WriteParams } from '../../machines/follower.js';
import { joiningMachine } from '../../machines/joining.js';
import type { UpdateRecord } from '../../db/types.js';
import type { SnapshotRecord } from '../../persistence/store.js';
import type { NodeHost } from '../host.js';

export function provideFollower(host: NodeHost, reportConflict: (from: string, seq: number) => void) {
  const r = host.replica;
  return followerMachine.provide({
    actions: {
      // append before ack: WRITTEN goes back only once the store holds the records
      writeRecords: (_, p: WriteParams) => {
        const records = p.records as UpdateRecord[];
        const cut = p.truncateAfter === null ? Promise.resolve() : r.truncateAfter(p.truncateAfter);
        try {
          r.stageBatch(records);
        } catch (e) {
          host.logger.error('follower: records do not continue the log', { error: String(e) });
          return;
        }
        // queued now, right behind the truncate: a coordinator's append (this node may lead
        // next) cannot slip in between and reach the store ahead of these records
        const written = r.persist(records);
        Promise.all([cut, written])
          .then(
            () => host.toActor('follower', { type: 'WRITTEN', upTo: p.upTo }),
            (e) => host.storeFailed('append', e),
          );
      },
      sendAck: (_, p: AckParams) => host.sendTo(p.to, 'update-ack', { ok: p.ok, match: p.match, hint: p.hint }),
      commit: (_, p) => host.committed(r.commitTo(p.upTo), false),
      installSnapshot: (_, p) => {
        const snap = p.snapshot as SnapshotRecord;
        reportDiscarded(host, snap);
        r.resetTo(snap).then(
          () => host.toActor('follower', { type: 'SNAPSHOT_INSTALLED', log: r.index }),
          (e) => host.storeFailed('snapshot', e),
        );
        host.committed([], false);
      },
      refuseConflict: (_, p) => reportConflict(p.from, p.seq),
    },
  });
}

/** quorum none: records this node held that the winner's snapshot does not (SPEC section 3, conflict events). */
function reportDiscarded(host: NodeHost, snap: SnapshotRecord): void {
  if (host.settings.quorum !== 'none') return;
  const keep = new Set(snap.submissions ?? []);
  const discarded = host.replica.range(host.replica.firstHeldSeq, host.replica.lastSeq).filter((x) => !keep.has(x.id));
  if (!discarded.length) return;
  host.counters.conflicts += discarded.length;
  host.emit('conflict', { discarded, winner: { manager: snap.db.meta.manager, epoch: snap.db.meta.epoch } });
}

export function provideJoining(host: NodeHost) {
  return joiningMachine.provide({
    actions: {
      sendJoinRequest: (_, p) =>
        host.sendTo(p.to, 'join-request', { node: host.facts(), position: host.position(), lastId: host.replica.lastIdentity().id }),
    },
  });
}
