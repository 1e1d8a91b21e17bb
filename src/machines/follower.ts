/**
 * The member side of GLUP (SPEC section 4; docs/protocol.md 4.1, 4.4), on every node that
 * follows a manager — clients, the backup, and a node joining. It appends the manager's
 * records when they continue its log (log matching), cuts a divergent uncommitted tail,
 * writes before it acks, answers a mismatch with where to resend from, and commits only
 * what the current manager says is committed and it has compared with that manager's log.
 * The records themselves stay with the host (the replica); this actor holds the log's index.
 */
import { and, assign, not, raise, sendParent, setup } from 'xstate';
import { appended, committedTo, matchAppend, truncated, type LogIndex, type RecordMeta } from './rules/log.js';

export interface FollowerInput {
  self: string;
  manager: string;
  /** The manager's epoch. */
  epoch: number;
  log: LogIndex;
}

type UpdateEvent = Extract<FollowerEvent, { type: 'UPDATE' }>;

/** Updates that arrived ahead of a gap, kept until the gap is filled (bounded). */
const MAX_BUFFERED = 32;

export interface FollowerContext extends FollowerInput {
  /** Updates that came before the records they follow, by the seq they follow. */
  buffered: Record<number, UpdateEvent>;
  /** The log's end when this node last asked for a gap to be filled: it asks once per gap. */
  askedAt: number;
  /** This log matches the current manager's up to here (the committed prefix matches everyone's). */
  match: number;
  /** Written to the store up to here. */
  durable: number;
  /** The commit point the current manager announced. */
  leaderCommit: number;
}

export type FollowerEvent =
  | { type: 'UPDATE'; from: string; epoch: number; prev: RecordMeta; metas: RecordMeta[]; records: unknown[]; commitSeq: number }
  /** A commit notice, or a heartbeat's commit point. */
  | { type: 'COMMIT_NOTICE'; from: string; epoch: number; commitSeq: number }
  | { type: 'SNAPSHOT'; from: string; epoch: number; seq: number; snapshotEpoch: number; snapshot: unknown; commitSeq: number }
  /** The store holds the log up to `upTo` (host, after a write). */
  | { type: 'WRITTEN'; upTo: number }
  /** A snapshot replaced the log (host). */
  | { type: 'SNAPSHOT_INSTALLED'; log: LogIndex }
  /** The node follows another manager now. */
  | { type: 'FOLLOW'; manager: string; epoch: number }
  /** The log changed outside this actor (a catch-up before a ballot): take its index. */
  | { type: 'RESYNC'; log: LogIndex };

export interface WriteParams {
  truncateAfter: number | null;
  records: unknown[];
  upTo: number;
}

export interface AckParams {
  to: string;
  ok: boolean;
  match: number;
  hint: number;
}

const planOf = (c: FollowerContext, e: FollowerEvent) =>
  e.type === 'UPDATE' ? matchAppend(c.log, e.prev, e.metas) : null;

const fromManager = (c: FollowerContext, e: { from: string; epoch: number }) => e.from === c.manager && e.epoch === c.epoch;

const acked = (c: FollowerContext) => Math.min(c.match, c.durable);

/** How far this node may commit: announced, compared with this manager, and durable here. */
const commitLimit = (c: FollowerContext) => Math.min(c.leaderCommit, acked(c));

