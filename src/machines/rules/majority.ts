/**
 * Majorities (SPEC section 3, "Majority"). Every majority glup counts — votes, takeover
 * promises, commit acks, the quorum a manager hears — is counted against one membership:
 * the newest in the deciding node's log. docs/protocol.md section 2 argues why that is safe.
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
