/**
 * Majorities (SPEC section 3, "Majority"). Every majority glup counts — votes, takeover
 * promises, commit acks — is counted against the newest membership in the deciding node's
 * log, and while that membership's change is uncommitted there, against the one before it
 * too. docs/protocol.md section 2 argues why that is safe.
 */
export type QuorumMode = 'majority' | 'none';

/** More than half of `total` (every node counts, qualified or not). */
export function majorityOf(total: number): number {
  return Math.floor(total / 2) + 1;
}

/** Whether `count` nodes out of `total` satisfy the quorum rule (`none`: any side does). */
export function hasMajority(count: number, total: number, mode: QuorumMode): boolean {
  if (mode === 'none') return count >= 1;
  return total === 0 ? count >= 1 : count >= majorityOf(total);
}

/** Whether the nodes in `ids` that belong to `membership` are a majority of it. */
export function isMajority(ids: Iterable<string>, membership: readonly string[], mode: QuorumMode): boolean {
  const members = new Set(membership);
  let count = 0;
  for (const id of new Set(ids)) if (members.has(id)) count++;
  return hasMajority(count, members.size, mode);
}

/**
 * A majority of the newest membership and, while its change is uncommitted (`previous` not
 * empty), of the membership before it: what a commit needs (docs/protocol.md 4.4 clause 4),
 * and so what a ballot needs (4.2 Rule 5).
 */
export function isJointMajority(ids: Iterable<string>, newest: readonly string[], previous: readonly string[], mode: QuorumMode): boolean {
  const voters = [...ids];
  return isMajority(voters, newest, mode) && (previous.length === 0 || isMajority(voters, previous, mode));
}