export const followerMachine = setup({
  types: {
    input: {} as FollowerInput,
    context: {} as FollowerContext,
    events: {} as FollowerEvent,
  },
  actions: {
    /** Effect: cut the log after `truncateAfter` (when given), append `records`, report WRITTEN once durable. */
    writeRecords: (_, _params: WriteParams) => {},
    /** Effect: `update-ack` to the manager. */
    sendAck: (_, _params: AckParams) => {},
    /** Effect: apply committed records up to `upTo` to node.db, in order. */
    commit: (_, _params: { upTo: number }) => {},
    /** Effect: replace the log and database with the manager's snapshot; report SNAPSHOT_INSTALLED. */
    installSnapshot: (_, _params: { snapshot: unknown }) => {},
    /** Effect: a different record at a committed seq (refused, never acked). */
    refuseConflict: (_, _params: { seq: number; from: string }) => {},
    follow: assign(({ context, event }) => {
      if (event.type !== 'FOLLOW' && event.type !== 'UPDATE' && event.type !== 'SNAPSHOT') return {};
      const manager = event.type === 'FOLLOW' ? event.manager : event.from;
      return { manager, epoch: event.epoch, match: context.log.commitSeq, leaderCommit: context.log.commitSeq, buffered: {} };
    }),
    planAppend: assign(({ context, event }) => {
      const plan = planOf(context, event);
      if (!plan || plan.kind !== 'append' || event.type !== 'UPDATE') return {};
      let log = plan.truncateAfter === null ? context.log : truncated(context.log, plan.truncateAfter);
      log = appended(log, event.metas.slice(plan.held));
      const durable = plan.truncateAfter === null ? context.durable : Math.min(context.durable, plan.truncateAfter);
      // buffered updates the log has passed are of no use any more
      const buffered = Object.fromEntries(Object.entries(context.buffered).filter(([k]) => Number(k) >= log.lastSeq));
      return { log, durable, match: Math.max(context.match, plan.match), leaderCommit: Math.max(context.leaderCommit, event.commitSeq), buffered };
    }),
    buffer: assign(({ context, event }) => {
      if (event.type !== 'UPDATE') return {};
      const buffered = { ...context.buffered, [event.prev.seq]: event };
      const keys = Object.keys(buffered).map(Number).sort((a, b) => a - b);
      while (keys.length > MAX_BUFFERED) delete buffered[keys.pop()!];
      return { buffered };
    }),
    unbufferNext: assign(({ context }) => {
      const buffered = { ...context.buffered };
      delete buffered[context.log.lastSeq];
      return { buffered };
    }),
    noteWritten: assign(({ context, event }) => (event.type === 'WRITTEN' ? { durable: Math.max(context.durable, Math.min(event.upTo, context.log.lastSeq)) } : {})),
    noteCommit: assign(({ context, event }) =>
      event.type === 'COMMIT_NOTICE' ? { leaderCommit: Math.max(context.leaderCommit, event.commitSeq) } : {},
    ),
    advanceCommit: assign(({ context }) => ({ log: committedTo(context.log, commitLimit(context)) })),
    snapshotInstalled: assign(({ event }) =>
      event.type === 'SNAPSHOT_INSTALLED' ? { log: event.log, durable: event.log.lastSeq, match: event.log.lastSeq, leaderCommit: event.log.commitSeq } : {},
    ),
    reportConflict: sendParent(({ event }) => ({ type: 'LOG_CONFLICT', from: (event as { from: string }).from })),
  },
  guards: {
    fromNewerManager: ({ context, event }) =>
      (event.type === 'UPDATE' || event.type === 'SNAPSHOT') && event.epoch > context.epoch,
    newManager: ({ context, event }) => event.type === 'FOLLOW' && (event.manager !== context.manager || event.epoch !== context.epoch),
    fromManager: ({ context, event }) =>
      (event.type === 'UPDATE' || event.type === 'COMMIT_NOTICE' || event.type === 'SNAPSHOT') && fromManager(context, event),
    appends: ({ context, event }) => planOf(context, event)?.kind === 'append',
    /** Everything sent is held and written already: ack at once. */
    nothingToWrite: ({ context, event }) => {
      const plan = planOf(context, event);
      return plan?.kind === 'append' && event.type === 'UPDATE' && plan.truncateAfter === null && plan.held === event.metas.length && context.durable >= plan.match;
    },
    mismatch: ({ context, event }) => planOf(context, event)?.kind === 'mismatch',
    /** The records follow ones this node has not received yet (a reordered or lost message). */
    gap: ({ context, event }) => event.type === 'UPDATE' && event.prev.seq > context.log.lastSeq,
    newGap: ({ context, event }) => event.type === 'UPDATE' && event.prev.seq > context.log.lastSeq && context.askedAt !== context.log.lastSeq,
    bufferedContinues: ({ context }) => context.buffered[context.log.lastSeq] !== undefined,
    allWritten: ({ context }) => context.durable >= context.log.lastSeq,
    noGap: ({ context }) => Object.keys(context.buffered).length === 0 && context.durable >= context.log.lastSeq,
    newerSnapshot: ({ context, event }) => event.type === 'SNAPSHOT' && event.seq > context.log.commitSeq,
    mayCommit: ({ context }) => commitLimit(context) > context.log.commitSeq,
  },
}).createMachine({
  id: 'follower',
  context: ({ input }) => ({ ...input, match: input.log.commitSeq, durable: input.log.lastSeq, leaderCommit: input.log.commitSeq, buffered: {}, askedAt: -1 }),
  // after every event: commit what the manager announced and this node compared and wrote,
  // and take up a buffered update that now continues the log
  always: [
    { guard: 'mayCommit', actions: ['advanceCommit', { type: 'commit', params: ({ context }) => ({ upTo: context.log.commitSeq }) }] },
    { guard: 'bufferedContinues', actions: [raise(({ context }) => context.buffered[context.log.lastSeq]!), 'unbufferNext'] },
  ],
  on: {
    // already following it (its records came first): what was compared stays compared
    FOLLOW: { guard: 'newManager', actions: 'follow', target: '.inStep' },
    RESYNC: { actions: assign(({ context, event }) => ({ log: event.log, durable: event.log.lastSeq, match: Math.min(context.match, event.log.commitSeq) })) },
    UPDATE: [
      // a new manager's first records: follow it, then take them as from the manager
      { guard: 'fromNewerManager', actions: ['follow', raise(({ event }) => event)], target: '.inStep' },
      // from an older manager, or another of the same epoch (quorum none): not followed
      { guard: not('fromManager') },
      { guard: 'nothingToWrite', actions: ['planAppend', { type: 'sendAck', params: ({ context }) => ({ to: context.manager, ok: true, match: acked(context), hint: 0 }) }] },
      // append before ack: the ack goes once the store holds the records
      {
        guard: 'appends',
        actions: [{ type: 'writeRecords', params: ({ context, event }) => writeParams(context, event) }, 'planAppend'],
        target: '.writing',
      },
      // a gap: keep these for when it fills, and ask for what is missing (once per gap)
      {
        guard: 'newGap',
        actions: ['buffer', { type: 'sendAck', params: ({ context, event }) => ({ to: context.manager, ok: false, match: 0, hint: mismatchHint(context, event) }) }, assign({ askedAt: ({ context }) => context.log.lastSeq })],
        target: '.behind',
      },
      { guard: 'gap', actions: 'buffer', target: '.behind' },
      // the log holds other records where these follow on: the manager sends from further back
      {
        guard: 'mismatch',
        actions: { type: 'sendAck', params: ({ context, event }) => ({ to: context.manager, ok: false, match: 0, hint: mismatchHint(context, event) }) },
      },
      { actions: [{ type: 'refuseConflict', params: ({ context, event }) => ({ seq: conflictSeq(context, event), from: (event as { from: string }).from }) }, 'reportConflict'] },
    ],
    WRITTEN: {
      actions: ['noteWritten', { type: 'sendAck', params: ({ context }) => ({ to: context.manager, ok: true, match: acked(context), hint: 0 }) }],
    },
    COMMIT_NOTICE: { guard: 'fromManager', actions: 'noteCommit' },
    SNAPSHOT: [
      { guard: 'fromNewerManager', actions: ['follow', raise(({ event }) => event)], target: '.inStep' },
      { guard: not('fromManager') },
      { guard: 'newerSnapshot', actions: { type: 'installSnapshot', params: ({ event }) => ({ snapshot: (event as { snapshot: unknown }).snapshot }) }, target: '.installing' },
    ],
  },
  initial: 'inStep',
  states: {
    // the log matches the manager's as far as it was sent and is written
    inStep: {},
    writing: {
      always: { guard: 'allWritten', target: 'inStep' },
    },
    // records came before the ones they follow: buffered until the gap fills
    behind: {
      always: { guard: 'noGap', target: 'inStep' },
    },
    installing: {
      on: {
        // the manager sends a snapshot again each retransmission until this one is acked; a
        // lagging node that started each one anew never finished any (a chaos run's joiner);
        // what it lacks after this one comes as records. A newer manager's goes to the root.
        SNAPSHOT: { guard: and(['fromManager', not('fromNewerManager')]) },
        SNAPSHOT_INSTALLED: {
          actions: ['snapshotInstalled', { type: 'sendAck', params: ({ context }) => ({ to: context.manager, ok: true, match: acked(context), hint: 0 }) }],
          target: 'inStep',
        },
      },
    },
  },
});

function writeParams(c: FollowerContext, e: FollowerEvent): WriteParams {
  const plan = planOf(c, e);
  if (!plan || plan.kind !== 'append' || e.type !== 'UPDATE') return { truncateAfter: null, records: [], upTo: c.log.lastSeq };
  return { truncateAfter: plan.truncateAfter, records: e.records.slice(plan.held), upTo: plan.match };
}

function mismatchHint(c: FollowerContext, e: FollowerEvent): number {
  const plan = planOf(c, e);
  return plan?.kind === 'mismatch' ? plan.hint : c.log.commitSeq;
}

function conflictSeq(c: FollowerContext, e: FollowerEvent): number {
  const plan = planOf(c, e);
  return plan?.kind === 'conflict' ? plan.seq : 0;
}

export type FollowerMachine = typeof followerMachine;
