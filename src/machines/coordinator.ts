/**
 * The GLUP update coordinator (SPEC section 4; docs/protocol.md 4.4, 4.5), invoked on the
 * manager. Its context is the protocol: the queue of submissions, the membership changes
 * waiting for the gate, the batches in flight, each member's match point and unanswered
 * copies. Its first record is the roles record of its epoch; records commit by the commit
 * rule (guard `commitAdvances`); membership changes go one at a time (guard in `nextBatch`).
 * The records and the database stay with the host, which numbers and applies a batch when
 * asked (`sequence`) and answers with SEQUENCED.
 */
import { assign, sendParent, setup } from 'xstate';
import { backupToName, nextBatch, type Submission } from './rules/batch.js';
import { commitNoticeTargets, commitPoint } from './rules/commit.js';
import { appended, committedTo } from './rules/log.js';
import { addition, removal, rolesRecord } from './coordinatorRecords.js';
import { applyMembershipEffect, membershipEffect, previousWhileUncommitted, refusedChange, silentLearners } from './rules/membership.js';

export type { Submission } from './rules/batch.js';
export type { CoordinatorContext, CoordinatorEvent, CoordinatorInput, ShipParams } from './coordinatorTypes.js';
import type { CoordinatorContext, CoordinatorEvent, CoordinatorInput, ShipParams } from './coordinatorTypes.js';

/**
 * Whom the manager ships to and takes acks from: the newest membership, learners, and while a
 * membership change is uncommitted the previous membership too — the commit rule needs a
 * majority of it, so a node the change removes must still get the records and be heard.
 */
const others = (c: CoordinatorContext) => [...othersSet(c)];

/**
 * `others` as a set, built once per membership: every heartbeat answer asks whether its
 * sender is one of them, and building the list each time cost the manager N² per interval
 * (issue 14). The inputs are replaced, never changed, when the membership or learners change.
 */
let othersMemo: { members: object; learners: object; previous: string[]; self: string; set: ReadonlySet<string> } | null = null;
function othersSet(c: CoordinatorContext): ReadonlySet<string> {
  const previous = previousWhileUncommitted(c);
  const m = othersMemo;
  if (m && m.members === c.members && m.learners === c.learners && m.self === c.self && (m.previous === previous || (!m.previous.length && !previous.length))) return m.set;
  const set = new Set([...Object.keys(c.members), ...previous, ...Object.keys(c.learners)]);
  set.delete(c.self);
  othersMemo = { members: c.members, learners: c.learners, previous, self: c.self, set };
  return set;
}

function startingContext(input: CoordinatorInput): CoordinatorContext {
  const c: CoordinatorContext = {
    ...input,
    durable: input.log.lastSeq,
    ownFirstSeq: 0,
    previousMembers: input.previousMembers,
    match: {},
    progress: {},
    copies: {},
    failed: input.lost.filter((id) => input.members[id] && id !== input.self),
    learners: {},
    learnerSilence: {},
    queue: [rolesRecord(input)],
    changes: [],
    sequencing: null,
    batches: [],
    noticeTo: [],
  };
  // the replaced manager's removal waits behind the roles record, like any failed member's
  return { ...c, changes: c.failed.map((id) => removal(c, id, 'failed')) };
}

function pointOf(c: CoordinatorContext): number {
  return commitPoint({
    epoch: c.epoch,
    ownFirstSeq: c.ownFirstSeq || Infinity,
    lastSeq: c.log.lastSeq,
    commitSeq: c.log.commitSeq,
    members: Object.keys(c.members),
    previous: previousWhileUncommitted(c),
    failed: c.failed,
    match: { ...c.match, [c.self]: c.durable },
    quorum: c.quorum,
  });
}

