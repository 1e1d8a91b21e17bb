/**
 * Takeover and handover (SPEC section 3; docs/protocol.md 4.3), invoked on the backup that
 * suspects its manager, or on the node a leaving manager hands over to.
 *
 * A takeover first asks the members whether they lost the manager too (`asking`, which
 * promises nothing: a broken link between backup and manager alone changes no epoch); with
 * a majority that did, it catches up with the most advanced log among them, raises its
 * epoch and asks for promises (`ballot`), which members grant exactly as they grant votes.
 * A handover starts at the promise: the leaving manager's notice is the reason to grant.
 */
import { assign, fromPromise, sendParent, setup } from 'xstate';
import type { CaughtUp } from './election.js';
import { compareLogs, type LogPosition } from './rules/log.js';
import { isJointMajority, type QuorumMode } from './rules/majority.js';

export interface TakeoverInput {
  self: string;
  kind: 'takeover' | 'handover';
  /** The epoch this node would take (its epoch + 1, or the one the handover names). */
  term: number;
  /** The newest membership in this node's log. */
  members: string[];
  /** The membership before it while its change is uncommitted in this node's log, else empty (docs/protocol.md 4.2 Rule 5). */
  previous: string[];
  /** The manager being replaced: asked like any member (its log may be the most advanced), never made backup. */
  manager: string | null;
  position: LogPosition;
  /** Promises already received (a handover: the old manager's, and any that came early). */
  grants: string[];
  heartbeatMs: number;
  retransmitMs: number;
  missedHeartbeats: number;
  quorum: QuorumMode;
}

export interface TakeoverContext extends TakeoverInput {
  /** Members that answered they lost the manager too, with their log positions. */
  lost: Record<string, LogPosition>;
  answered: string[];
}

export type TakeoverEvent =
  | { type: 'ASK_REPLY'; from: string; term: number; lost: boolean; position: LogPosition }
  | { type: 'PROMISE_REPLY'; from: string; term: number; granted: boolean }
  /** The node took its promise of `term` to itself (durable), or refused it: it promised the term to another. */
  | { type: 'STOOD'; term: number }
  | { type: 'STAND_REFUSED'; term: number };

/**
 * `live`: the members a new manager may pick its backup from (all but the manager it replaces).
 * `lost`: the manager a takeover replaced, which a majority found silent (docs/protocol.md 4.4):
 * the new coordinator does not wait for it. A handover loses nobody.
 */
export type TakeoverOutput = { won: true; epoch: number; voters: string[]; live: string[]; lost: string[]; position: LogPosition } | { won: false };

export interface AskParams {
  term: number;
  to: string[];
  position: LogPosition;
}

/**
 * Everyone but this node: the manager too — a live one answers that it is manager, a
 * restarted one that it has none, and its log may be the most advanced.
 */
function asked(c: TakeoverContext): string[] {
  return voters(c).filter((m) => m !== c.self);
}

/** Whose answers count: the newest membership, and the one before it while its change is uncommitted. */
function voters(c: TakeoverContext): string[] {
  return c.previous.length ? [...new Set([...c.members, ...c.previous])] : c.members;
}

const wins = (c: TakeoverContext, ids: Iterable<string>) => isJointMajority(ids, c.members, c.previous, c.quorum);

function mostAdvanced(c: TakeoverContext): { node: string; position: LogPosition } | null {
  let best: { node: string; position: LogPosition } | null = null;
  for (const [node, position] of Object.entries(c.lost)) {
    if (node !== c.self && compareLogs(position, best?.position ?? c.position) > 0) best = { node, position };
  }
  return best;
}

function promiseTargets(c: TakeoverContext): string[] {
  const asked = c.kind === 'takeover' ? Object.keys(c.lost) : voters(c);
  return asked.filter((m) => m !== c.self && !c.grants.includes(m));
}

const majorityLost = (c: TakeoverContext) => wins(c, Object.keys(c.lost));

