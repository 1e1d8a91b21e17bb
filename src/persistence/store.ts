import type { ClusterDb, UpdateRecord } from '../db/types.js';

/** A database snapshot as stored (SPEC section 6). */
export interface SnapshotRecord {
  seq: number;
  epoch: number;
  db: ClusterDb;
  /** Submission ids seen up to `seq`, so retries stay at-most-once after compaction. */
  submissions?: string[];
}

/** What a store hands back when a node starts on its data. */
export interface RecoveredState {
  snapshot: SnapshotRecord | null;
  /** Log records after the snapshot, in seq order, gapless. */
  records: UpdateRecord[];
  /** Highest seq the node knew to be committed (best effort; entries above it are uncommitted). */
  committedSeq: number;
  /** Restarts so far; the runtime writes incarnation + 1 at start. */
  incarnation: number;
  /** Highest epoch this node has voted in or led (0 when none): never reused after a restart. */
  epoch?: number;
  /** Human-readable warnings, e.g. a corrupt tail cut back: "<file>: bad crc at offset N, cut back". */
  warnings: string[];
}

/**
 * Per-node log and snapshot storage (SPEC section 6). The store knows records, not machines.
 * A resolved `append` means durable under the store's fsync policy: the runtime acks an
 * update only after that.
 */
export interface Store {
  readonly kind: 'memory' | 'file' | 'jetstream';
  open(): Promise<RecoveredState>;
  /** Appends records (seq order, continuing the log). Group commit is allowed. */
  append(records: UpdateRecord[]): Promise<void>;
  /** Drops every record with seq > `seq` (a divergent tail being replaced). */
  truncateAfter(seq: number): Promise<void>;
  /** Records with from <= seq <= to still held (after compaction the early ones may be gone). */
  readRange(from: number, to: number): Promise<UpdateRecord[]>;
  /** Writes a snapshot; the log up to snap.seq may then be compacted. */
  writeSnapshot(snap: SnapshotRecord): Promise<void>;
  /** Best effort: remembers the highest committed seq (no fsync needed; it only narrows recovery). */
  setCommitted(seq: number): Promise<void>;
  setIncarnation(incarnation: number): Promise<void>;
  /**
   * Durably remembers the highest epoch this node voted in or leads, before it acts on it
   * (like Raft's currentTerm): a restarted node can then never vote twice in an epoch or lead
   * an epoch someone else leads.
   */
  setEpoch(epoch: number): Promise<void>;
  /** XState persisted snapshots of the node's actors, kept for inspection and replay. */
  saveActorSnapshots(snapshots: Record<string, unknown>): Promise<void>;
  /** Wipes everything (a node whose log must be replaced whole). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** The actor snapshots a store saved, for stores that can read them back (memory, file, and wrappers of those). */
export async function loadActorSnapshots(store: Store): Promise<Record<string, unknown>> {
  const load = (store as { loadActorSnapshots?: () => Promise<Record<string, unknown>> }).loadActorSnapshots;
  return load ? load.call(store) : {};
}
