/**
 * The node life cycle of SPEC section 3 (docs/protocol.md), the root of each node's actor
 * system:
 *   idle → discovering → (electing | following.joining) → following.{client | backup} | leading
 *        → following.leaving → stopped, plus isolated.
 * Each concern is a child actor: `liveness` (heartbeats, failure detection), `election`,
 * `takeover` (also handovers), `coordinator` (on the manager), `follower` and `joining`.
 * The node actor itself keeps what the whole node promises: its epoch and to whom it promised
 * it. Every vote, takeover confirm and handover grant is decided here, by guards over the
 * pure rules of ./rules; roles are tags (`manager`, `backup`, `client`, `joining`, `isolated`).
 */
import { assign, sendTo, setup } from 'xstate';
import { compareIds } from '../ids.js';
import { electionMachine, type ElectionOutput, type Participant } from './election.js';
import { followerMachine } from './follower.js';
import { joiningMachine } from './joining.js';
import { livenessMachine, type LivenessRole } from './liveness.js';
import { coordinatorMachine } from './coordinator.js';
import { takeoverMachine, type TakeoverOutput } from './takeover.js';
import { outranks } from './rules/admission.js';
import { confirmsManagerLost, mayGrant, mayPreGrant, type PromisedTo } from './rules/ballot.js';
import { compareCandidates, chooseBackup, type Candidate } from './rules/candidates.js';
import { positionOf, type LogIndex, type LogPosition } from './rules/log.js';
import { isMajority, type QuorumMode } from './rules/majority.js';
import type { MemberFacts, NodeFacts } from './rules/membership.js';
import type { NodeContext, NodeEvent, NodeSettings } from './nodeTypes.js';
import { coordinatorInput, electionInput, formationOf, livenessInput, livenessMembersOf } from './nodeInputs.js';

export type { NodeContext, NodeEvent, NodeSettings } from './nodeTypes.js';


const position = (c: NodeContext): LogPosition => positionOf(c.log);

const followedIs = (c: NodeContext, id: string) => c.followed?.manager === id;

/** The committed database names this node a member under the manager it follows. */
const memberUnderFollowed = (c: NodeContext) =>
  !!c.followed &&
  // the membership it knows is the manager's: it committed the manager's last change of it
  c.committed.seq >= c.followed.membershipSeq &&
  c.committed.members.includes(c.self.id) &&
  // this incarnation: a restarted node is a member again once its refresh committed
  c.committed.incarnation === c.self.incarnation &&
  c.committed.manager === c.followed.manager &&
  c.committed.epoch >= c.followed.epoch;

const removedByFollowed = (c: NodeContext) =>
  !!c.followed && c.committed.manager === c.followed.manager && c.committed.members.length > 0 && !c.committed.members.includes(c.self.id);


/** The member a leaving manager hands over to: its backup if live and fit, else the best live qualified member. */
function successorOf(c: NodeContext): string | null {
  if (c.switchoverTo) return c.switchoverTo;
  const live = (id: string) => !c.silent.includes(id);
  const b = c.committed.backup;
  if (b && b !== c.self.id && c.newest[b]?.qualified && live(b)) return b;
  return chooseBackup(Object.entries(c.newest).filter(([id]) => live(id)).map(([id, m]) => ({ id, ...m })), c.self.id);
}

