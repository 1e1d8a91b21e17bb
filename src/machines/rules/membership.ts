/**
 * Membership changes (SPEC section 3, revised 2026-11-29; docs/protocol.md 4.5): one node
 * per committed update, started only after an update of the manager's own epoch committed
 * and while no earlier change is uncommitted.
 */
export interface MembershipDiff {
  added: string[];
  removed: string[];
}

export function membershipDiff(before: readonly string[], after: readonly string[]): MembershipDiff {
  const b = new Set(before);
  const a = new Set(after);
  return { added: [...a].filter((id) => !b.has(id)), removed: [...b].filter((id) => !a.has(id)) };
}

/** At most one node added or removed. */
export function isSingleChange(before: readonly string[], after: readonly string[]): boolean {
  const d = membershipDiff(before, after);
  return d.added.length + d.removed.length <= 1;
}

export interface ChangeGate {
  /** A record of the manager's own epoch has committed. */
  ownEpochCommitted: boolean;
  /** Seq of the newest membership change in the manager's log (0: none). */
  lastChangeSeq: number;
  commitSeq: number;
}

/** Whether the manager may append a membership change now. */
export function mayChangeMembership(g: ChangeGate): boolean {
  return g.ownEpochCommitted && g.lastChangeSeq <= g.commitSeq;
}

export interface MemberFacts {
  qualified: boolean;
  priority: number;
  incarnation: number;
}

export interface NodeFacts extends MemberFacts {
  id: string;
}

/** The membership part of an op: who it would add and remove (a refresh of a member is neither). */
export function membershipEffect(
  op: unknown,
  members: Readonly<Record<string, MemberFacts>>,
): { added: NodeFacts[]; removed: string[]; refreshed: NodeFacts[] } {
  const out = { added: [] as NodeFacts[], removed: [] as string[], refreshed: [] as NodeFacts[] };
  if (!op || typeof op !== 'object' || !('membership' in op)) return out;
  const m = (op as { membership: { add?: NodeFacts[]; remove?: { id: string }[] } }).membership;
  for (const r of m.remove ?? []) if (members[r.id]) out.removed.push(r.id);
  for (const a of m.add ?? []) (members[a.id] && !out.removed.includes(a.id) ? out.refreshed : out.added).push(a);
  return out;
}

/** The membership after an op (facts per id). */
export function applyMembershipEffect(
  members: Readonly<Record<string, MemberFacts>>,
  effect: ReturnType<typeof membershipEffect>,
): Record<string, MemberFacts> {
  const next: Record<string, MemberFacts> = { ...members };
  for (const id of effect.removed) delete next[id];
  for (const n of [...effect.added, ...effect.refreshed]) next[n.id] = { qualified: n.qualified, priority: n.priority, incarnation: n.incarnation };
  return next;
}

/**
 * Whether the manager takes a membership op that another node submitted (null: yes, else
 * why not). Only the manager itself adds nodes, names roles or declares failures; another
 * member may only ask for one removal: its own leave, or an operator's `glup remove` of a
 * member. Anything else would let one message change several nodes at once or the roles,
 * so it is refused (docs/protocol.md, membership changes).
 */
export function refusedChange(origin: string, self: string, op: unknown, members: Readonly<Record<string, MemberFacts>>): string | null {
  if (!op || typeof op !== 'object' || !('membership' in op) || origin === self) return null;
  if (!members[origin]) return `${origin} is not a member: only members submit membership changes`;
  const m = (op as { membership: Record<string, unknown> }).membership;
  const keys = Object.keys(m);
  const remove = m.remove as { id: string; reason: string }[] | undefined;
  if (keys.length !== 1 || keys[0] !== 'remove' || !Array.isArray(remove) || remove.length !== 1) {
    return 'a member may only submit one removal (its own leave, or a removal by an operator)';
  }
  const r = remove[0]!;
  if (r.reason === 'leave' && r.id !== origin) return `${origin} cannot submit the leave of ${r.id}`;
  if (r.reason !== 'leave' && r.reason !== 'removed') return `only the manager declares ${r.id} ${r.reason}`;
  return null;
}

/**
 * Learners the manager stops bringing in (docs/protocol.md 4.5 Rule 3): those not heard — no
 * join request, no ack — for `missed` retransmission rounds. A learner asks to join every
 * retransmitMs, so a live one is heard every round; one that went away (left, crashed) must
 * not be added: an added node counts in every later majority until its removal commits,
 * and a dead one added to a small membership can leave no majority that could ever commit
 * that removal (sim seed 24: [n1] + a learner that had left = [n1, n2], with n2 gone).
 */
export function silentLearners(roundsSilent: Readonly<Record<string, number>>, learners: readonly string[], missed: number): string[] {
  return learners.filter((id) => (roundsSilent[id] ?? 0) >= missed);
}

/**
 * The membership before the newest one while the newest one's change is uncommitted in
 * this log, else none: whom the commit rule (docs/protocol.md 4.4 clause 4) and every
 * ballot (4.2 Rule 5) count besides the newest membership.
 */
export function previousWhileUncommitted(c: { lastChangeSeq: number; log: { commitSeq: number }; previousMembers: string[] }): string[] {
  return c.lastChangeSeq > c.log.commitSeq ? c.previousMembers : [];
}
