import type { UpdateRecord } from '../db/types.js';
import { checkContinues, nextSeqAfter } from './record.js';
import type { RecoveredState, SnapshotRecord, Store } from './store.js';

/**
 * A store that models a disk inside one process (SPEC section 6): the object outlives the
 * node that uses it, so passing the same store to a restarted node recovers everything
 * appended before the kill. Every append counts as durable the moment it resolves.
 *
 * Everything is deep-copied on the way in and out: the runtime mutating an object it handed
 * over (or got back) must not change what the "disk" holds. The one exception is a frozen
 * snapshot database (the replica's always are), which nobody can mutate.
 */
export interface MemoryStore extends Store {
  readonly kind: 'memory';
  /** Records currently held (compaction drops those covered by the snapshot). For tests. */
  readonly recordCount: number;
  /** The actor snapshots last saved (empty when none). */
  loadActorSnapshots(): Promise<Record<string, unknown>>;
}

export function memoryStore(): MemoryStore {
  let records: UpdateRecord[] = [];
  let snapshot: SnapshotRecord | null = null;
  let committedSeq = 0;
  let incarnation = 0;
  let epoch = 0;
  let actorSnapshots: Record<string, unknown> = {};
  const where = 'memory store';

  const lastSeq = () => (records.length ? records[records.length - 1].seq : null);

  return {
    kind: 'memory',
    get recordCount() {
      return records.length;
    },

    async open(): Promise<RecoveredState> {
      const after = snapshot?.seq ?? 0;
      return {
        snapshot: snapshot ? structuredClone(snapshot) : null,
        records: structuredClone(records.filter((r) => r.seq > after)),
        committedSeq,
        incarnation,
        epoch,
        warnings: [],
      };
    },

    async append(batch) {
      checkContinues(batch, nextSeqAfter(lastSeq(), snapshot?.seq ?? null), where);
      records.push(...structuredClone(batch));
    },

    async truncateAfter(seq) {
      records = records.filter((r) => r.seq <= seq);
      // A snapshot above the cut contains the divergent tail: it must go with it.
      if (snapshot && snapshot.seq > seq) snapshot = null;
    },

    async readRange(from, to) {
      return structuredClone(records.filter((r) => r.seq >= from && r.seq <= to));
    },

    async writeSnapshot(snap) {
      // a frozen database cannot change under the store: keep it as it is (a copy would cost
      // the whole database on every snapshot, in the middle of the updates)
      snapshot = Object.isFrozen(snap.db) ? { ...structuredClone({ ...snap, db: null }), db: snap.db } : structuredClone(snap);
      records = records.filter((r) => r.seq > snap.seq);
    },

    async setCommitted(seq) {
      committedSeq = seq;
    },

    async setIncarnation(n) {
      incarnation = n;
    },

    async setEpoch(n) {
      epoch = Math.max(epoch, n);
    },

    async saveActorSnapshots(snaps) {
      actorSnapshots = structuredClone(snaps);
    },

    async loadActorSnapshots() {
      return structuredClone(actorSnapshots);
    },

    async reset() {
      // Incarnation survives a reset: it counts restarts of the node, not of its log.
      records = [];
      snapshot = null;
      committedSeq = 0;
      actorSnapshots = {};
    },

    async close() {},
  };
}
