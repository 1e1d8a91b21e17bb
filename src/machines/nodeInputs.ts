/** How the node actor starts its children: each child's input, from the node's context. */
import type { CoordinatorInput } from './coordinator.js';
import type { ElectionInput } from './election.js';
import type { LivenessInput, LivenessRole } from './liveness.js';
import { positionOf } from './rules/log.js';
import type { NodeFacts } from './rules/membership.js';
import type { NodeContext } from './nodeTypes.js';

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
    formation,
    settings: formation ? c.settings.cluster : null,
    retransmitMs: c.settings.retransmitMs,
    missedHeartbeats: c.settings.missedHeartbeats,
    quorum: c.settings.quorum,
    window: 64,
    maxBatches: 4,
  };
}