export const nodeMachine = setup({
  types: {
    input: {} as { self: NodeFacts; settings: NodeSettings; epoch: number; log: LogIndex; newest: Record<string, MemberFacts>; lastChangeSeq: number; previousMembers: string[] },
    context: {} as NodeContext,
    events: {} as NodeEvent,
  },
  actors: {
    liveness: livenessMachine,
    election: electionMachine,
    takeover: takeoverMachine,
    coordinator: coordinatorMachine,
    follower: followerMachine,
    joining: joiningMachine,
  },
  actions: {
    /** Effect: `hello` on the discovery subject. */
    sendHello: () => {},
    /** Effect: answer a pre-vote or a vote request. */
    answerBallot: (_, _params: { to: string; term: number; prevote: boolean; granted: boolean }) => {},
    /** Effect: answer a takeover's question "did you lose the manager?". */
    answerAsk: (_, _params: { to: string; term: number; lost: boolean }) => {},
    /** Effect: record `epoch` durably, then tell `to` it has this node's promise (vote, confirm, handover grant). */
    promise: (_, _params: { to: string; epoch: number; kind: 'vote' | 'confirm' }) => {},
    /** Effect: refuse a takeover or handover promise. */
    refusePromise: (_, _params: { to: string; term: number }) => {},
    /** Effect: the leaving manager's notice: record the epoch durably (its own promise), tell every member. */
    sendHandover: (_, _params: { to: string; epoch: number; leaving: boolean }) => {},
    /** Effect: submit this node's own removal (a graceful leave). */
    submitLeave: () => {},
    /** Effect: a manager answers a hello with `announce`. */
    announce: (_, _params: { to: string }) => {},
    /** Effect: the node stopped (submissions fail with STOPPED, the bus closes). */
    stopRuntime: () => {},
    noteEpoch: assign(({ context, event }) => {
      if (event.type === 'EPOCH_RAISED') return event.epoch > context.epoch ? { epoch: event.epoch, promisedTo: null } : {};
      if (event.type === 'EPOCH_SET') return { epoch: Math.max(context.epoch, event.epoch), promisedTo: event.promisedTo };
      return {};
    }),
    noteLog: assign(({ event }) => (event.type === 'LOG' ? { log: event.log, newest: event.newest, lastChangeSeq: event.lastChangeSeq, previousMembers: event.previousMembers } : {})),
    noteCommitted: assign(({ event }) => (event.type === 'COMMITTED' ? { committed: event.facts } : {})),
    noteLiveness: assign(({ context, event }) =>
      event.type === 'LIVENESS' ? { managerMissed: event.managerMissed, managerLost: event.managerMissed >= context.settings.missedHeartbeats - 1, silent: event.silent } : {},
    ),
    noteParticipant: assign(({ context, event }) => {
      if (event.type !== 'HELLO') return {};
      const p: Participant = { ...event.node, at: event.at, position: event.position };
      return { heard: { ...context.heard, [p.id]: p }, now: event.at };
    }),
    lostManager: assign({ managerLost: true, managerMissed: Infinity }),
    // what it heard while looking for a manager is stale once it has one
    haveManager: assign({ managerLost: false, managerMissed: 0, heard: {} }),
    lead: assign({ managerLost: false, managerMissed: 0 }),
    follow: assign(({ event }) => (event.type === 'MANAGER_HEARD' ? { followed: { manager: event.manager, epoch: event.epoch, membershipSeq: event.membershipSeq } } : {})),
    noteMembershipSeq: assign(({ context, event }) =>
      event.type === 'MANAGER_HEARD' && context.followed && event.manager === context.followed.manager && event.membershipSeq > context.followed.membershipSeq
        ? { followed: { ...context.followed, membershipSeq: event.membershipSeq } }
        : {},
    ),
    unfollow: assign({ followed: null, handover: null }),
    forwardFollow: sendTo('follower', ({ context }) => ({ type: 'FOLLOW', manager: context.followed!.manager, epoch: context.followed!.epoch })),
    /** Effect: the membership or the roles changed: the liveness actor (when one runs) watches the new ones. */
    tellLiveness: (_, _params: { members: string[]; manager: string | null; backup: string | null }) => {},
    grantPromise: assign(({ event }) => {
      const e = event as { from: string; term: number; to?: string; epoch?: number };
      return event.type === 'HANDOVER_NOTICE' ? { epoch: e.epoch!, promisedTo: e.to! } : { epoch: e.term, promisedTo: e.from };
    }),
    noteHandover: assign(({ event }) => (event.type === 'HANDOVER_NOTICE' ? { handover: { to: event.to, epoch: event.epoch, from: event.from, leaving: event.leaving } } : {})),
    bufferGrant: assign(({ context, event }) =>
      event.type === 'PROMISE_REPLY' && event.granted ? { earlyGrants: [...context.earlyGrants.filter((g) => g.from !== event.from), { from: event.from, term: event.term }] } : {},
    ),
    forwardToTakeover: sendTo('takeover', ({ event }) => event as never),
    forwardToCoordinator: sendTo('coordinator', ({ event }) => event as never),
    assumeLeadership: assign(({ event }) => {
      const out = (event as unknown as { output: ElectionOutput | TakeoverOutput }).output;
      return out.won ? { leadership: { epoch: out.epoch, voters: out.voters, live: out.live }, followed: null, handover: null, earlyGrants: [] } : {};
    }),
    chooseSuccessor: assign(({ context }) => ({ successor: successorOf(context) })),
    markLeaving: assign({ leaving: true }),
    switchTo: assign(({ event }) => (event.type === 'SWITCHOVER' ? { switchoverTo: event.to, leaving: false } : {})),
    drainCoordinator: sendTo('coordinator', { type: 'DRAIN' }),
    followSuccessor: assign(({ context }) => ({
      followed: { manager: context.successor!, epoch: context.epoch + 1, membershipSeq: 0 },
      epoch: context.epoch + 1,
      promisedTo: context.successor,
      leadership: null,
      switchoverTo: null,
    })),
  },
  guards: {
    /**
     * A higher epoch reached a manager or backup: it steps down (docs/protocol.md 3) — unless
     * the manager it follows sent it: a manager raises its own epoch only to hand over, and
     * its notice follows.
     */
    isRivalEpoch: ({ context, event }) =>
      event.type === 'EPOCH_RAISED' && event.epoch > (context.leadership?.epoch ?? context.followed?.epoch ?? 0) && !(context.followed && event.from === context.followed.manager),
    managerToJoin: ({ context, event }) => event.type === 'MANAGER_HEARD' && (event.quorate || context.settings.quorum === 'none'),
    newerManager: ({ context, event }) =>
      // another manager, or the same one leading again in a later epoch
      event.type === 'MANAGER_HEARD' && !!context.followed && event.epoch > context.followed.epoch && event.epoch >= context.epoch,
    /** quorum none: a manager of another side that outranks the one this node follows or is. */
    outranksUnderNone: ({ context, event }) => {
      if (event.type !== 'MANAGER_HEARD' || context.settings.quorum !== 'none') return false;
      const mine = context.leadership ? { id: context.self.id, epoch: context.leadership.epoch } : context.followed ? { id: context.followed.manager, epoch: context.followed.epoch } : null;
      return !!mine && event.manager !== mine.id && outranks({ id: event.manager, epoch: event.epoch }, mine, compareIds);
    },
    memberUnderFollowed: ({ context }) => memberUnderFollowed(context),
    newestChanged: ({ context, event }) => event.type === 'LOG' && event.newest !== context.newest,
    fromFollowed: ({ context, event }) => event.type === 'NOT_MEMBER' && followedIs(context, event.from),
    backupUnderFollowed: ({ context }) => memberUnderFollowed(context) && context.committed.backup === context.self.id,
    clientUnderFollowed: ({ context }) => memberUnderFollowed(context) && context.committed.backup !== context.self.id,
    removed: ({ context }) => removedByFollowed(context),
    mayPreGrant: ({ context, event }) =>
      event.type === 'PREVOTE_REQUEST' &&
      mayPreGrant({ epoch: context.epoch, managerLost: context.managerLost, members: Object.keys(context.newest) }, { term: event.term, candidate: event.candidate }),
    mayVote: ({ context, event }) =>
      event.type === 'VOTE_REQUEST' && context.managerLost &&
      mayGrant({ epoch: context.epoch, promisedTo: context.promisedTo, position: position(context) }, { term: event.term, candidate: event.from, position: event.position }),
    confirmsLost: ({ context, event }) =>
      event.type === 'CONFIRM_ASK' &&
      confirmsManagerLost(
        { self: context.self.id, epoch: context.epoch, isManager: !!context.leadership, committedBackup: context.committed.backup, managerMissed: context.managerMissed, missedHeartbeats: context.settings.missedHeartbeats },
        { from: event.from, term: event.term },
      ),
    /** A takeover or handover promise: the manager is lost here too, or it handed over to the asker. */
    mayPromise: ({ context, event }) =>
      event.type === 'PROMISE_REQUEST' && !context.leadership &&
      (context.managerLost || (context.handover?.to === event.from && context.handover.epoch === event.term)) &&
      mayGrant({ epoch: context.epoch, promisedTo: context.promisedTo, position: position(context) }, { term: event.term, candidate: event.from, position: event.position }),
    handoverToOther: ({ context, event }) =>
      event.type === 'HANDOVER_NOTICE' && followedIs(context, event.from) && event.to !== context.self.id &&
      // the successor holds every committed record: the manager drained (all acked) before the notice
      mayGrant({ epoch: context.epoch, promisedTo: context.promisedTo, position: position(context) }, { term: event.epoch, candidate: event.to, position: position(context) }),
    handoverToSelf: ({ context, event }) => event.type === 'HANDOVER_NOTICE' && followedIs(context, event.from) && event.to === context.self.id,
    ballotWon: ({ event }) => (event as unknown as { output: { won: boolean } }).output.won,
    hasSuccessor: ({ context }) => successorOf(context) !== null,
    isLeaving: ({ context }) => context.leaving,
    majorityHeard: ({ context }) => {
      const members = Object.keys(context.newest);
      const since = context.now - 2 * context.settings.discoveryMs;
      const heard = Object.values(context.heard).filter((p) => p.at >= since).map((p) => p.id);
      return members.length > 0 && isMajority([context.self.id, ...heard], members, context.settings.quorum as QuorumMode);
    },
  },
  delays: {
    discovery: ({ context }) => context.settings.discoveryMs,
    joinTimeout: ({ context }) => context.settings.updateTimeoutMs,
    leaveTimeout: ({ context }) => context.settings.updateTimeoutMs,
  },
}).createMachine({
  id: 'node',
  context: ({ input }) => ({
    self: input.self,
    settings: input.settings,
    epoch: input.epoch,
    // a restarted node does not know whom it promised its stored epoch to
    promisedTo: input.epoch > 0 ? ({ unknown: true } as PromisedTo) : null,
    log: input.log,
    newest: input.newest,
    lastChangeSeq: input.lastChangeSeq,
    previousMembers: input.previousMembers,
    committed: { seq: 0, manager: null, backup: null, epoch: 0, members: [], incarnation: null },
    followed: null,
    leadership: null,
    managerMissed: Infinity,
    managerLost: true,
    silent: [],
    handover: null,
    earlyGrants: [],
    heard: {},
    now: 0,
    leaving: false,
    successor: null,
    switchoverTo: null,
  }),
  initial: 'idle',
  states: {
    idle: { on: { START: 'active', STOP: 'stopped' } },
    active: {
      on: {
        STOP: '#node.stopped',
        EPOCH_RAISED: { actions: 'noteEpoch' },
        EPOCH_SET: { actions: 'noteEpoch' },
        LOG: [
          // the membership in the log changed: a manager or backup counts its quorum against the newest one
          { guard: 'newestChanged', actions: ['noteLog', { type: 'tellLiveness', params: ({ context }) => livenessMembers(context) }] },
          { actions: 'noteLog' },
        ],
        // every child state decides on the new facts in its `always` transitions
        COMMITTED: { actions: ['noteCommitted', { type: 'tellLiveness', params: ({ context }) => livenessMembers(context) }] },
        LIVENESS: { actions: 'noteLiveness' },
        HELLO: { actions: 'noteParticipant' },
        PREVOTE_REQUEST: [
          { guard: 'mayPreGrant', actions: [{ type: 'answerBallot', params: ({ event }) => ballotAnswer(event, true) }] },
          { actions: [{ type: 'answerBallot', params: ({ event }) => ballotAnswer(event, false) }] },
        ],
        VOTE_REQUEST: [
          { guard: 'mayVote', actions: ['grantPromise', { type: 'promise', params: ({ event }) => ({ to: (event as { from: string }).from, epoch: (event as { term: number }).term, kind: 'vote' as const }) }] },
          { actions: [{ type: 'answerBallot', params: ({ event }) => ballotAnswer(event, false) }] },
        ],
        CONFIRM_ASK: [
          { guard: 'confirmsLost', actions: { type: 'answerAsk', params: ({ event }) => askAnswer(event, true) } },
          { actions: { type: 'answerAsk', params: ({ event }) => askAnswer(event, false) } },
        ],
        PROMISE_REQUEST: [
          { guard: 'mayPromise', actions: ['grantPromise', { type: 'promise', params: ({ event }) => ({ to: (event as { from: string }).from, epoch: (event as { term: number }).term, kind: 'confirm' as const }) }] },
          { actions: { type: 'refusePromise', params: ({ event }) => ({ to: (event as { from: string }).from, term: (event as { term: number }).term }) } },
        ],
        PROMISE_REPLY: { actions: 'bufferGrant' },
        // a node that is not a member just stops
        LEAVE: '#node.stopped',
      },
      initial: 'discovering',
      states: {
        discovering: {
          tags: ['joining'],
          entry: ['unfollow', 'lostManager', 'sendHello'],
          after: { discovery: 'electing' },
          on: { MANAGER_HEARD: { guard: 'managerToJoin', target: 'following', actions: 'follow' } },
        },
        electing: {
          tags: ['joining'],
          entry: ['unfollow', 'lostManager'],
          invoke: {
            src: 'election',
            id: 'election',
            systemId: 'election',
            input: ({ context }) => electionInput(context),
            onDone: [{ guard: 'ballotWon', target: 'leading', actions: 'assumeLeadership' }, { target: 'isolated' }],
          },
          on: { MANAGER_HEARD: { guard: 'managerToJoin', target: 'following', actions: 'follow' } },
        },
        isolated: {
          tags: ['isolated'],
          entry: ['unfollow', 'lostManager', 'sendHello'],
          after: { discovery: { target: 'isolated', reenter: true } },
          on: {
            MANAGER_HEARD: { guard: 'managerToJoin', target: 'following', actions: 'follow' },
            HELLO: [{ guard: 'majorityHeard', target: 'electing', actions: 'noteParticipant' }, { actions: 'noteParticipant' }],
          },
        },
        following: {
          invoke: {
            src: 'follower',
            id: 'follower',
            systemId: 'follower',
            input: ({ context }) => ({ self: context.self.id, manager: context.followed!.manager, epoch: context.followed!.epoch, log: context.log }),
          },
          on: {
            MANAGER_HEARD: [
              { guard: 'outranksUnderNone', target: '#node.active.discovering' },
              { guard: 'newerManager', actions: ['follow', 'forwardFollow', { type: 'tellLiveness', params: ({ context }) => livenessMembers(context) }] },
              { actions: 'noteMembershipSeq' },
            ],
            HANDOVER_NOTICE: [
              { guard: 'handoverToSelf', actions: 'noteHandover', target: '.receivingHandover' },
              { guard: 'handoverToOther', actions: ['noteHandover', 'grantPromise', { type: 'promise', params: ({ event }) => handoverPromise(event) }] },
            ],
            LOG_CONFLICT: '#node.active.discovering',
          },
          initial: 'joining',
          states: {
            // a node joining a manager has one: it grants no pre-vote to a candidate meanwhile
            joining: {
              tags: ['joining'],
              entry: 'haveManager',
              invoke: [
                {
                  src: 'joining',
                  id: 'joining',
                  systemId: 'joining',
                  input: ({ context }) => ({ manager: context.followed!.manager, position: position(context), retransmitMs: context.settings.retransmitMs }),
                },
                // the manager it joins may be gone: silent for M intervals, it looks again
                { src: 'liveness', id: 'liveness', systemId: 'liveness', input: ({ context }) => livenessInput(context, 'client') },
              ],
              always: [
                { guard: 'backupUnderFollowed', target: 'backup' },
                { guard: 'clientUnderFollowed', target: 'client' },
              ],
              on: { LEADERS_LOST: '#node.active.discovering' },
              after: { joinTimeout: '#node.active.discovering' },
            },
            client: {
              tags: ['member', 'client'],
              entry: 'haveManager',
              invoke: { src: 'liveness', id: 'liveness', systemId: 'liveness', input: ({ context }) => livenessInput(context, 'client') },
              on: {
                LEADERS_LOST: '#node.active.electing',
                LEAVE: 'leaving',
                // removed while alive: the manager says so when this node acts as a member
                NOT_MEMBER: { guard: 'fromFollowed', target: 'joining' },
              },
              always: [{ guard: 'removed', target: 'joining' }, { guard: 'backupUnderFollowed', target: 'backup' }],
            },
            backup: {
              tags: ['member', 'backup'],
              entry: 'haveManager',
              invoke: { src: 'liveness', id: 'liveness', systemId: 'liveness', input: ({ context }) => livenessInput(context, 'backup') },
              on: {
                EPOCH_RAISED: { guard: 'isRivalEpoch', target: '#node.active.discovering', actions: 'noteEpoch' },
                QUORUM_LOST: '#node.active.isolated',
                LEADERS_LOST: '#node.active.electing',
                LEAVE: 'leaving',
                NOT_MEMBER: { guard: 'fromFollowed', target: 'joining' },
              },
              always: [{ guard: 'removed', target: 'joining' }, { guard: 'clientUnderFollowed', target: 'client' }],
              initial: 'watching',
              states: {
                watching: { on: { MANAGER_SUSPECTED: 'takingOver' } },
                takingOver: {
                  invoke: {
                    src: 'takeover',
                    id: 'takeover',
                    systemId: 'takeover',
                    input: ({ context }) => takeoverInputOf(context, 'takeover'),
                    onDone: [{ guard: 'ballotWon', target: '#node.active.leading', actions: 'assumeLeadership' }, { target: 'watching' }],
                  },
                  on: { ASK_REPLY: { actions: 'forwardToTakeover' }, PROMISE_REPLY: { actions: 'forwardToTakeover' } },
                },
              },
            },
            // the manager hands over to this node: a ballot like a takeover's, without asking
            receivingHandover: {
              invoke: {
                src: 'takeover',
                id: 'takeover',
                systemId: 'takeover',
                input: ({ context }) => takeoverInputOf(context, 'handover'),
                onDone: [{ guard: 'ballotWon', target: '#node.active.leading', actions: 'assumeLeadership' }, { target: 'joining' }],
              },
              on: { PROMISE_REPLY: { actions: 'forwardToTakeover' } },
            },
            // still a member until its removal commits
            leaving: {
              tags: ['member', 'client'],
              entry: 'submitLeave',
              // it still answers takeovers and pre-votes as a member: it watches its manager
              invoke: { src: 'liveness', id: 'liveness', systemId: 'liveness', input: ({ context }) => livenessInput(context, 'client') },
              always: { guard: 'removed', target: '#node.stopped' },
              // a leaving node does not take the manager role over: its leave goes on
              on: { HANDOVER_NOTICE: {} },
              after: { leaveTimeout: '#node.stopped' },
            },
          },
        },
        leading: {
          tags: ['member', 'manager'],
          // keeps `heard`: a forming manager records the facts its peers sent in their hellos
          entry: 'lead',
          invoke: [
            { src: 'coordinator', id: 'coordinator', systemId: 'coordinator', input: ({ context }) => coordinatorInput(context, formationOf(context)) },
            { src: 'liveness', id: 'liveness', systemId: 'liveness', input: ({ context }) => livenessInput(context, 'manager') },
          ],
          on: {
            EPOCH_RAISED: { guard: 'isRivalEpoch', target: 'discovering', actions: 'noteEpoch' },
            MANAGER_HEARD: { guard: 'outranksUnderNone', target: 'discovering' },
            QUORUM_LOST: 'isolated',
            MEMBERS_FAILED: { actions: 'forwardToCoordinator' },
            HELLO: { actions: ['noteParticipant', { type: 'announce', params: ({ event }) => ({ to: (event as { node: { id: string } }).node.id }) }] },
          },
          initial: 'serving',
          states: {
            serving: {
              on: {
                LEAVE: [{ guard: 'hasSuccessor', target: 'draining', actions: ['markLeaving', 'chooseSuccessor'] }, { target: '#node.stopped' }],
                SWITCHOVER: { target: 'draining', actions: ['switchTo', 'chooseSuccessor'] },
              },
            },
            // nothing new is numbered; what is in flight commits; then the successor gets the role
            draining: {
              entry: 'drainCoordinator',
              on: { DRAINED: 'handingOver' },
            },
            handingOver: {
              entry: { type: 'sendHandover', params: ({ context }) => ({ to: context.successor!, epoch: context.epoch + 1, leaving: context.leaving }) },
              always: [
                { guard: 'isLeaving', target: '#node.active.following.leaving', actions: 'followSuccessor' },
                { target: '#node.active.following.client', actions: 'followSuccessor' },
              ],
            },
          },
        },
      },
    },
    stopped: { type: 'final', entry: 'stopRuntime' },
  },
});

