/**
 * Invariant 7 (SPEC section 12, section 3 "membership changes"): two consecutive committed
 * memberships differ by at most one node. Formation aside: the first committed membership
 * (after the empty one before seq 1) may hold any of the cluster's `initialMembers`, all of
 * them at once. A pure function over the membership each committed seq left, as nodes showed
 * it (`db.nodes` after the record), so the tests feed it fabricated histories.
 */
import type { Violation } from './invariants.js';

/** The committed membership right after `seq`, as one node showed it. */
export interface MembershipObservation {
  node: string;
  seq: number;
  /** Ids in `db.nodes`, sorted. */
  members: string[];
  t: number;
}

export function checkMembershipSteps(observed: readonly MembershipObservation[], initialMembers: readonly string[]): Violation[] {
  const out: Violation[] = [];
  // one membership per seq; nodes disagreeing on a seq is invariant 2's business
  const atSeq = new Map<number, MembershipObservation>();
  for (const o of observed) if (!atSeq.has(o.seq)) atSeq.set(o.seq, o);
  const initial = new Set(initialMembers);
  for (const o of [...atSeq.values()].sort((a, b) => a.seq - b.seq)) {
    const prev = o.seq === 1 ? { members: [] as string[] } : atSeq.get(o.seq - 1);
    // a seq no node committed one by one (every node installed a snapshot over it) cannot be compared
    if (!prev) continue;
    const before = new Set(prev.members);
    const after = new Set(o.members);
    const added = o.members.filter((id) => !before.has(id));
    const removed = prev.members.filter((id) => !after.has(id));
    if (added.length + removed.length <= 1) continue;
    if (before.size === 0) {
      const strangers = added.filter((id) => !initial.has(id));
      if (strangers.length && added.length > 1) {
        out.push({ invariant: 'membership-one-at-a-time', detail: `seq ${o.seq} formed the cluster with ${strangers.join(', ')}, not in initialMembers [${initialMembers.join(', ')}]`, t: o.t });
      }
      continue;
    }
    const change = [...added.map((id) => `+${id}`), ...removed.map((id) => `-${id}`)].join(' ');
    out.push({
      invariant: 'membership-one-at-a-time',
      detail: `seq ${o.seq} changed the membership by ${added.length + removed.length} nodes (${change}): [${prev.members.join(', ')}] → [${o.members.join(', ')}] (seen on ${o.node})`,
      t: o.t,
    });
  }
  return out;
}
