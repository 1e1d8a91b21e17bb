/**
 * The heartbeat flow and failure detection of SPEC section 3 (docs/protocol.md 4.6), one
 * actor per member node. Every heartbeat interval the manager and the backup send a
 * heartbeat; every node counts, per peer, the intervals in which it heard nothing, and
 * reports what the counts mean to the node actor:
 *   manager — MEMBERS_FAILED for members silent M intervals, QUORUM_LOST;
 *   backup  — MANAGER_SUSPECTED when the manager is silent M intervals, QUORUM_LOST;
 *   client  — LEADERS_LOST when manager and backup are both silent M intervals.
 * Every node also reports how long its manager has been silent (LIVENESS), which decides
 * whether it confirms a takeover or grants a pre-vote.
 */
import { assign, sendParent, setup } from 'xstate';
import { closeInterval, hearsMajority, silentFor } from './rules/liveness.js';
import type { QuorumMode } from './rules/majority.js';

export type LivenessRole = 'manager' | 'backup' | 'client';

export interface LivenessInput {
  self: string;
  role: LivenessRole;
  /** The committed membership, this node included. */
  members: string[];
  manager: string | null;
  backup: string | null;
  heartbeatMs: number;
  missedHeartbeats: number;
  quorum: QuorumMode;
}

export interface LivenessContext extends LivenessInput {
  /** Intervals each peer has been silent. */
  missed: Record<string, number>;
  /** Peers heard in the current interval. */
  heard: Record<string, true>;
  /** Members already reported failed (each is reported once). */
  reported: string[];
}

export type LivenessEvent =
  /**
   * A message of the heartbeat flow or of replication from `from`; `leading`: sent as the
   * manager or backup (a heartbeat, an update, a commit) rather than as an answer to one.
   */
  | { type: 'HEARD'; from: string; leading: boolean }
  /** The committed membership or roles changed. */
  | { type: 'MEMBERS'; members: string[]; manager: string | null; backup: string | null };

/** Messages the node actor receives from this one. */
export type LivenessReport =
  | { type: 'MEMBERS_FAILED'; ids: string[] }
  | { type: 'MANAGER_SUSPECTED' }
  | { type: 'LEADERS_LOST' }
  | { type: 'QUORUM_LOST' }
  /** `silent`: the peers not heard in the last interval (a leaving manager hands over to a live one). */
  | { type: 'LIVENESS'; managerMissed: number; silent: string[] };

export interface HeartbeatParams {
  role: 'manager' | 'backup';
  /** Unicast heartbeats go to these members; multicast publishes once. */
  members: string[];
}

/**
 * Whose silence this node counts. A client decides only on the manager and the backup
 * (`leadersSilent`, `managerMissed`) and hears no other member (answers go to the leaders),
 * so it counts those two alone: counting every member made each client do work in
 * proportion to the cluster every interval, N² for the cluster (issue 14).
 */
function peersOf(c: Pick<LivenessContext, 'self' | 'role' | 'members' | 'manager' | 'backup'>): string[] {
  const peers = new Set(c.role === 'client' ? [] : c.members);
  if (c.manager) peers.add(c.manager);
  if (c.backup) peers.add(c.backup);
  peers.delete(c.self);
  return [...peers];
}

const missedOf = (c: LivenessContext, id: string | null) => (id ? (c.missed[id] ?? 0) : Infinity);