function batchOf(c: CoordinatorContext): Submission[] {
  if (c.sequencing) return [];
  return nextBatch({
    queue: c.queue,
    changes: c.changes,
    batchesInFlight: c.batches.length,
    maxBatches: c.maxBatches,
    window: c.window,
    ownEpochCommitted: c.ownFirstSeq > 0 && c.log.commitSeq >= c.ownFirstSeq,
    lastChangeSeq: c.lastChangeSeq,
    commitSeq: c.log.commitSeq,
  });
}


const queued = (c: CoordinatorContext, id: string) => c.queue.some((s) => s.id === id) || c.changes.some((s) => s.id === id) || !!c.sequencing?.some((s) => s.id === id);

/** What every retransmission interval does, serving or draining. */
const RETRANSMIT = ['countCopies', 'declareFailed', 'dropSilentLearners', { type: 'resend', params: ({ context }: { context: CoordinatorContext }) => resendParams(context) }] as const;

export const coordinatorMachine = setup({
  types: {
    input: {} as CoordinatorInput,
    context: {} as CoordinatorContext,
    events: {} as CoordinatorEvent,
  },
  actions: {
    /** Effect: number, check and apply the batch; append it to the log; answer SEQUENCED (rejections go to their submitters). */
    sequence: (_, _params: { batch: Submission[]; epoch: number }) => {},
    /** Effect: send the log's records `from`..`to` (a snapshot first where the log no longer holds `from`). */
    ship: (_, _params: ShipParams) => {},
    /** Effect: apply records up to `upTo` to node.db, answer their submitters, send the commit notice to `to`. */
    commit: (_, _params: { upTo: number; to: string[] }) => {},
    /** Effect: each lagging node gets the records it lacks, from its own point (one message to it). */
    resend: (_, _params: { targets: { id: string; from: number }[]; to: number }) => {},
    /** Effect: a retried submission that already committed gets its result again. */
    answerCommitted: (_, _params: { origin: string; id: string; seq: number }) => {},
    /** Effect: answer a refused submission with INVALID_OP and the reason. */
    refuseSubmission: (_, _params: { origin: string; id: string; reason: string | null }) => {},
    /** Effect: tell a node that acts as a member that it is not one (it rejoins). */
    tellNotMember: (_, _params: { to: string }) => {},
    takeSubmission: assign(({ context, event }) => {
      if (event.type !== 'SUBMIT' || queued(context, event.submission.id)) return {};
      const effect = membershipEffect(event.submission.op, context.members);
      if (effect.added.length || effect.removed.length) return { changes: [...context.changes, event.submission] };
      return { queue: [...context.queue, event.submission] };
    }),
    startBatch: assign(({ context }) => {
      const batch = batchOf(context);
      const taken = new Set(batch.map((s) => s.id));
      return { sequencing: batch, queue: context.queue.filter((s) => !taken.has(s.id)), changes: context.changes.filter((s) => !taken.has(s.id)) };
    }),
    recordBatch: assign(({ context, event }) => {
      if (event.type !== 'SEQUENCED' || !context.sequencing) return {};
      const accepted = new Map(event.accepted.map((m) => [m.id, m]));
      let { members, backup, lastChangeSeq, ownFirstSeq, previousMembers } = context;
      for (const sub of context.sequencing) {
        const meta = accepted.get(sub.id);
        if (!meta) continue;
        const effect = membershipEffect(sub.op, members);
        if (effect.added.length || effect.removed.length) {
          lastChangeSeq = meta.seq;
          previousMembers = Object.keys(members);
        }
        members = applyMembershipEffect(members, effect);
        const named = (sub.op as { membership?: { backup?: string | null } }).membership?.backup;
        if (named !== undefined) backup = named;
        if (backup && !members[backup]) backup = null;
        if (!ownFirstSeq && meta.epoch === context.epoch) ownFirstSeq = meta.seq;
      }
      const learners = { ...context.learners };
      for (const id of Object.keys(members)) delete learners[id];
      const last = event.accepted[event.accepted.length - 1];
      return {
        sequencing: null,
        log: appended(context.log, event.accepted),
        batches: last ? [...context.batches, last.seq] : context.batches,
        members,
        backup,
        lastChangeSeq,
        previousMembers,
        ownFirstSeq,
        learners,
        failed: context.failed.filter((id) => members[id]),
      };
    }),
    noteWritten: assign(({ context, event }) => (event.type === 'WRITTEN' ? { durable: Math.max(context.durable, event.upTo) } : {})),
    noteAck: assign(({ context, event }) => {
      if (event.type !== 'ACK' || !event.ok) return {};
      const heard = context.learners[event.from] ? { learnerSilence: { ...context.learnerSilence, [event.from]: 0 } } : {};
      return { match: { ...context.match, [event.from]: Math.max(context.match[event.from] ?? 0, event.match) }, copies: { ...context.copies, [event.from]: 0 }, ...heard };
    }),
    advanceCommit: assign(({ context }) => {
      const log = committedTo(context.log, pointOf(context));
      const { self, previousMembers: previous, lastChangeSeq } = context;
      const noticeTo = commitNoticeTargets({ self, members: Object.keys(context.members), previous, lastChangeSeq, before: context.log.commitSeq, after: log.commitSeq });
      return { log, batches: context.batches.filter((s) => s > log.commitSeq), noticeTo };
    }),
    noteJoiner: assign(({ context, event }) => {
      if (event.type !== 'JOIN_REQUEST') return {};
      const from = event.from;
      // where its log matches this one: its last record, else its commit point
      const match = event.lastMatches ? event.position.lastSeq : Math.min(event.position.commitSeq, context.log.commitSeq);
      const member = !!context.members[from];
      const changes = context.changes.filter((s) => !membershipEffect(s.op, context.members).removed.includes(from));
      const stale = member && context.members[from]!.incarnation !== event.node.incarnation;
      return {
        match: { ...context.match, [from]: match },
        copies: { ...context.copies, [from]: 0 },
        failed: context.failed.filter((id) => id !== from),
        changes,
        learners: member ? context.learners : { ...context.learners, [from]: event.node },
        learnerSilence: member ? context.learnerSilence : { ...context.learnerSilence, [from]: 0 },
        // a restarted member: its old processes and ephemeral keys died with it
        queue: stale && !queued(context, `${context.self}:${context.epoch}:refresh:${from}:${event.node.incarnation}`)
          ? [...context.queue, { id: `${context.self}:${context.epoch}:refresh:${from}:${event.node.incarnation}`, origin: context.self, op: { membership: { add: [event.node] } } }]
          : context.queue,
      };
    }),
    queueReadyLearners: assign(({ context }) => {
      const ready = Object.values(context.learners).filter((n) => (context.match[n.id] ?? 0) >= context.log.commitSeq && !queued(context, addition(context, n).id));
      return ready.length ? { changes: [...context.changes, ...ready.map((n) => addition(context, n))] } : {};
    }),
    declareFailed: assign(({ context, event }) => {
      const ids = event.type === 'MEMBERS_FAILED' ? event.ids : silentTargets(context);
      const fresh = ids.filter((id) => !context.failed.includes(id));
      const learners = { ...context.learners };
      for (const id of fresh) delete learners[id];
      const removals = fresh.filter((id) => context.members[id] && id !== context.self).map((id) => removal(context, id, 'failed'));
      return { failed: [...context.failed, ...fresh.filter((id) => context.members[id])], learners, changes: [...context.changes, ...removals.filter((r) => !queued(context, r.id))] };
    }),
    // one more round for every learner; those silent M rounds are dropped with their queued
    // addition (a join request brings a live one back)
    dropSilentLearners: assign(({ context }) => {
      const learnerSilence: Record<string, number> = {};
      for (const id of Object.keys(context.learners)) learnerSilence[id] = (context.learnerSilence[id] ?? 0) + 1;
      const gone = silentLearners(learnerSilence, Object.keys(context.learners), context.missedHeartbeats);
      if (!gone.length) return { learnerSilence };
      const learners = { ...context.learners };
      for (const id of gone) (delete learners[id], delete learnerSilence[id]);
      const changes = context.changes.filter((s) => !membershipEffect(s.op, context.members).added.some((n) => gone.includes(n.id)));
      return { learners, learnerSilence, changes };
    }),
    countCopies: assign(({ context }) => {
      const copies = { ...context.copies };
      // a node that never acked counts too: no progress since the last round is progress 0 again
      for (const id of lagging(context)) copies[id] = (context.progress[id] ?? 0) === (context.match[id] ?? 0) ? (copies[id] ?? 0) + 1 : 1;
      return { copies, progress: { ...context.match } };
    }),
    queueBackup: assign(({ context }) => {
      const backup = backupToName({ self: context.self, backup: context.backup, members: context.members, unfit: context.failed });
      const sub: Submission = { id: `${context.self}:${context.epoch}:backup:${backup}:${context.log.lastSeq}`, origin: context.self, op: { membership: { backup } } };
      return queued(context, sub.id) ? {} : { queue: [sub, ...context.queue] };
    }),
    reportDrained: sendParent({ type: 'DRAINED' }),
  },
  guards: {
    refusedChange: ({ context, event }) => event.type === 'SUBMIT' && refusalOf(context, event).reason !== null,
    alreadyCommitted: ({ context, event }) => event.type === 'SUBMIT' && event.knownSeq !== null && event.knownSeq <= context.log.commitSeq,
    alreadySequenced: ({ event }) => event.type === 'SUBMIT' && event.knownSeq !== null,
    mayBatch: ({ context }) => batchOf(context).length > 0,
    // the commit point never passes the last seq: with nothing uncommitted, no need to count
    commitAdvances: ({ context }) => context.log.lastSeq > context.log.commitSeq && pointOf(context) > context.log.commitSeq,
    nackFromMember: ({ context, event }) => event.type === 'ACK' && !event.ok && othersSet(context).has(event.from),
    notAMember: ({ context, event }) => (event.type === 'ACK' || event.type === 'PING') && !othersSet(context).has(event.from),
    learnersReady: ({ context }) => Object.values(context.learners).some((n) => (context.match[n.id] ?? 0) >= context.log.commitSeq && !queued(context, addition(context, n).id)),
    needsBackup: ({ context }) =>
      context.ownFirstSeq > 0 && !context.sequencing &&
      !context.queue.some((s) => (s.op as { membership?: { backup?: unknown } }).membership?.backup !== undefined) &&
      backupToName({ self: context.self, backup: context.backup, members: context.members, unfit: context.failed }) !== null,
    allCommitted: ({ context }) => !context.sequencing && context.log.commitSeq >= context.log.lastSeq,
  },
  delays: {
    retransmit: ({ context }) => context.retransmitMs,
  },
}).createMachine({
  id: 'coordinator',
  context: ({ input }) => startingContext(input),
  on: {
    SUBMIT: [
      { guard: 'refusedChange', actions: { type: 'refuseSubmission', params: ({ context, event }) => refusalOf(context, event) } },
      { guard: 'alreadyCommitted', actions: { type: 'answerCommitted', params: ({ event }) => answerOf(event) } },
      // numbered already: its commit answers it
      { guard: 'alreadySequenced' },
      { actions: 'takeSubmission' },
    ],
    SEQUENCED: {
      actions: ['recordBatch', { type: 'ship', params: ({ context, event }) => shipNew(context, event) }],
    },
    WRITTEN: { actions: 'noteWritten' },
    ACK: [
      { guard: 'notAMember', actions: { type: 'tellNotMember', params: ({ event }) => ({ to: event.from }) } },
      { guard: 'nackFromMember', actions: { type: 'ship', params: ({ context, event }) => resendTo(context, event) } },
      { actions: 'noteAck' },
    ],
    JOIN_REQUEST: {
      actions: ['noteJoiner', { type: 'ship', params: ({ context, event }) => ({ from: (context.match[(event as { from: string }).from] ?? 0) + 1, to: context.log.lastSeq, targets: [(event as { from: string }).from], all: false }) }],
    },
    MEMBERS_FAILED: { actions: 'declareFailed' },
    PING: { guard: 'notAMember', actions: { type: 'tellNotMember', params: ({ event }) => ({ to: event.from }) } },
  },
  // after every event, in this order: commit what the rule allows, bring learners in, name a
  // backup when there is none, and number the next batch when the pipeline has room
  always: [
    { guard: 'commitAdvances', actions: ['advanceCommit', { type: 'commit', params: ({ context }) => ({ upTo: context.log.commitSeq, to: context.noticeTo }) }] },
    { guard: 'learnersReady', actions: 'queueReadyLearners' },
    { guard: 'needsBackup', actions: 'queueBackup' },
  ],
  initial: 'active',
  states: {
    active: {
      on: { DRAIN: 'draining' },
      always: { guard: 'mayBatch', actions: ['startBatch', { type: 'sequence', params: ({ context }) => ({ batch: context.sequencing ?? [], epoch: context.epoch }) }] },
      initial: 'shipping',
      states: {
        // every retransmitMs: members behind get what they lack; M unanswered copies → failed
        shipping: {
          after: { retransmit: { actions: RETRANSMIT, target: 'shipping', reenter: true } },
        },
      },
    },
    // handing over: nothing new is numbered; what is in flight commits
    // it still re-sends and declares silent members failed, or a lost copy would hold the drain forever
    draining: {
      always: { guard: 'allCommitted', target: 'drained' },
      after: { retransmit: { actions: RETRANSMIT, target: 'draining', reenter: true } },
    },
    drained: { type: 'final', entry: 'reportDrained' },
  },
});

