/**
 * The node life cycle of SPEC section 3 as a pure statechart:
 *   idle → discovering → (electing | joining) → member.{client | backup | manager} → leaving → stopped
 * plus isolated. The machine decides WHEN; the runtime (src/actors/runtime.ts) supplies every
 * effect and every data-dependent decision through the named actions, guards and actors
 * below (`.provide()`), so the same chart runs in simulation, over NATS and in `glup viz`.
 * Protocol data (membership, log, acks) lives with the runtime, not in this context: the
 * context holds only what the timers need.
 */
import { setup, fromCallback } from 'xstate';

export interface NodeTiming {
  discoveryMs: number;
  electionMs: number;
  retransmitMs: number;
  confirmMs: number;
  joinTimeoutMs: number;
  leaveTimeoutMs: number;
  tickMs: number;
}

export interface NodeMachineContext {
  id: string;
  timing: NodeTiming;
}

export type MemberRole = 'client' | 'backup' | 'manager';

export type NodeMachineEvent =
  | { type: 'START' }
  | { type: 'TICK' }
  /** An announce or heartbeat of a manager backed by a majority (and not fenced off). */
  | { type: 'MANAGER_HEARD' }
  | { type: 'ELECTION_WON' }
  /** This node applied a committed membership that contains it. */
  | { type: 'JOINED'; role: MemberRole }
  /** A committed update changed this member's role. */
  | { type: 'ROLE'; role: MemberRole }
  /** The committed membership no longer contains this node (it was removed while alive). */
  | { type: 'REMOVED' }
  | { type: 'QUORUM_LOST' }
  /** Manager and backup both silent for missedHeartbeats intervals. */
  | { type: 'LEADERS_LOST' }
  | { type: 'MANAGER_SUSPECTED' }
  | { type: 'TAKEOVER_CONFIRMED' }
  | { type: 'TAKEOVER_DENIED' }
  /** The manager handed its role to this node (leave or switchover). */
  | { type: 'HANDOVER' }
  /** An isolated node hears enough nodes to form a majority. */
  | { type: 'MAJORITY_VISIBLE' }
  | { type: 'LEAVE' }
  /** Graceful handover of the manager role to `to` (a qualified member). */
  | { type: 'SWITCHOVER'; to: string }
  /** The coordinator drained and the successor has the role; `leaving` tells leave from switchover. */
  | { type: 'HANDED_OVER'; leaving: boolean }
  | { type: 'LEFT' }
  | { type: 'STOP' };

const noop = () => {};

