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
import { assign, fromPromise, setup } from 'xstate';
import type { CaughtUp } from './election.js';
import { compareLogs, type LogPosition } from './rules/log.js';
import { isMajority, type QuorumMode } from './rules/majority.js';

export interface TakeoverInput {
  self: string;
  kind: 'takeover' | 'handover';
  /** The epoch this node would take (its epoch + 1, or the one the handover names). */
  term: number;
  /** The newest membership in this node's log. */
  members: string[];
  /** The manager being replaced: not asked. */
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
  | { type: 'PROMISE_REPLY'; from: string; term: number; granted: boolean };

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
  return c.members.filter((m) => m !== c.self);
}

function mostAdvanced(c: TakeoverContext): { node: string; position: LogPosition } | null {
  let best: { node: string; position: LogPosition } | null = null;
  for (const [node, position] of Object.entries(c.lost)) {
    if (node !== c.self && compareLogs(position, best?.position ?? c.position) > 0) best = { node, position };
  }
  return best;
}

function promiseTargets(c: TakeoverContext): string[] {
  const asked = c.kind === 'takeover' ? Object.keys(c.lost) : c.members;
  return asked.filter((m) => m !== c.self && !c.grants.includes(m));
}

const majorityLost = (c: TakeoverContext) => isMajority(Object.keys(c.lost), c.members, c.quorum);

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
    /** Effect: record the epoch durably before asking for promises of it. */
    raiseEpoch: fromPromise<void, { epoch: number }>(async () => {
      throw new Error('raiseEpoch is supplied by the host');
    }),
  },
  actions: {
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
    majorityLostBehind: ({ context }) => majorityLost(context) && mostAdvanced(context) !== null,
    majorityLost: ({ context }) => majorityLost(context),
    /** Everyone answered and no majority lost the manager: it is alive (a broken link only). */
    denied: ({ context }) => context.answered.length >= asked(context).length && !majorityLost(context),
    majorityPromised: ({ context }) => isMajority(context.grants, context.members, context.quorum),
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
        onDone: { target: 'raising', actions: assign({ position: ({ event }) => event.output.position }) },
        onError: 'denied',
      },
    },
    raising: {
      invoke: {
        src: 'raiseEpoch',
        input: ({ context }) => ({ epoch: context.term }),
        onDone: { target: 'ballot', actions: 'promiseSelf' },
        onError: 'denied',
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
    isMajority(context.grants, context.members, context.quorum)
      ? { won: true, epoch: context.term, voters: context.grants, live: context.members.filter((m) => m !== context.manager), lost: context.kind === 'takeover' && context.manager ? [context.manager] : [], position: context.position }
      : { won: false },
});

export type TakeoverMachine = typeof takeoverMachine;
