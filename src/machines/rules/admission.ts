/**
 * The one epoch authority (SPEC section 3; docs/protocol.md section 3): what a node does with
 * a message that passed the bus's checks, decided from who sent it, its epoch and what the
 * node knows. Pure, so the edge (src/actors/edge.ts) is one call of this function.
 */
import type { QuorumMode } from './majority.js';

export interface AdmissionView {
  self: string;
  epoch: number;
  /** The newest membership in this node's log: id → qualified. Empty before formation. */
  members: Readonly<Record<string, { qualified: boolean }>>;
  /** The cluster's initialMembers, for a cluster that has not formed yet. */
  initialMembers?: readonly string[];
  /** Whether this node is a member that follows or is a manager (false: discovering, electing, isolated, removed). */
  member: boolean;
  /** The manager a non-member chose to join: it may raise this node's epoch. */
  joining: string | null;
  quorum: QuorumMode;
}

export interface MessageFacts {
  type: string;
  from: string;
  epoch: number;
  /** Sent in a role only a qualified node holds: manager, backup or candidate. */
  leaderRole: boolean;
  /** A manager's message, dropped when older than the receiver's epoch (fencing). */
  fenceable: boolean;
  /** A vote or promise granted to the receiver: it obliges the sender, not the receiver. */
  grant?: boolean;
}

export type Admission =
  | { verdict: 'deliver' }
  /** Record the epoch durably, then deliver. */
  | { verdict: 'raise'; epoch: number }
  | { verdict: 'fenced' }
  | { verdict: 'invalid'; reason: string }
  /** This node's own message coming back (a multicast it also receives). */
  | { verdict: 'own' };

export function admit(view: AdmissionView, msg: MessageFacts): Admission {
  if (msg.from === view.self) return { verdict: 'own' };
  const formed = Object.keys(view.members).length > 0;
  const known = view.members[msg.from];
  const inMembership = formed ? known !== undefined : !view.initialMembers?.length || view.initialMembers.includes(msg.from);
  if (msg.leaderRole && known && !known.qualified) {
    return { verdict: 'invalid', reason: `${msg.type} from ${msg.from}, which is not qualified to lead` };
  }
  const followed = !view.member && msg.from === view.joining;
  if (msg.leaderRole && formed && !known && view.member && view.quorum === 'majority') {
    return { verdict: 'invalid', reason: `${msg.type} from ${msg.from}, which is not a member` };
  }
  if (msg.epoch > view.epoch) {
    // a promise made to this node raises nothing here: its own ballot raises its epoch if it runs one
    if (msg.grant && inMembership) return { verdict: 'deliver' };
    if (inMembership || followed) return { verdict: 'raise', epoch: msg.epoch };
    // a node looking for its cluster may hear of a manager it could join: a hint, raising nothing
    if ((!view.member || view.quorum === 'none') && msg.leaderRole && (msg.type === 'announce' || msg.type === 'heartbeat')) return { verdict: 'deliver' };
    return { verdict: 'invalid', reason: `epoch ${msg.epoch} on ${msg.type} from ${msg.from}, which may not raise this node's epoch ${view.epoch}` };
  }
  if (msg.epoch < view.epoch && msg.fenceable) return { verdict: 'fenced' };
  return { verdict: 'deliver' };
}

/**
 * quorum none: when two managers meet, the one with the higher epoch stays; ties go to the
 * smaller id (SPEC section 3).
 */
export function outranks(a: { epoch: number; id: string }, b: { epoch: number; id: string }, compareIds: (x: string, y: string) => number): boolean {
  if (a.epoch !== b.epoch) return a.epoch > b.epoch;
  return compareIds(a.id, b.id) < 0;
}
