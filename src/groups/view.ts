/** Process-group views as applications see them (SPEC section 7), derived from the cluster database. */
import { sortIds } from '../ids.js';
import type { GroupView } from './types.js';
import type { ClusterDb } from '../db/types.js';

/** Members that joined and left between two views, each in id order. */
export function diffViews(prev: readonly string[], next: readonly string[]): { joined: string[]; left: string[] } {
  const before = new Set(prev);
  const after = new Set(next);
  return {
    joined: sortIds(next.filter((m) => !before.has(m))),
    left: sortIds(prev.filter((m) => !after.has(m))),
  };
}

/** The committed members of `group`, in id order (none when the group has no row). */
export function groupMembers(db: ClusterDb, group: string): string[] {
  return sortIds(Object.keys(db.groups[group]?.members ?? {}));
}

/**
 * The view of `group` in `db`, with joined/left relative to `prev` (everyone joined when
 * there is no previous view). `view` is the seq of the change that produced it; a group
 * whose last member left has no row any more, so its view is the db's seq, which is the
 * seq of that change when called on the commit that made it.
 */
export function groupViewFromDb(db: ClusterDb, group: string, prev?: Pick<GroupView, 'members'>): GroupView {
  const row = db.groups[group];
  const members = groupMembers(db, group);
  const { joined, left } = diffViews(prev?.members ?? [], members);
  return { group, view: row ? row.view : db.meta.seq, members, joined, left };
}
