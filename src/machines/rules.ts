/**
 * The decision rules of SPEC section 3 as pure functions: who is a majority, who should be
 * backup, who wins an election. The node machine's guards and the runtime both call these,
 * so each rule exists once.
 */
import { compareIds } from '../ids.js';

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

/** More than half of `total` (every node counts, qualified or not). */
export function majorityOf(total: number): number {
  return Math.floor(total / 2) + 1;
}

export type QuorumMode = 'majority' | 'none';

/** Whether `count` nodes out of `total` satisfy the quorum rule (`none`: any side does). */
export function hasMajority(count: number, total: number, mode: QuorumMode): boolean {
  if (mode === 'none') return count >= 1;
  return total === 0 ? count >= 1 : count >= majorityOf(total);
}