export const nodeMachine = setup({
  types: {
    context: {} as NodeMachineContext,
    events: {} as NodeMachineEvent,
    input: {} as { id: string; timing: NodeTiming },
  },
  actors: {
    /** Sends TICK every timing.tickMs on the injected clock; supplied by the runtime. */
    ticker: fromCallback<{ type: 'TICK' }, { tickMs: number }>(() => noop),
    /** The update coordinator (src/machines/coordinator.ts) hosted by the runtime. */
    coordinator: fromCallback(() => noop),
  },
  actions: {
    sendHello: noop,
    onTick: noop,
    standForElection: noop,
    becomeElectedManager: noop,
    sendJoinRequest: noop,
    sendConfirmRequest: noop,
    takeOver: noop,
    acceptHandover: noop,
    enterIsolation: noop,
    startLeave: noop,
    beginHandover: noop,
    stopRuntime: noop,
    resetMembership: noop,
  },
  guards: {
    roleIsManager: ({ event }) => (event as { role?: string }).role === 'manager',
    roleIsBackup: ({ event }) => (event as { role?: string }).role === 'backup',
    isLeaving: ({ event }) => (event as { leaving?: boolean }).leaving === true,
    /** Enough nodes answered the election to try again rather than go isolated. */
    majorityReachable: () => false,
  },
  delays: {
    discovery: ({ context }) => context.timing.discoveryMs,
    election: ({ context }) => context.timing.electionMs,
    retransmit: ({ context }) => context.timing.retransmitMs,
    confirm: ({ context }) => context.timing.confirmMs,
    joinTimeout: ({ context }) => context.timing.joinTimeoutMs,
    leaveTimeout: ({ context }) => context.timing.leaveTimeoutMs,
  },
}).createMachine({
  id: 'node',
  context: ({ input }) => ({ id: input.id, timing: input.timing }),
  initial: 'idle',
  states: {
    idle: {
      on: { START: 'active', STOP: 'stopped' },
    },
    active: {
      invoke: { src: 'ticker', id: 'ticker', input: ({ context }) => ({ tickMs: context.timing.tickMs }) },
      on: {
        TICK: { actions: 'onTick' },
        STOP: '#node.stopped',
        LEAVE: '.leaving',
      },
      initial: 'discovering',
      states: {
        discovering: {
          entry: 'sendHello',
          after: { discovery: 'electing' },
          on: { MANAGER_HEARD: 'joining', JOINED: joinedTargets('') },
        },
        electing: {
          entry: 'standForElection',
          after: {
            election: [
              { guard: 'majorityReachable', target: 'electing', reenter: true },
              { target: 'isolated' },
            ],
          },
          on: {
            ELECTION_WON: { target: 'member.manager', actions: 'becomeElectedManager' },
            MANAGER_HEARD: 'joining',
            JOINED: joinedTargets(''),
          },
        },
        joining: {
          // the join timeout belongs to the whole stay; only the request is re-sent
          after: { joinTimeout: 'discovering' },
          on: { JOINED: joinedTargets('') },
          initial: 'requesting',
          states: {
            requesting: {
              entry: 'sendJoinRequest',
              after: { retransmit: { target: 'requesting', reenter: true } },
            },
          },
        },
        member: {
          initial: 'client',
          on: {
            REMOVED: { target: 'joining', actions: 'resetMembership' },
            QUORUM_LOST: 'isolated',
            ROLE: joinedTargets('member.'),
          },
          states: {
            client: {
              on: { LEADERS_LOST: '#node.active.electing', HANDOVER: { target: 'manager', actions: 'acceptHandover' } },
            },
            backup: {
              initial: 'watching',
              // a backup that cannot take over (no majority confirms) joins an election instead
              on: { HANDOVER: { target: 'manager', actions: 'acceptHandover' }, LEADERS_LOST: '#node.active.electing' },
              states: {
                watching: { on: { MANAGER_SUSPECTED: 'confirming' } },
                confirming: {
                  entry: 'sendConfirmRequest',
                  after: { confirm: 'watching' },
                  on: {
                    TAKEOVER_CONFIRMED: { target: '#node.active.member.manager', actions: 'takeOver' },
                    TAKEOVER_DENIED: 'watching',
                  },
                },
              },
            },
            manager: {
              invoke: { src: 'coordinator', id: 'coordinator', systemId: 'coordinator' },
              on: {
                // a leaving manager hands over first, so there is no gap in which updates fail
                LEAVE: { actions: 'beginHandover' },
                SWITCHOVER: { actions: 'beginHandover' },
                HANDED_OVER: [{ guard: 'isLeaving', target: '#node.active.leaving' }, { target: 'client' }],
              },
            },
          },
        },
        isolated: {
          entry: 'enterIsolation',
          after: { discovery: { target: 'isolated', reenter: true } },
          on: {
            MANAGER_HEARD: 'joining',
            MAJORITY_VISIBLE: 'electing',
            JOINED: joinedTargets(''),
          },
        },
        leaving: {
          entry: 'startLeave',
          on: { LEFT: '#node.stopped', LEAVE: {} },
          after: { leaveTimeout: '#node.stopped' },
        },
      },
    },
    stopped: {
      type: 'final',
      entry: 'stopRuntime',
    },
  },
});

/** Where JOINED/ROLE lead: the member state matching the committed role. */
function joinedTargets(prefix: '' | 'member.') {
  const base = prefix === '' ? '#node.active.member' : '#node.active.member';
  return [
    { guard: 'roleIsManager' as const, target: `${base}.manager` },
    { guard: 'roleIsBackup' as const, target: `${base}.backup` },
    { target: `${base}.client` },
  ];
}

export type NodeMachine = typeof nodeMachine;
