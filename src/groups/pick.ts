/**
 * Choosing one member of a process group for `sendToOne` (SPEC section 7). With a key the
 * choice is rendezvous (highest random weight) hashing: every sender computes the same
 * member from the same view, the choice is stable while the view is unchanged, and when a
 * member leaves only the keys it held move (each to its own next-highest member), so
 * per-key state elsewhere stays put. Without a key the caller's counter walks the members
 * round robin in id order.
 */
import { GlupError } from '../errors.js';
import { compareIds, sortIds } from '../ids.js';
import { hashString } from '../random.js';

export function pickMember(members: readonly string[], key?: string, roundRobinCounter = 0): string {
  if (members.length === 0) throw new GlupError('NOT_MEMBER', 'cannot pick a member: the group has no members');
  if (key === undefined) {
    const sorted = sortIds(members);
    const n = sorted.length;
    const i = ((Math.floor(roundRobinCounter) % n) + n) % n;
    return sorted[i]!;
  }
  let best = members[0]!;
  let bestWeight = -1;
  for (const member of members) {
    const weight = rendezvousWeight(member, key);
    // equal weights are astronomically rare; the id order settles them the same way everywhere
    if (weight > bestWeight || (weight === bestWeight && compareIds(member, best) < 0)) {
      best = member;
      bestWeight = weight;
    }
  }
  return best;
}

/**
 * Weight of (member, key). FNV-1a alone spreads similar strings poorly, so its result goes
 * through murmur3's finalizer; the NUL separator keeps ("ab", "c") apart from ("a", "bc").
 */
export function rendezvousWeight(member: string, key: string): number {
  let h = hashString(key, hashString('\u0000', hashString(member)));
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
