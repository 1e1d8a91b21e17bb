/**
 * When invariant 4 may demand a settled cluster (docs/simulation.md, "When a settle is
 * owed"). The sim's faults may leave a cluster that no safe rule can give a manager: the
 * last qualified member left gracefully, or so many members left that the live ones are no
 * majority of the membership. Electing there would need a majority the cluster no longer
 * has (docs/protocol.md 4.2), so the settle is owed only when
 *   - a majority of the newest committed membership is live (every node is restarted and the
 *     network healed before the settle: live means not stopped for good),
 *   - at least one of those live members is qualified, and
 *   - some live, qualified node could win a ballot: the live nodes that would grant it their
 *     promise (docs/protocol.md 4.2) are a majority of the newest membership in its own log,
 *     and of the one before it while that change is uncommitted there (4.2 Rule 5).
 *     An uncommitted change whose new majority is gone strands the others (seed 100321).
 * Otherwise invariant 4 is not owed and the run is reported as such, never as a pass of the
 * settle; everything else (safety, invariants 1–3 and 5–8) is checked as always.
 */
import { isAtLeastAsUpToDate, type LogPosition } from '../machines/rules/log.js';
import { hasMajority, isJointMajority } from '../machines/rules/majority.js';

export interface SettleNodeView {
  id: string;
  /** Not stopped for good (a graceful leave, or a node the run never restarted). */
  live: boolean;
  /** The seq of the node's committed database (also while it is not a member). */
  committedSeq: number;
  /** The node's committed membership, with each member's qualification. */
  nodes: Readonly<Record<string, { qualified: boolean }>>;
  /** Whether the node may lead (its own setting). */
  qualified: boolean;
  /** Its log's position, committed or not: what its ballots compare. */
  position: LogPosition;
  /** The newest membership in its log, committed or not (empty before formation). */
  newest: readonly string[];
  /** The membership before the newest while the newest one's change is uncommitted in its log, else empty. */
  previous: readonly string[];
}

export type SettleDue = { owed: true } | { owed: false; reason: string };

/**
 * Whether the cluster owes a settled manager. The newest committed membership is the one of
 * the highest committed seq any node reached, stopped nodes included (what was committed is
 * the cluster's, whoever still shows it); before any commit a settle is always owed.
 */
export function settleOwed(nodes: readonly SettleNodeView[]): SettleDue {
  let found: SettleNodeView | null = null;
  for (const n of nodes) if (Object.keys(n.nodes).length && (!found || n.committedSeq > found.committedSeq)) found = n;
  if (!found) return { owed: true };
  const newest = found;
  const members = Object.keys(newest.nodes);
  const liveNodes = nodes.filter((n) => n.live);
  const live = new Set(liveNodes.map((n) => n.id));
  const liveMembers = members.filter((id) => live.has(id));
  const membership = `[${members.join(', ')}] (committed at seq ${newest.committedSeq}, seen on ${newest.id})`;
  if (!hasMajority(liveMembers.length, members.length, 'majority')) {
    return { owed: false, reason: `only ${liveMembers.length} of ${members.length} members of ${membership} are live: no majority` };
  }
  if (!liveMembers.some((id) => newest.nodes[id]!.qualified)) {
    return { owed: false, reason: `no live member of ${membership} is qualified (live: ${liveMembers.join(', ')})` };
  }
  if (!liveNodes.some((n) => mayWinBallot(n, liveNodes))) {
    const logs = liveNodes.map((n) => `${n.id} [${n.newest.join(', ')}] at ${n.position.lastEpoch}/${n.position.lastSeq}`).join('; ');
    return { owed: false, reason: `no live, qualified node can win a ballot: a majority of the newest membership in its log would not grant it (${logs})` };
  }
  return { owed: true };
}

/**
 * Whether `candidate` could gather a majority of the newest membership in its log from the
 * live nodes (and of the one before it while its change is uncommitted there: 4.2 Rule 5),
 * as far as safety allows (docs/protocol.md 4.2): a voter's promise needs the
 * candidate's log to be at least as up to date as its own, and the candidate's own promise
 * counts when it is in its newest membership. The pre-vote's further conditions (the voter
 * lost its manager, knows the candidate as a member) are the protocol's to meet: a run they
 * block is still owed a settle. A candidate with an empty log can win only a formation
 * ballot, while no live node's log holds anything (any record is more up to date).
 */
export function mayWinBallot(candidate: SettleNodeView, live: readonly SettleNodeView[]): boolean {
  if (!candidate.qualified) return false;
  // an empty log stands in a formation ballot; a voter whose log holds anything refuses it
  if (candidate.newest.length === 0) return live.every((v) => v.newest.length === 0);
  const grants = live.filter((v) => v.id === candidate.id || isAtLeastAsUpToDate(candidate.position, v.position)).map((v) => v.id);
  return isJointMajority(grants, candidate.newest, candidate.previous, 'majority');
}