export const livenessMachine = setup({
  types: {
    input: {} as LivenessInput,
    context: {} as LivenessContext,
    events: {} as LivenessEvent,
  },
  actions: {
    /** Effect: one heartbeat {epoch, commitSeq, lastSeq, membershipSeq} to every member. */
    sendHeartbeat: (_, _params: HeartbeatParams) => {},
    countInterval: assign(({ context }) => ({
      missed: closeInterval(context.missed, Object.keys(context.heard), peersOf(context)),
      heard: {},
    })),
    // the manager and backup a node watches are alive when they lead, not when they answer:
    // a restarted manager acking the backup's heartbeats is no manager.
    // `heard` is this interval's own record (countInterval starts a fresh one and nothing else
    // keeps it), so it grows in place: a copy per answer cost the manager N² per interval.
    noteHeard: assign({
      heard: ({ context, event }) => {
        if (event.type !== 'HEARD' || context.heard[event.from]) return context.heard;
        const watchedLeader = context.role !== 'manager' && (event.from === context.manager || event.from === context.backup);
        if (!(watchedLeader && !event.leading)) context.heard[event.from] = true;
        return context.heard;
      },
    }),
    noteMembers: assign(({ context, event }) => {
      if (event.type !== 'MEMBERS') return {};
      const reported = context.reported.filter((id) => event.members.includes(id));
      return { members: event.members, manager: event.manager, backup: event.backup, reported };
    }),
    reportFailed: sendParent(({ context }) => ({
      type: 'MEMBERS_FAILED',
      ids: silentFor(context.missed, context.members.filter((m) => m !== context.self && !context.reported.includes(m)), context.missedHeartbeats),
    })),
    markReported: assign({
      reported: ({ context }) => [...context.reported, ...silentFor(context.missed, context.members.filter((m) => m !== context.self), context.missedHeartbeats).filter((m) => !context.reported.includes(m))],
    }),
    reportSuspected: sendParent({ type: 'MANAGER_SUSPECTED' }),
    reportLeadersLost: sendParent({ type: 'LEADERS_LOST' }),
    reportQuorumLost: sendParent({ type: 'QUORUM_LOST' }),
    reportManagerMissed: sendParent(({ context }) => ({
      type: 'LIVENESS',
      managerMissed: context.manager && context.manager !== context.self ? (context.missed[context.manager] ?? 0) : 0,
      silent: silentFor(context.missed, peersOf(context), 1),
    })),
  },
  guards: {
    /** Fewer than a majority heard within M − 1 intervals: a manager or backup stops acting first. */
    majorityUnheard: ({ context: c }) => !hearsMajority(c.missed, c.members, c.self, c.missedHeartbeats - 1, c.quorum),
    membersNewlySilent: ({ context: c }) =>
      silentFor(c.missed, c.members.filter((m) => m !== c.self && !c.reported.includes(m)), c.missedHeartbeats).length > 0,
    /** Suspected again every interval it stays silent: a takeover that found no majority is retried. */
    managerSilent: ({ context: c }) => missedOf(c, c.manager) >= c.missedHeartbeats,
    /** A backup whose takeover no majority confirms for 2M intervals joins an election instead. */
    managerSilentTooLong: ({ context: c }) => missedOf(c, c.manager) >= 2 * c.missedHeartbeats,
    leadersSilent: ({ context: c }) => missedOf(c, c.manager) >= c.missedHeartbeats && missedOf(c, c.backup) >= c.missedHeartbeats,
    isManager: ({ context }) => context.role === 'manager',
    isBackup: ({ context }) => context.role === 'backup',
  },
  delays: {
    heartbeatInterval: ({ context }) => context.heartbeatMs,
  },
}).createMachine({
  id: 'liveness',
  context: ({ input }) => ({ ...input, missed: {}, heard: {}, reported: [] }),
  on: {
    HEARD: { actions: 'noteHeard' },
    MEMBERS: { actions: 'noteMembers' },
  },
  initial: 'starting',
  states: {
    starting: {
      always: [{ guard: 'isManager', target: 'manager' }, { guard: 'isBackup', target: 'backup' }, { target: 'client' }],
    },
    manager: {
      initial: 'beating',
      states: {
        // the first heartbeat leaves at once: a new manager announces first
        beating: {
          entry: { type: 'sendHeartbeat', params: ({ context }) => ({ role: 'manager' as const, members: context.members }) },
          after: { heartbeatInterval: 'closingInterval' },
        },
        closingInterval: {
          entry: ['countInterval', 'reportManagerMissed'],
          always: [
            { guard: 'majorityUnheard', target: '#liveness.quorumLost' },
            { guard: 'membersNewlySilent', actions: ['reportFailed', 'markReported'], target: 'beating' },
            { target: 'beating' },
          ],
        },
      },
    },
    backup: {
      initial: 'beating',
      states: {
        beating: {
          entry: { type: 'sendHeartbeat', params: ({ context }) => ({ role: 'backup' as const, members: context.members }) },
          after: { heartbeatInterval: 'closingInterval' },
        },
        closingInterval: {
          entry: ['countInterval', 'reportManagerMissed'],
          always: [
            { guard: 'majorityUnheard', target: '#liveness.quorumLost' },
            { guard: 'managerSilentTooLong', actions: 'reportLeadersLost', target: 'beating' },
            { guard: 'managerSilent', actions: 'reportSuspected', target: 'beating' },
            { target: 'beating' },
          ],
        },
      },
    },
    client: {
      initial: 'listening',
      states: {
        listening: { after: { heartbeatInterval: 'closingInterval' } },
        closingInterval: {
          entry: ['countInterval', 'reportManagerMissed'],
          always: [{ guard: 'leadersSilent', actions: 'reportLeadersLost', target: 'listening' }, { target: 'listening' }],
        },
      },
    },
    quorumLost: { type: 'final', entry: 'reportQuorumLost' },
  },
});

export type LivenessMachine = typeof livenessMachine;