function refusalOf(c: CoordinatorContext, e: CoordinatorEvent) {
  const s = (e as Extract<CoordinatorEvent, { type: 'SUBMIT' }>).submission;
  return { origin: s.origin, id: s.id, reason: refusedChange(s.origin, c.self, s.op, c.members) };
}

function answerOf(e: CoordinatorEvent) {
  const s = e as Extract<CoordinatorEvent, { type: 'SUBMIT' }>;
  return { origin: s.submission.origin, id: s.submission.id, seq: s.knownSeq ?? 0 };
}

function shipNew(c: CoordinatorContext, e: CoordinatorEvent): ShipParams {
  const accepted = e.type === 'SEQUENCED' ? e.accepted : [];
  if (!accepted.length) return { from: 1, to: 0, targets: [], all: false };
  return { from: accepted[0]!.seq, to: accepted[accepted.length - 1]!.seq, targets: others(c), all: true };
}

function resendTo(c: CoordinatorContext, e: CoordinatorEvent): ShipParams {
  const a = e as Extract<CoordinatorEvent, { type: 'ACK' }>;
  return { from: Math.max(a.hint, 0) + 1, to: c.log.lastSeq, targets: [a.from], all: false };
}

function resendParams(c: CoordinatorContext) {
  return { targets: lagging(c).filter((id) => !c.failed.includes(id) || c.members[id]).map((id) => ({ id, from: (c.match[id] ?? 0) + 1 })), to: c.log.lastSeq };
}

/** Members and learners whose match point is behind the log. */
function lagging(c: CoordinatorContext): string[] {
  return others(c).filter((id) => (c.match[id] ?? 0) < c.log.lastSeq);
}

/** Lagging nodes that have let more than M copies go unanswered (the ones not yet declared). */
function silentTargets(c: CoordinatorContext): string[] {
  return lagging(c).filter((id) => (c.copies[id] ?? 0) >= c.missedHeartbeats && !c.failed.includes(id));
}

export type CoordinatorMachine = typeof coordinatorMachine;
