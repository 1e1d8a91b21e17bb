/**
 * Who should lead and who should stand by (SPEC section 3): the qualified node with the
 * highest priority, ties broken by the smallest id in natural order (`n2 < n10`).
 */
import { compareIds } from '../../ids.js';

export interface Candidate {
  id: string;
  priority: number;
  qualified: boolean;
}

/** Highest priority first, ties by the smallest id in natural order. */
export function compareCandidates(a: Candidate, b: Candidate): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return compareIds(a.id, b.id);
}

/** The best qualified candidate, or null when none is qualified. */
export function bestCandidate(cands: Iterable<Candidate>, exclude: ReadonlySet<string> = new Set()): Candidate | null {
  let best: Candidate | null = null;
  for (const c of cands) {
    if (!c.qualified || exclude.has(c.id)) continue;
    if (!best || compareCandidates(c, best) < 0) best = c;
  }
  return best;
}

/** Backup choice: the best qualified member other than the manager. */
export function chooseBackup(members: Iterable<Candidate>, manager: string): string | null {
  return bestCandidate(members, new Set([manager]))?.id ?? null;
}

/**
 * How many qualified candidates rank above `self` (0: it is the best it knows). A node
 * waits this many steps before it stands, so the best live node stands first.
 */
export function rankOf(self: Candidate, others: Iterable<Candidate>): number {
  let rank = 0;
  for (const c of others) if (c.id !== self.id && c.qualified && compareCandidates(c, self) < 0) rank++;
  return rank;
}