export const takeoverMachine = setup({
  types: {
    input: {} as TakeoverInput,
    context: {} as TakeoverContext,
    events: {} as TakeoverEvent,
    output: {} as TakeoverOutput,
  },
  actors: {
    /** Effect: fetch the records `node` holds up to `position`; resolves with this node's new position. */
    fetchLog: fromPromise<CaughtUp, { node: string; position: LogPosition }>(async () => {
      throw new Error('fetchLog is supplied by the host');
    }),
  },
  actions: {
    /** Asks the node for its promise of the term to itself: it decides that as it decides every promise. */
    standFor: sendParent(({ context }) => ({ type: 'STAND', term: context.term, ballot: 'takeover' })),
    /** Effect: `confirm-request {phase: 'ask'}` to the members. */
    askMembers: (_, _params: AskParams) => {},
    /** Effect: `confirm-request {phase: 'promise'}` to the members that have not granted yet. */
    requestPromises: (_, _params: AskParams) => {},
    recordAnswer: assign(({ context, event }) => {
      if (event.type !== 'ASK_REPLY' || event.term !== context.term || context.answered.includes(event.from)) return {};
      return {
        answered: [...context.answered, event.from],
        lost: event.lost ? { ...context.lost, [event.from]: event.position } : context.lost,
      };
    }),
    recordGrant: assign(({ context, event }) => {
      if (event.type !== 'PROMISE_REPLY' || !event.granted || event.term !== context.term || context.grants.includes(event.from)) return {};
      return { grants: [...context.grants, event.from] };
    }),
    promiseSelf: assign(({ context }) => ({ grants: context.grants.includes(context.self) ? context.grants : [...context.grants, context.self] })),
  },
  guards: {
    isHandover: ({ context }) => context.kind === 'handover',
    stillCounted: ({ context }) => context.members.includes(context.self),
    forThisTerm: ({ context, event }) => (event.type === 'STOOD' || event.type === 'STAND_REFUSED') && event.term === context.term,
    majorityLostBehind: ({ context }) => majorityLost(context) && mostAdvanced(context) !== null,
    majorityLost: ({ context }) => majorityLost(context),
    /** Everyone answered and no majority lost the manager: it is alive (a broken link only). */
    denied: ({ context }) => context.answered.length >= asked(context).length && !majorityLost(context),
    majorityPromised: ({ context }) => wins(context, context.grants),
  },
  delays: {
    /** How long the backup waits for answers before it gives up this round. */
    askWindow: ({ context }) => context.heartbeatMs,
    retransmit: ({ context }) => context.retransmitMs,
    ballotTimeout: ({ context }) => context.missedHeartbeats * context.heartbeatMs,
  },
}).createMachine({
  id: 'takeover',
  context: ({ input }) => ({ ...input, lost: {}, answered: [] }),
  // a handover's promises may arrive while the epoch is still being recorded
  on: { PROMISE_REPLY: { actions: 'recordGrant' } },
  initial: 'starting',
  states: {
    starting: {
      always: [{ guard: 'isHandover', target: 'raising' }, { target: 'asking' }],
    },
    asking: {
      entry: [
        assign({ lost: ({ context }) => ({ [context.self]: context.position }) }),
        { type: 'askMembers', params: ({ context }) => ({ term: context.term, to: asked(context), position: context.position }) },
      ],
      on: { ASK_REPLY: { actions: 'recordAnswer' } },
      always: [
        { guard: 'majorityLostBehind', target: 'catchingUp' },
        { guard: 'majorityLost', target: 'raising' },
        { guard: 'denied', target: 'denied' },
      ],
      after: { askWindow: 'denied' },
    },
    catchingUp: {
      invoke: {
        src: 'fetchLog',
        input: ({ context }) => mostAdvanced(context)!,
        // the membership counted from here on is the newest in the log it now holds, as in an election
        onDone: {
          target: 'checking',
          actions: assign({ position: ({ event }) => event.output.position, members: ({ event }) => Object.keys(event.output.members), previous: ({ event }) => event.output.previous }),
        },
        onError: 'denied',
      },
    },
    // the log it fetched may remove it: then it does not stand
    checking: {
      always: [{ guard: 'stillCounted', target: 'raising' }, { target: 'denied' }],
    },
    // the node's promise to itself first: it may have promised this term to another meanwhile
    raising: {
      entry: 'standFor',
      on: {
        STOOD: { guard: 'forThisTerm', target: 'ballot', actions: 'promiseSelf' },
        STAND_REFUSED: { guard: 'forThisTerm', target: 'denied' },
      },
    },
    ballot: {
      always: { guard: 'majorityPromised', target: 'won' },
      after: { ballotTimeout: 'denied' },
      initial: 'promising',
      states: {
        promising: {
          entry: {
            type: 'requestPromises',
            // a takeover asks only those that lost the manager too; a handover asks everyone
            params: ({ context }) => ({ term: context.term, to: promiseTargets(context), position: context.position }),
          },
          after: { retransmit: { target: 'promising', reenter: true } },
        },
      },
    },
    won: { type: 'final' },
    denied: { type: 'final' },
  },
  output: ({ context }) =>
    wins(context, context.grants)
      ? { won: true, epoch: context.term, voters: context.grants, live: context.members.filter((m) => m !== context.manager), lost: context.kind === 'takeover' && context.manager ? [context.manager] : [], position: context.position }
      : { won: false },
});

export type TakeoverMachine = typeof takeoverMachine;
