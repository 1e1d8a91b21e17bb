/** How the node actor starts its children: each child's input, from the node's context. */
import type { CoordinatorInput } from './coordinator.js';
import type { ElectionInput } from './election.js';
import type { LivenessInput, LivenessRole } from './liveness.js';
import { positionOf } from './rules/log.js';
import { previousWhileUncommitted, type NodeFacts } from './rules/membership.js';
import type { BallotActor, NodeContext, NodeEvent } from './nodeTypes.js';

const position = (c: NodeContext) => positionOf(c.log);

/**
 * Whom the liveness actor watches, and counts its quorum against: the last committed
 * membership (SPEC section 3, "Majority"); before the first commit, the newest in the log or
 * the one a new cluster forms.
 */
export function livenessMembersOf(c: NodeContext): string[] {
  if (c.committed.members.length) return c.committed.members;
  const newest = Object.keys(c.newest);
  if (newest.length) return newest;
  return (formationOf(c) ?? [c.self]).map((n) => n.id);
}

export function livenessInput(c: NodeContext, role: LivenessRole): LivenessInput {
  return {
    self: c.self.id,
    role,
    members: livenessMembersOf(c),
    manager: role === 'manager' ? c.self.id : (c.followed?.manager ?? c.committed.manager),
    backup: c.committed.backup,
    heartbeatMs: c.settings.heartbeatMs,
    missedHeartbeats: c.settings.missedHeartbeats,
    quorum: c.settings.quorum,
  };
}

export function electionInput(c: NodeContext): ElectionInput {
  const members: ElectionInput['members'] = {};
  for (const [id, m] of Object.entries(c.newest)) members[id] = { priority: m.priority, qualified: m.qualified };
  return {
    self: { id: c.self.id, priority: c.self.priority, qualified: c.self.qualified },
    epoch: c.epoch,
    position: positionOf(c.log),
    members,
    previous: previousWhileUncommitted(c),
    ...(c.settings.initialMembers ? { initialMembers: c.settings.initialMembers } : {}),
    heard: c.heard,
    now: c.now,
    heartbeatMs: c.settings.heartbeatMs,
    discoveryMs: c.settings.discoveryMs,
    quorum: c.settings.quorum,
  };
}

/**
 * A new cluster's first record (SPEC section 3, membership changes): initialMembers when
 * given — those not heard recorded unqualified until they join — else this node alone.
 */
export function formationOf(c: NodeContext): NodeFacts[] | null {
  if (Object.keys(c.newest).length > 0) return null;
  const ids = c.settings.initialMembers?.length ? c.settings.initialMembers : [c.self.id];
  return ids.map((id) => {
    if (id === c.self.id) return c.self;
    const p = c.heard[id];
    return p ? { id, qualified: p.qualified, priority: p.priority, incarnation: p.incarnation ?? 0 } : { id, qualified: false, priority: 0, incarnation: 0 };
  });
}

export function coordinatorInput(c: NodeContext, formation: NodeFacts[] | null): CoordinatorInput {
  return {
    self: c.self.id,
    epoch: c.leadership!.epoch,
    log: c.log,
    members: c.newest,
    backup: c.committed.backup,
    lastChangeSeq: c.lastChangeSeq,
    previousMembers: c.previousMembers,
    live: c.leadership!.live,
    lost: c.leadership!.lost,
    formation,
    settings: formation ? c.settings.cluster : null,
    retransmitMs: c.settings.retransmitMs,
    missedHeartbeats: c.settings.missedHeartbeats,
    quorum: c.settings.quorum,
    window: 64,
    maxBatches: 4,
  };
}

export function livenessMembers(c: NodeContext) {
  return {
    members: livenessMembersOf(c),
    manager: c.leadership ? c.self.id : (c.followed?.manager ?? c.committed.manager),
    backup: c.committed.backup,
  };
}

export function ballotAnswer(e: NodeEvent, granted: boolean) {
  const r = e as Extract<NodeEvent, { type: 'PREVOTE_REQUEST' | 'VOTE_REQUEST' }>;
  return { to: r.from, term: r.term, prevote: r.type === 'PREVOTE_REQUEST', granted };
}

export function askAnswer(e: NodeEvent, lost: boolean) {
  const r = e as Extract<NodeEvent, { type: 'CONFIRM_ASK' }>;
  return { to: r.from, term: r.term, lost };
}

/** What the `promise` effect records and whom it tells; `stand` is the node's promise to itself, told to its ballot. */
export type PromiseParams = { to: string; epoch: number; kind: 'vote' | 'confirm' } | { to: string; epoch: number; kind: 'stand'; ballot: BallotActor };

export function handoverPromise(e: NodeEvent): PromiseParams {
  const n = e as Extract<NodeEvent, { type: 'HANDOVER_NOTICE' }>;
  return { to: n.to, epoch: n.epoch, kind: 'confirm' as const };
}

export function standPromise(c: NodeContext, e: NodeEvent): PromiseParams {
  const s = e as Extract<NodeEvent, { type: 'STAND' }>;
  return { to: c.self.id, epoch: s.term, kind: 'stand', ballot: s.ballot };
}

export function standRefusal(e: NodeEvent): { ballot: BallotActor; term: number } {
  const s = e as Extract<NodeEvent, { type: 'STAND' }>;
  return { ballot: s.ballot, term: s.term };
}

export function takeoverInputOf(c: NodeContext, kind: 'takeover' | 'handover') {
  const term = kind === 'handover' ? c.handover!.epoch : c.epoch + 1;
  const grants = kind === 'handover' ? [c.handover!.from, ...c.earlyGrants.filter((g) => g.term === term).map((g) => g.from)] : [];
  return {
    self: c.self.id,
    kind,
    term,
    members: Object.keys(c.newest),
    previous: previousWhileUncommitted(c),
    // the manager being replaced is asked like any member but never named backup (a switched-over one may be)
    manager: kind === 'takeover' ? (c.followed?.manager ?? c.committed.manager) : c.handover!.leaving ? c.handover!.from : null,
    position: position(c),
    grants,
    heartbeatMs: c.settings.heartbeatMs,
    retransmitMs: c.settings.retransmitMs,
    missedHeartbeats: c.settings.missedHeartbeats,
    quorum: c.settings.quorum,
  };
}
