/**
 * The commit rule of GLUP (SPEC section 4; docs/protocol.md 4.4), as one pure function.
 */
import { hasMajority, majorityOf, type QuorumMode } from './majority.js';

export interface CommitFacts {
  /** The manager's own epoch, and the first seq it gave a record of that epoch. */
  epoch: number;
  ownFirstSeq: number;
  lastSeq: number;
  commitSeq: number;
  /** The newest membership in the manager's log (the manager included). */
  members: readonly string[];
  /**
   * The membership before the newest change, while that change is uncommitted: its majority
   * must hold too, so a minority of the old membership cannot commit a change that makes it
   * a majority of the new one (a manager cut off with one node removing the others).
   */
  previous: readonly string[] | null;
  /** Members declared failed: no longer waited for, but their acks still count. */
  failed: readonly string[];
  /** Highest seq each node holds matching the manager's log, durably (the manager: its own store). */
  match: Readonly<Record<string, number>>;
  quorum: QuorumMode;
}

/**
 * The highest seq that may commit: every member not declared failed holds it, the holders
 * are a majority of the newest membership, and it is a record of the manager's own epoch
 * (records of earlier epochs commit only with one of its own above them, Raft §5.4.2).
 * Returns `commitSeq` when nothing new may commit.
 */
export function commitPoint(f: CommitFacts): number {
  const failed = new Set(f.failed);
  let allHold = f.lastSeq;
  const held: number[] = [];
  for (const m of new Set(f.members)) {
    const seq = Math.min(f.match[m] ?? 0, f.lastSeq);
    held.push(seq);
    if (!failed.has(m)) allHold = Math.min(allHold, seq);
  }
  held.sort((a, b) => b - a);
  const needed = f.quorum === 'none' ? 1 : majorityOf(held.length);
  const majorityHolds = held.length === 0 ? 0 : (held[Math.min(needed, held.length) - 1] ?? 0);
  let point = Math.min(allHold, majorityHolds);
  if (f.previous?.length) {
    const before = [...new Set(f.previous)].map((m) => Math.min(f.match[m] ?? 0, f.lastSeq)).sort((a, b) => b - a);
    const need = f.quorum === 'none' ? 1 : majorityOf(before.length);
    point = Math.min(point, before[Math.min(need, before.length) - 1] ?? 0);
  }
  if (!hasMajority(held.filter((s) => s >= point).length, held.length, f.quorum)) return f.commitSeq;
  if (point <= f.commitSeq || point < f.ownFirstSeq) return f.commitSeq;
  return point;
}

/**
 * Who hears that the commit point moved from `before` to `after`: the members of the newest
 * membership, and — when this advance commits a membership change — the nodes that change
 * removed. A removed node that is alive (declared failed during a partition, say) acked the
 * change but is no member any more, so no later message reaches it: without this notice it
 * only finds out once its liveness counts the manager lost, and rejoins M intervals and an
 * election round later (sim seed 14016). With it, it commits its own removal and rejoins
 * at once; a leaving node stops.
 */
export function commitNoticeTargets(n: { self: string; members: readonly string[]; previous: readonly string[]; lastChangeSeq: number; before: number; after: number }): string[] {
  const committedChange = n.lastChangeSeq > n.before && n.lastChangeSeq <= n.after;
  const to = new Set(n.members);
  if (committedChange) for (const id of n.previous) to.add(id);
  to.delete(n.self);
  return [...to];
}
