/**
 * Ground truth for process-group views (SPEC 7): the sequence of views of a group, read
 * off a committed log by replaying its patches or off a committed database, and a recorder
 * of the views each local member was told about, to compare against it. glup sim's
 * invariant 5 (src/sim/invariantGroups.ts) and the process-group tests share them.
 */
import { applyRecordPatches } from '../db/ops.js';
import { emptyDb, type ClusterDb, type UpdateRecord } from '../db/types.js';
import { groupMembers } from '../groups/view.js';
import type { GroupView } from '../actors/types.js';

export interface ViewEntry {
  view: number;
  members: string[];
}

/**
 * Every view `group` went through in `records` (a committed log from seq 1): one entry per
 * seq that changed its member set, `view` being that seq.
 */
export function viewHistory(records: readonly UpdateRecord[], cluster: string, group: string): ViewEntry[] {
  let db = emptyDb(cluster);
  let members: string[] = [];
  const history: ViewEntry[] = [];
  for (const r of records) {
    db = applyRecordPatches(db, r.patches);
    const next = groupMembers(db, group);
    if (next.join('\n') !== members.join('\n')) history.push({ view: r.seq, members: next });
    members = next;
  }
  return history;
}

/** Every group's current view in a committed database: `view` is the seq of the change that made it. */
export function groupViewsOf(db: ClusterDb): { group: string; view: number; members: string[] }[] {
  return Object.keys(db.groups)
    .sort()
    .map((group) => ({ group, view: db.groups[group]!.view, members: groupMembers(db, group) }));
}

/** The views one member's `onView` received, as plain entries. */
export function viewRecorder(): { views: ViewEntry[]; onView: (v: GroupView) => void } {
  const views: ViewEntry[] = [];
  return { views, onView: (v) => views.push({ view: v.view, members: [...v.members] }) };
}

/**
 * Why `seen` does not match `truth` (null when it does). Every announced view must be one
 * the log defines, with the same members, in increasing order, none before `from` (the
 * member's join). With `contiguous`, it must also be one unbroken stretch starting at
 * `from`: every view from the join on, none skipped (SPEC 7: "every node sees the same
 * sequence of views").
 */
export function viewSliceMismatch(seen: readonly ViewEntry[], truth: readonly ViewEntry[], from: number, opts: { contiguous: boolean }): string | null {
  const start = truth.findIndex((v) => v.view === from);
  if (start < 0) return `view ${from} is not in the log's history`;
  let at = start;
  for (let i = 0; i < seen.length; i++) {
    const got = seen[i]!;
    const index = opts.contiguous ? start + i : truth.findIndex((v) => v.view === got.view);
    const want = truth[index];
    if (!want) return `announcement ${i}: view ${got.view} is not one the log defines after view ${from}`;
    if (index < at || (i > 0 && index === at)) return `announcement ${i}: view ${got.view} out of order`;
    at = index;
    if (want.view !== got.view || want.members.join(',') !== got.members.join(',')) {
      return `announcement ${i}: got view ${got.view} [${got.members}], the log says view ${want.view} [${want.members}]`;
    }
  }
  return null;
}
