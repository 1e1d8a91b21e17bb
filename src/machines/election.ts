/**
 * The election of SPEC section 3 (docs/protocol.md 4.2), invoked while a node is
 * `electing`. The best qualified node it knows of stands; it first asks for pre-votes
 * (which promise nothing, so a node that cannot win never raises an epoch), catches up with
 * the most advanced log among the nodes that answered, has the node take its promise of the new epoch (`STAND`) and asks for
 * votes. It wins with votes from a majority of the newest membership in its log (and of the
 * one before it while that change is uncommitted: 4.2 Rule 5). Voting for others, and taking
 * this node's promise to itself, are the node actor's part (it owns the node's promise).
 */
import { assign, sendParent, setup, fromPromise } from 'xstate';
import { compareCandidates, rankOf, type Candidate } from './rules/candidates.js';
import { compareLogs, type LogPosition } from './rules/log.js';
import { isJointMajority, type QuorumMode } from './rules/majority.js';

export interface Participant extends Candidate {
  incarnation?: number;
  position?: LogPosition;
  /** When it was last heard (the node's clock). */
  at: number;
}

export interface ElectionInput {
  self: Candidate;
  epoch: number;
  position: LogPosition;
  /** The newest membership in this node's log (empty before formation). */
  members: Record<string, { priority: number; qualified: boolean }>;
  /** The membership before it while its change is uncommitted in this node's log, else empty (4.2 Rule 5). */
  previous: string[];
  initialMembers?: string[];
  /** Nodes heard before the election began (discovery). */
  heard: Record<string, Participant>;
  now: number;
  heartbeatMs: number;
  discoveryMs: number;
  quorum: QuorumMode;
}

export interface ElectionContext extends ElectionInput {
  participants: Record<string, Participant>;
  /**
   * Looks at the field so far (one per `gather` interval): a participant counts while it was
   * heard within the last FRESH_ROUNDS of them. Rounds, not clock readings: the chart has no
   * clock, and a node that stopped answering drops out after the same number of looks.
   */
  round: number;
  /** The round in which each participant was last heard. */
  heardIn: Record<string, number>;
  /** The epoch this node stands for (0: not standing). */
  term: number;
  /** Highest epoch any answer showed: the next term goes above it. */
  termFloor: number;
  preGrants: Record<string, LogPosition>;
  votes: string[];
  /** Consecutive looks at the field without a reachable majority. */
  unreachable: number;
  /** The round in which a better counted rival last asked for votes: this node's waiting starts again there. */
  yieldedAt: number;
}

export type ElectionEvent =
  /** A hello, pre-vote request or candidacy from another node; `asksVotesFor`: it asks for votes (not pre-votes) for that term. */
  | { type: 'PARTICIPANT'; node: Candidate; position?: LogPosition; epoch: number; at: number; asksVotesFor?: number }
  | { type: 'PREVOTE_REPLY'; from: string; term: number; granted: boolean; position: LogPosition; epoch: number; at: number }
  | { type: 'VOTE_REPLY'; from: string; term: number; granted: boolean; epoch: number; at: number }
  /** The node took its promise of `term` to itself (durable), or refused it: it promised the term to another. */
  | { type: 'STOOD'; term: number }
  | { type: 'STAND_REFUSED'; term: number };

/** `live`: the voters and every node heard lately: the new manager picks its backup among them. */
/** `lost` is always empty: an election has no ballot that found anyone silent (see TakeoverOutput). */
export type ElectionOutput = { won: true; epoch: number; voters: string[]; live: string[]; lost: string[]; position: LogPosition } | { won: false };

/** Where a catch-up left the log: its position and the newest membership it now holds. */
export interface CaughtUp {
  position: LogPosition;
  members: Record<string, { priority: number; qualified: boolean }>;
  previous: string[];
}

export interface BallotRequestParams {
  term: number;
  position: LogPosition;
}

/** Participants count for three looks at the field after they were last heard. */
const FRESH_ROUNDS = 3;

function roundMs(c: Pick<ElectionContext, 'heartbeatMs'>): number {
  return 2 * c.heartbeatMs;
}

function fresh(c: ElectionContext): Participant[] {
  return Object.values(c.participants).filter((p) => p.id !== c.self.id && (c.heardIn[p.id] ?? -Infinity) >= c.round - FRESH_ROUNDS);
}

/** Whose answers count: the newest membership in the log, else initialMembers, else the nodes heard. */
export function countingSet(c: ElectionContext): string[] {
  const members = Object.keys(c.members);
  if (members.length) return members;
  if (c.initialMembers?.length) return c.initialMembers;
  return [c.self.id, ...fresh(c).map((p) => p.id)];
}