function livenessMembers(c: NodeContext) {
  return {
    members: livenessMembersOf(c),
    manager: c.leadership ? c.self.id : (c.followed?.manager ?? c.committed.manager),
    backup: c.committed.backup,
  };
}

function ballotAnswer(e: NodeEvent, granted: boolean) {
  const r = e as Extract<NodeEvent, { type: 'PREVOTE_REQUEST' | 'VOTE_REQUEST' }>;
  return { to: r.from, term: r.term, prevote: r.type === 'PREVOTE_REQUEST', granted };
}

function askAnswer(e: NodeEvent, lost: boolean) {
  const r = e as Extract<NodeEvent, { type: 'CONFIRM_ASK' }>;
  return { to: r.from, term: r.term, lost };
}

function handoverPromise(e: NodeEvent) {
  const n = e as Extract<NodeEvent, { type: 'HANDOVER_NOTICE' }>;
  return { to: n.to, epoch: n.epoch, kind: 'confirm' as const };
}

function takeoverInputOf(c: NodeContext, kind: 'takeover' | 'handover') {
  const term = kind === 'handover' ? c.handover!.epoch : c.epoch + 1;
  const grants = kind === 'handover' ? [c.handover!.from, ...c.earlyGrants.filter((g) => g.term === term).map((g) => g.from)] : [];
  return {
    self: c.self.id,
    kind,
    term,
    members: Object.keys(c.newest),
    // the manager being replaced is not asked, nor named backup (a switched-over one may be)
    manager: kind === 'takeover' ? (c.followed?.manager ?? c.committed.manager) : c.handover!.leaving ? c.handover!.from : null,
    position: position(c),
    grants,
    heartbeatMs: c.settings.heartbeatMs,
    retransmitMs: c.settings.retransmitMs,
    missedHeartbeats: c.settings.missedHeartbeats,
    quorum: c.settings.quorum,
  };
}

export type NodeMachine = typeof nodeMachine;
