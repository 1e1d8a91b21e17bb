/**
 * Granting votes and takeover promises (docs/protocol.md 4.2, 4.3). A vote, a takeover
 * confirm and a handover grant are one thing: a promise of an epoch to one node. A node
 * promises each epoch at most once, and only to a node whose log is at least as up to date
 * as its own; asking (pre-vote, the takeover's "did you lose the manager?") promises nothing.
 */
import type { Candidate } from './candidates.js';
import { isAtLeastAsUpToDate, type LogPosition } from './log.js';

/** Whom this node promised its current epoch to: nobody yet, a node, or unknown (it restarted). */
export type PromisedTo = null | string | { unknown: true };

export interface VoterState {
  epoch: number;
  promisedTo: PromisedTo;
  position: LogPosition;
}

export interface BallotRequest {
  term: number;
  candidate: string;
  position: LogPosition;
}

/** Whether this node may promise `term` to the candidate (One promise + up-to-date log). */
export function mayGrant(v: VoterState, r: BallotRequest): boolean {
  if (r.term < v.epoch) return false;
  if (r.term === v.epoch && v.promisedTo !== null && v.promisedTo !== r.candidate) return false;
  return isAtLeastAsUpToDate(r.position, v.position);
}

/**
 * Whether a node still holds its promise of `term` to itself: a ballot it won for `term`
 * counts only then. Once it promised a higher epoch to another node, leading `term` would
 * append records of `term` after that promise (docs/protocol.md 2, One promise).
 */
export function holdsOwnPromise(v: Pick<VoterState, 'epoch' | 'promisedTo'>, self: string, term: number): boolean {
  return v.epoch === term && v.promisedTo === self;
}

/** The promise state after granting `term` to `candidate`. */
export function promised(term: number, candidate: string): { epoch: number; promisedTo: string } {
  return { epoch: term, promisedTo: candidate };
}

export interface PreVoterState {
  epoch: number;
  /** This node has no live manager (lost for M − 1 intervals, or never found one). */
  managerLost: boolean;
  /** The newest membership in this node's log (empty before formation: anyone may stand). */
  members: readonly string[];
}

/**
 * A pre-vote (Raft thesis §9.6): would this node vote for the candidate if it stood now?
 * Only when it lost its manager too, the term is new to it, and the candidate is a qualified
 * member of its newest membership (a removed node's candidacy could never be counted).
 * Who stands first is the candidates' part: the best known stands at once, the others later.
 */
export function mayPreGrant(v: PreVoterState, r: { term: number; candidate: Candidate }): boolean {
  if (!r.candidate.qualified || r.term <= v.epoch || !v.managerLost) return false;
  return v.members.length === 0 || v.members.includes(r.candidate.id);
}

export interface LostAnswerState {
  self: string;
  epoch: number;
  isManager: boolean;
  /** The backup named by this node's committed database. */
  committedBackup: string | null;
  /** Heartbeat intervals since this node last heard its manager. */
  managerMissed: number;
  missedHeartbeats: number;
}

/** The takeover's first question: has this node lost the manager too (SPEC section 3)? */
export function confirmsManagerLost(v: LostAnswerState, ask: { from: string; term: number }): boolean {
  return !v.isManager && ask.from === v.committedBackup && ask.term > v.epoch && v.managerMissed >= v.missedHeartbeats - 1;
}
