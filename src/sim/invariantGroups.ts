/**
 * Invariant 5 (SPEC section 12): process group views change in the same order on every
 * member, and a failed node's members are gone from every view. Pure functions over what
 * the nodes were seen to commit and what their local members were told (`onView`), so the
 * tests feed them fabricated histories.
 */
import type { Violation } from './invariants.js';

/** A group's view as one node's committed database showed it after a commit. */
export interface GroupViewObservation {
  node: string;
  incarnation: number;
  /** The commit after which the node's database showed this view. */
  seq: number;
  group: string;
  /** Seq of the change that produced the view (the group row's `view`). */
  view: number;
  members: string[];
  t: number;
}

/** A view a local member was told of through `onView`. */
export interface ViewAnnouncement {
  node: string;
  incarnation: number;
  member: string;
  group: string;
  view: number;
  members: string[];
  t: number;
}

/** A committed record that removed nodes, and the group members of theirs still listed right after it. */
export interface RemovalObservation {
  node: string;
  seq: number;
  removed: string[];
  /** Member ids `<process>@<removed node>` still in some group after the removal, as `group:member`. */
  leftovers: string[];
  t: number;
}

/** What a node showed once the run had settled. */
export interface FinalGroupsObservation {
  id: string;
  /** Ids in its committed membership. */
  members: string[];
  /** Every group member id it lists, as `group:member`. */
  groupMembers: string[];
}

const fail = (detail: string, t?: number): Violation => ({ invariant: 'group-views', detail, ...(t !== undefined ? { t } : {}) });

/**
 * Views agree and every member hears them in order, none skipped:
 * - one member list per (group, view) across all nodes and announcements;
 * - each member's announced views increase;
 * - between two views announced to a member, no view of its group was committed on its node
 *   without being announced (a node that installed a snapshot over those seqs is excused:
 *   it never committed them one by one).
 */
export function checkGroupViews(committed: readonly GroupViewObservation[], announced: readonly ViewAnnouncement[]): Violation[] {
  const out: Violation[] = [];
  const truth = new Map<string, GroupViewObservation>();
  for (const c of committed) {
    const key = `${c.group}@${c.view}`;
    const ref = truth.get(key);
    if (!ref) truth.set(key, c);
    else if (ref.members.join(',') !== c.members.join(',')) {
      out.push(fail(`group ${c.group} view ${c.view}: ${ref.node} committed [${ref.members}], ${c.node} committed [${c.members}]`, c.t));
    }
  }
  // views each node incarnation committed, by group, to tell a skipped view from a snapshot jump
  const seenOn = new Map<string, Set<number>>();
  for (const c of committed) {
    const key = `${c.node}#${c.incarnation}/${c.group}`;
    let s = seenOn.get(key);
    if (!s) seenOn.set(key, (s = new Set()));
    s.add(c.view);
  }
  const byMember = new Map<string, ViewAnnouncement[]>();
  for (const a of announced) {
    const ref = truth.get(`${a.group}@${a.view}`);
    if (ref && ref.members.join(',') !== a.members.join(',')) {
      out.push(fail(`${a.member} was told group ${a.group} view ${a.view} is [${a.members}], ${ref.node} committed [${ref.members}]`, a.t));
    }
    const key = `${a.node}#${a.incarnation}/${a.group}/${a.member}`;
    let l = byMember.get(key);
    if (!l) byMember.set(key, (l = []));
    l.push(a);
  }
  for (const list of byMember.values()) {
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      const a = list[i]!;
      if (a.view <= prev.view) {
        out.push(fail(`${a.member} on ${a.node} was told group ${a.group} view ${a.view} after view ${prev.view}`, a.t));
        continue;
      }
      const committedHere = seenOn.get(`${a.node}#${a.incarnation}/${a.group}`) ?? new Set<number>();
      const skipped = [...committedHere].filter((v) => v > prev.view && v < a.view).sort((x, y) => x - y);
      if (skipped.length) {
        out.push(fail(`${a.member} on ${a.node} was told group ${a.group} view ${prev.view}, then ${a.view}: view ${skipped.join(', ')} committed there in between was never announced`, a.t));
      }
    }
  }
  return out;
}

/** A removed node's members leave every group in the update that removes the node, and none is left at the end. */
export function checkRemovedMembersGone(removals: readonly RemovalObservation[], final: readonly FinalGroupsObservation[]): Violation[] {
  const out: Violation[] = [];
  const reported = new Set<number>();
  for (const r of removals) {
    if (!r.leftovers.length || reported.has(r.seq)) continue;
    reported.add(r.seq);
    out.push(fail(`seq ${r.seq} removed ${r.removed.join(', ')}, but ${r.node}'s groups still list ${r.leftovers.join(', ')} after it`, r.t));
  }
  for (const f of final) {
    const members = new Set(f.members);
    const stale = f.groupMembers.filter((gm) => !members.has(gm.slice(gm.lastIndexOf('@') + 1)));
    if (stale.length) out.push(fail(`${f.id} ends with group members of nodes outside its membership: ${stale.join(', ')}`));
  }
  return out;
}
