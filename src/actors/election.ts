/**
 * The election state of one node (SPEC section 3, "electing"): who takes part in this round,
 * the term, the votes, and the rules that decide who may stand and who has won. It holds
 * data and decisions only; the runtime sends and receives the messages.
 */
import type { NodeInfo } from '../db/types.js';
import { bestCandidate, hasMajority, type QuorumMode } from '../machines/rules.js';
import type { LogPosition, VoteBody } from './messages.js';

export interface Participant extends LogPosition {
  info: NodeInfo;
  heardAt: number;
}

/** What the election needs to know of its node. */
export interface ElectionHost {
  readonly id: string;
  readonly quorum: QuorumMode;
  readonly initialMembers?: string[];
  /** How long a participant counts after it was last heard. */
  readonly windowMs: number;
  now(): number;
  /** This node as a participant (its info and log position, heard now). */
  self(): Participant;
  /** Highest epoch of a manager this node has seen. */
  highestEpoch(): number;
  /** Highest epoch this node voted in or led, as its store remembers it. */
  persistedEpoch(): number;
  /** The membership in this node's log as of its last record (committed or not). */
  logMembers(): string[];
  committedSeq(): number;
  committedMembers(): string[];
}

export class Election {
  private readonly participants = new Map<string, Participant>();
  /** When this node last stopped being a member (or started): a round counts from here. */
  private roundStart = -Infinity;
  /** Highest manager epoch any participant has seen (from their envelopes). */
  private participantEpoch = 0;
  /** Highest epoch any participant saw, voted in or led. */
  private participantFloor = 0;
  term = 0;
  private seenTerm = 0;
  votedTerm = 0;
  /** Votes for this node by term: a vote may arrive before this node's own discovery ends. */
  private readonly votesByTerm = new Map<number, Map<string, VoteBody>>();

  constructor(private readonly host: ElectionHost) {}

  /** A new round: what a node heard while it was a member says nothing of now. */
  newRound(): void {
    this.roundStart = this.host.now();
    this.participants.clear();
  }

  knows(id: string): boolean {
    return this.participants.has(id);
  }

  note(info: NodeInfo, pos: LogPosition, envelopeEpoch = 0): void {
    if (envelopeEpoch > this.participantEpoch) this.participantEpoch = envelopeEpoch;
    if ((pos.epochFloor ?? 0) > this.participantFloor) this.participantFloor = pos.epochFloor!;
    this.participants.set(info.id, { info, ...pos, heardAt: this.host.now() });
  }

  noteTerm(term: number): void {
    if (term > this.seenTerm) this.seenTerm = term;
  }

  /** This node and every node heard in this round, recently. */
  recent(): Participant[] {
    const now = this.host.now();
    const since = Math.max(this.roundStart, now - this.host.windowMs);
    const others = [...this.participants.values()].filter((p) => p.info.id !== this.host.id && p.heardAt >= since);
    return [this.host.self(), ...others];
  }

  /** Highest epoch of a manager this node or any node of the round has seen. */
  knownEpoch(): number {
    return Math.max(this.host.highestEpoch(), this.participantEpoch);
  }

  /** Below which no new term may go: every epoch seen, voted in or led by anyone taking part. */
  termFloor(): number {
    return Math.max(this.knownEpoch(), this.participantFloor, this.host.persistedEpoch());
  }

  /**
   * The membership votes are counted against (SPEC section 3, "Majority"): the last committed
   * one — the newest any node taking part holds, so that nodes behind and ahead agree on it.
   */
  base(): { total: number; counts: (id: string) => boolean } {
    let newest = { seq: this.host.committedSeq(), members: this.host.committedMembers() };
    for (const p of this.recent()) {
      if (p.members?.length && p.committedSeq > newest.seq) newest = { seq: p.committedSeq, members: p.members };
    }
    if (newest.members.length) {
      const set = new Set(newest.members);
      return { total: set.size, counts: (id) => set.has(id) };
    }
    const initial = this.host.initialMembers;
    if (initial?.length) return { total: initial.length, counts: (id) => initial.includes(id) };
    return { total: this.recent().length, counts: () => true };
  }

  /** Enough of the base membership is heard in this round to try an election. */
  majorityReachable(): boolean {
    const base = this.base();
    const n = this.recent().filter((p) => base.counts(p.info.id)).length;
    return hasMajority(n, base.total, this.host.quorum);
  }

  /** The term to stand in: above every epoch anyone taking part has seen, so none is reused. */
  nextTerm(): number {
    const floor = this.termFloor();
    const first = this.term <= floor;
    this.term = first ? Math.max(this.seenTerm, floor + 1) : Math.max(this.seenTerm, this.term + 1, floor + 1);
    for (const t of this.votesByTerm.keys()) if (t < this.term) this.votesByTerm.delete(t);
    return this.term;
  }

  adoptTerm(term: number): boolean {
    if (term <= this.term) return false;
    this.term = term;
    return true;
  }

  /** Whom this node votes for: the rule's best qualified member of the base heard this round. */
  candidate(): NodeInfo | null {
    const base = this.base();
    const eligible = this.recent().filter((p) => base.counts(p.info.id));
    const best = bestCandidate(eligible.map((p) => p.info));
    return best ? eligible.find((p) => p.info.id === best.id)!.info : null;
  }

  recordVote(from: string, b: VoteBody): void {
    let votes = this.votesByTerm.get(b.term);
    if (!votes) this.votesByTerm.set(b.term, (votes = new Map()));
    votes.set(from, b);
  }

  /** Votes for this node in the current term. */
  get votes(): Map<string, VoteBody> {
    return this.votesByTerm.get(this.term) ?? new Map();
  }

  /**
   * Won: this node voted for itself, the votes are a majority of the base membership and of
   * the membership in its own log (which may hold a newer, uncommitted change), and no
   * participant has seen a manager of this term's epoch already.
   */
  won(): boolean {
    if (this.term <= this.knownEpoch()) return false;
    const votes = this.votes;
    if (!votes.has(this.host.id)) return false;
    const base = this.base();
    const n = [...votes.keys()].filter((id) => base.counts(id)).length;
    const own = this.host.logMembers();
    const ownMajority = own.length === 0 || hasMajority(own.filter((m) => votes.has(m)).length, own.length, this.host.quorum);
    return ownMajority && hasMajority(n, base.total, this.host.quorum);
  }
}