/** Looks a node of rank r (r better nodes heard) lets pass before it stands anyway. */
const LOOKS_PER_RANK = 4;

/**
 * The best node it knows stands at once; a node with r better ones stands only after r × 4
 * looks without a manager, so a better node that cannot win (it is behind and cannot catch
 * up, or only some nodes still count it) does not keep the others from standing. The looks
 * count from the last time a better rival asked for votes (docs/protocol.md 4.2, Rule 2):
 * two candidates that stand together split the votes, and would again at every look.
 */
function mayStand(c: ElectionContext): boolean {
  const counting = new Set(countingSet(c));
  if (!c.self.qualified || !counting.has(c.self.id)) return false;
  const rivals = fresh(c).filter((p) => counting.has(p.id));
  return c.round - c.yieldedAt >= LOOKS_PER_RANK * rankOf(c.self, rivals);
}

/** A better rival this node counts asks for votes: it won its pre-votes, so this node lets it stand alone. */
function yieldsTo(c: ElectionContext, rival: Candidate): boolean {
  return rival.id !== c.self.id && rival.qualified && compareCandidates(rival, c.self) < 0 && countingSet(c).includes(rival.id);
}

/** Whether `ids` win a ballot here: a majority of the counting set, and of the previous membership while a change is uncommitted. */
function wins(c: ElectionContext, ids: Iterable<string>): boolean {
  return isJointMajority(ids, countingSet(c), c.previous, c.quorum);
}

/** After a catch-up: the log it now holds may no longer count it (it was removed meanwhile). */
const stillCounted = (c: ElectionContext) => countingSet(c).includes(c.self.id);

function majorityReachable(c: ElectionContext): boolean {
  return wins(c, [c.self.id, ...fresh(c).map((p) => p.id)]);
}

/** The granter whose log is the most advanced, when it is ahead of this node's. */
function mostAdvancedGranter(c: ElectionContext): { node: string; position: LogPosition } | null {
  let best: { node: string; position: LogPosition } | null = null;
  for (const [node, position] of Object.entries(c.preGrants)) {
    if (node === c.self.id) continue;
    if (compareLogs(position, best?.position ?? c.position) > 0) best = { node, position };
  }
  return best;
}

/**
 * `participants` and `heardIn` are this election's own records (made fresh when it starts)
 * and grow in place: every node hears every other's hello each round, and a copy per hello
 * cost N³ per round for N nodes (issue 14).
 */
const heard = (c: ElectionContext, id: string) => {
  c.heardIn[id] = c.round;
  return { heardIn: c.heardIn };
};

