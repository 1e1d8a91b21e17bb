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
import { and, assign, sendTo, setup } from 'xstate';
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
import type { BallotActor, NodeContext, NodeEvent, NodeSettings } from './nodeTypes.js';
import { nodeGuards, position, successorOf } from './nodeGuards.js';
import { askAnswer, ballotAnswer, coordinatorInput, electionInput, formationOf, handoverPromise, livenessInput, livenessMembers, standPromise, standRefusal, takeoverInputOf, type PromiseParams } from './nodeInputs.js';

export type { NodeContext, NodeEvent, NodeSettings } from './nodeTypes.js';


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
    /**
     * Effect: record `epoch` durably, then tell `to` it has this node's promise (vote, confirm,
     * handover grant); for `stand`, tell this node's own ballot actor `STOOD`.
     */
    promise: (_, _params: PromiseParams) => {},
    /** Effect: tell this node's own ballot actor `STAND_REFUSED`: it promised the term to another. */
    refuseStand: (_, _params: { ballot: BallotActor; term: number }) => {},
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
      return {};
    }),
    noteLog: assign(({ event }) => (event.type === 'LOG' ? { log: event.log, newest: event.newest, lastChangeSeq: event.lastChangeSeq, previousMembers: event.previousMembers } : {})),
    noteCommitted: assign(({ event }) => (event.type === 'COMMITTED' ? { committed: event.facts } : {})),
    noteLiveness: assign(({ context, event }) =>
      event.type === 'LIVENESS' ? { managerMissed: event.managerMissed, managerLost: event.managerMissed >= context.settings.missedHeartbeats - 1, silent: event.silent } : {},
    ),
    // `heard` grows in place: every node hears every hello, and a copy per hello cost N³ to form N nodes (issue 14).
    // No one else holds it: the election copies what it starts with, and haveManager starts a fresh one.
    noteParticipant: assign(({ context, event }) => {
      if (event.type !== 'HELLO') return {};
      const p: Participant = { ...event.node, at: event.at, position: event.position };
      context.heard[p.id] = p;
      return { heard: context.heard, now: event.at };
    }),
    lostManager: assign({ managerLost: true, managerMissed: Infinity }),
    // what it heard while looking for a manager is stale once it has one
    haveManager: assign({ managerLost: false, managerMissed: 0, heard: () => ({}) }),
    lead: assign({ managerLost: false, managerMissed: 0 }),
    // a node leads only while in `leading`: what it led must not make it watch itself as
    // manager, refuse takeover promises or answer a takeover "not lost" once it stepped down
    unlead: assign({ leadership: null }),
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
    grantPromise: assign(({ context, event }) => {
      const e = event as { from: string; term: number; to?: string; epoch?: number };
      if (event.type === 'STAND') return { epoch: event.term, promisedTo: context.self.id };
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
      return out.won ? { leadership: { epoch: out.epoch, voters: out.voters, live: out.live, lost: out.lost }, followed: null, handover: null, earlyGrants: [] } : {};
    }),
    chooseSuccessor: assign(({ context }) => ({ successor: successorOf(context) })),
    markLeaving: assign({ leaving: true }),
    markStoreFailing: assign({ storeFailing: true }),
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
  guards: nodeGuards,
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
    storeFailing: false,
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
        // the node's promise to itself, under the rule of every promise (docs/protocol.md 2)
        STAND: [
          { guard: 'mayStandFor', actions: ['grantPromise', { type: 'promise', params: ({ context, event }) => standPromise(context, event) }] },
          { actions: { type: 'refuseStand', params: ({ event }) => standRefusal(event) } },
        ],
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
        // a store that fails cannot make anything durable: nothing more is acked or promised
        STORE_FAILED: { target: '#node.stopped', actions: 'markStoreFailing' },
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
            onDone: [{ guard: 'ballotHeld', target: 'leading', actions: 'assumeLeadership' }, { guard: 'ballotSuperseded', target: 'discovering' }, { target: 'isolated' }],
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
                // its removal goes to the manager; the node stops at once (it cannot log the removal)
                STORE_FAILED: { target: '#node.stopped', actions: ['markStoreFailing', 'submitLeave'] },
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
                STORE_FAILED: { target: '#node.stopped', actions: ['markStoreFailing', 'submitLeave'] },
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
                    onDone: [{ guard: 'ballotHeld', target: '#node.active.leading', actions: 'assumeLeadership' }, { guard: 'ballotSuperseded', target: '#node.active.discovering' }, { target: 'watching' }],
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
                onDone: [{ guard: 'ballotHeld', target: '#node.active.leading', actions: 'assumeLeadership' }, { guard: 'ballotSuperseded', target: '#node.active.discovering' }, { target: 'joining' }],
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
          exit: 'unlead',
          invoke: [
            { src: 'coordinator', id: 'coordinator', systemId: 'coordinator', input: ({ context }) => coordinatorInput(context, formationOf(context)) },
            { src: 'liveness', id: 'liveness', systemId: 'liveness', input: ({ context }) => livenessInput(context, 'manager') },
          ],
          on: {
            EPOCH_RAISED: { guard: 'isRivalEpoch', target: 'discovering', actions: 'noteEpoch' },
            MANAGER_HEARD: { guard: 'outranksUnderNone', target: 'discovering' },
            QUORUM_LOST: 'isolated',
            MEMBERS_FAILED: { actions: 'forwardToCoordinator' },
            // the manager's store failed: it steps down. A handover would need its promise of the
            // next epoch to be durable, which its store cannot make; its backup takes over instead
            STORE_FAILED: { target: '#node.stopped', actions: 'markStoreFailing' },
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
              // a leaving manager that steps down, or whose records in flight never commit, stops, as a leaving member does
              on: {
                DRAINED: 'handingOver',
                QUORUM_LOST: { guard: 'isLeaving', target: '#node.stopped' },
                EPOCH_RAISED: { guard: and(['isRivalEpoch', 'isLeaving']), target: '#node.stopped', actions: 'noteEpoch' },
              },
              after: { leaveTimeout: { guard: 'isLeaving', target: '#node.stopped' } },
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

export type NodeMachine = typeof nodeMachine;
