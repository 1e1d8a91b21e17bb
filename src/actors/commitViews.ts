/**
 * The database right after each record of a replica's last commit (per-record views:
 * membership events, process-group views, the simulator). A data record's writes wait in the
 * committed database (src/db/pendingDb.ts), so its view is made only when asked for, from
 * the nearest one made; a record that changed members, roles or groups brings its own.
 */
import { applyRecordPatches } from '../db/ops.js';
import { PendingDb, type PendingState } from '../db/pendingDb.js';
import type { ClusterDb, UpdateRecord } from '../db/types.js';

export class CommitViews {
  private before: PendingState | null = null;
  private records: readonly UpdateRecord[] = [];
  private readonly made = new Map<number, ClusterDb>();

  /** A new commit of `records` on top of the committed database `before`. */
  begin(before: PendingState, records: readonly UpdateRecord[]): void {
    this.before = before;
    this.records = records;
    this.made.clear();
  }

  /** The database right after `seq`, already made. */
  add(seq: number, db: ClusterDb): void {
    this.made.set(seq, db);
  }

  clear(): void {
    this.before = null;
    this.records = [];
    this.made.clear();
  }

  /** The database right after `seq`, a record of the last commit; undefined for any other seq. */
  at(seq: number): ClusterDb | undefined {
    const done = this.made.get(seq);
    if (done) return done;
    const first = this.records[0]?.seq;
    if (!this.before || first === undefined || seq < first || seq >= first + this.records.length) return undefined;
    let from = seq - 1;
    while (from >= first && !this.made.has(from)) from--;
    const base = from < first ? PendingDb.whole(this.before) : this.made.get(from)!;
    const db = applyRecordPatches(base, this.records.slice(from + 1 - first, seq + 1 - first).flatMap((r) => r.patches));
    this.made.set(seq, db);
    return db;
  }
}