export const electionMachine = setup({
  types: {
    input: {} as ElectionInput,
    context: {} as ElectionContext,
    events: {} as ElectionEvent,
    output: {} as ElectionOutput,
  },
  actors: {
    /** Effect: fetch the records `node` holds up to `position`; resolves with this node's new position. */
    fetchLog: fromPromise<CaughtUp, { node: string; position: LogPosition }>(async () => {
      throw new Error('fetchLog is supplied by the host');
    }),
  },
  actions: {
    /** Asks the node for its promise of the term to itself: it decides that as it decides every promise. */
    standFor: sendParent(({ context }) => ({ type: 'STAND', term: context.term, ballot: 'election' })),
    /** Effect: a hello, so the others know this node takes part. */
    sendHello: () => {},
    /** Effect: `candidacy {prevote: true}` to everyone. */
    requestPreVotes: (_, _params: BallotRequestParams) => {},
    /** Effect: `candidacy {prevote: false}` to everyone. */
    requestVotes: (_, _params: BallotRequestParams) => {},
    noteParticipant: assign(({ context, event }) => {
      if (event.type !== 'PARTICIPANT') return {};
      const p: Participant = { ...event.node, at: event.at, ...(event.position ? { position: event.position } : {}) };
      context.participants[p.id] = p;
      const yielded = event.asksVotesFor !== undefined && yieldsTo(context, event.node) ? { yieldedAt: context.round } : {};
      return { participants: context.participants, termFloor: Math.max(context.termFloor, event.epoch), ...heard(context, p.id), ...yielded };
    }),
    lookAtField: assign(({ context }) => {
      const next = { ...context, round: context.round + 1 };
      return { round: next.round, unreachable: majorityReachable(next) ? 0 : context.unreachable + 1 };
    }),
    openPreBallot: assign(({ context }) => ({
      term: Math.max(context.epoch, context.termFloor) + 1,
      preGrants: { [context.self.id]: context.position },
      votes: [],
    })),
    recordPreVote: assign(({ context, event }) => {
      if (event.type !== 'PREVOTE_REPLY') return {};
      const seen = { termFloor: Math.max(context.termFloor, event.epoch), ...heard(context, event.from) };
      if (!event.granted || event.term !== context.term) return seen;
      return { ...seen, preGrants: { ...context.preGrants, [event.from]: event.position } };
    }),
    openBallot: assign(({ context }) => ({ epoch: context.term, votes: [context.self.id] })),
    recordVote: assign(({ context, event }) => {
      if (event.type !== 'VOTE_REPLY') return {};
      const seen = { termFloor: Math.max(context.termFloor, event.epoch), ...heard(context, event.from) };
      if (!event.granted || event.term !== context.term || context.votes.includes(event.from)) return seen;
      return { ...seen, votes: [...context.votes, event.from] };
    }),
  },
  guards: {
    mayStand: ({ context }) => mayStand(context),
    forThisTerm: ({ context, event }) => (event.type === 'STOOD' || event.type === 'STAND_REFUSED') && event.term === context.term,
    stillCounted: ({ context }) => stillCounted(context),
    /** No majority of the membership heard for a discovery period: the node goes isolated. */
    noMajorityInSight: ({ context }) => context.unreachable * context.heartbeatMs >= context.discoveryMs,
    preVotesWonBehind: ({ context }) => wins(context, Object.keys(context.preGrants)) && mostAdvancedGranter(context) !== null,
    preVotesWon: ({ context }) => wins(context, Object.keys(context.preGrants)),
    votesWon: ({ context }) => wins(context, context.votes),
  },
  delays: {
    gather: ({ context }) => context.heartbeatMs,
    round: ({ context }) => roundMs(context),
  },
}).createMachine({
  id: 'election',
  context: ({ input }) => ({
    ...input,
    participants: { ...input.heard },
    round: 0,
    // what discovery heard counts for the first looks
    heardIn: Object.fromEntries(Object.keys(input.heard).map((id) => [id, 0])),
    term: 0,
    termFloor: input.epoch,
    preGrants: {},
    votes: [],
    unreachable: 0,
    yieldedAt: 0,
  }),
  on: {
    PARTICIPANT: { actions: 'noteParticipant' },
  },
  initial: 'waiting',
  states: {
    // say hello, listen for a heartbeat of others, then stand if this node is the best it knows
    waiting: {
      entry: ['sendHello', 'lookAtField'],
      after: {
        gather: [
          { guard: 'noMajorityInSight', target: 'noQuorum' },
          { guard: 'mayStand', target: 'prevoting' },
          { target: 'waiting', reenter: true },
        ],
      },
    },
    prevoting: {
      entry: ['openPreBallot', { type: 'requestPreVotes', params: ({ context }) => ({ term: context.term, position: context.position }) }],
      on: { PREVOTE_REPLY: { actions: 'recordPreVote' } },
      always: [
        { guard: 'preVotesWonBehind', target: 'catchingUp' },
        { guard: 'preVotesWon', target: 'raising' },
      ],
      after: { round: 'waiting' },
    },
    // the preferred node wins even when it was behind: it fetches what a voter holds first
    catchingUp: {
      invoke: {
        src: 'fetchLog',
        input: ({ context }) => mostAdvancedGranter(context)!,
        onDone: { target: 'checking', actions: assign({ position: ({ event }) => event.output.position, members: ({ event }) => event.output.members, previous: ({ event }) => event.output.previous }) },
        onError: 'waiting',
      },
    },
    checking: {
      always: [{ guard: 'stillCounted', target: 'raising' }, { target: 'waiting' }],
    },
    // the node's promise to itself first: it may have promised this term to another meanwhile
    raising: {
      entry: 'standFor',
      on: {
        STOOD: { guard: 'forThisTerm', target: 'voting', actions: 'openBallot' },
        STAND_REFUSED: { guard: 'forThisTerm', target: 'waiting' },
      },
    },
    voting: {
      entry: { type: 'requestVotes', params: ({ context }) => ({ term: context.term, position: context.position }) },
      on: { VOTE_REPLY: { actions: 'recordVote' } },
      always: { guard: 'votesWon', target: 'won' },
      after: { round: 'waiting' },
    },
    won: { type: 'final' },
    noQuorum: { type: 'final' },
  },
  output: ({ context }) =>
    context.votes.length && wins(context, context.votes)
      ? { won: true, epoch: context.term, voters: context.votes, live: [...new Set([...context.votes, ...fresh(context).map((p) => p.id)])], lost: [], position: context.position }
      : { won: false },
});

export type ElectionMachine = typeof electionMachine;
