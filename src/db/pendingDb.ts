/**
 * A database whose data writes wait until someone reads it whole (issue 14). Applying a patch
 * next to a container of N keys copies the container (immer, immutable databases), so a
 * replica that applied every update at once paid O(N) per update. Here the patches of data
 * records wait, and are applied in one pass when the whole database is read (a snapshot, an
 * application reading `node.db`, a write that must see an earlier one): one copy per read.
 *
 * Only data and `meta.seq` may wait. Everything else (members, roles, groups, epoch) is read
 * from `shape` without applying anything: the per-update bookkeeping (membership counts,
 * committed facts, announces) never pays for the data.
 */
import type { Patch } from 'immer';
import { applyRecordPatches } from './ops.js';
import type { ClusterDb } from './types.js';
import { WrittenPaths } from './writtenPaths.js';

/**
 * Waiting patches beyond this many are applied anyway: a database nobody reads stays bounded
 * in memory. A replica's databases are made whole at every snapshot (snapshotEvery records,
 * 1,000 by default) well before.
 */
const MAX_WAITING = 16_384;

export class PendingDb {
  private base: ClusterDb;
  private waiting: Patch[] = [];
  private readonly written = new WrittenPaths();

  constructor(db: ClusterDb) {
    this.base = db;
  }

  /** The whole database: what waits is applied first (one pass). */
  get(): ClusterDb {
    if (this.waiting.length) {
      this.base = applyRecordPatches(this.base, this.waiting);
      // a new array: a state taken earlier (`state`) keeps its own
      this.waiting = [];
      this.written.clear();
    }
    return this.base;
  }

  /** Everything but data and meta.seq, current without applying what waits. */
  get shape(): ClusterDb {
    return this.base;
  }

  /** Replaces the database (one made whole elsewhere). */
  set(db: ClusterDb): void {
    this.base = db;
    this.waiting = [];
    this.written.clear();
  }

  /** Adds the patches of a record that writes only data (and meta.seq); see `writesDataOnly`. */
  defer(patches: readonly Patch[]): void {
    for (const p of patches) {
      this.waiting.push(p);
      if (p.path[0] === 'data') this.written.add(p.path.slice(1).map(String));
    }
    if (this.waiting.length > MAX_WAITING) this.get();
  }

  /** Whether a waiting write touches the data at `segs` (one path is a prefix of the other). */
  touches(segs: readonly string[]): boolean {
    return this.written.overlaps(segs);
  }

  /** What this database is now, to be made whole later (`PendingDb.whole`), whatever is deferred after. */
  state(): PendingState {
    return { base: this.base, waiting: this.waiting, count: this.waiting.length };
  }

  /** A copy that goes its own way from here. */
  clone(): PendingDb {
    const c = new PendingDb(this.base);
    c.defer(this.waiting);
    return c;
  }

  static whole(s: PendingState): ClusterDb {
    return s.count ? applyRecordPatches(s.base, s.waiting.slice(0, s.count)) : s.base;
  }
}

export interface PendingState {
  base: ClusterDb;
  waiting: readonly Patch[];
  count: number;
}

/** Whether a record's patches touch only data and meta.seq, the parts a `PendingDb` lets wait. */
export function writesDataOnly(patches: readonly Patch[]): boolean {
  return patches.every((p) => (p.path[0] === 'data' && p.path.length >= 2) || (p.path[0] === 'meta' && p.path[1] === 'seq' && p.path.length === 2));
}
