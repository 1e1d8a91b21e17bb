/**
 * Watches one scenario run from the outside (runScenario's hooks) and turns what the nodes
 * show — role, update and group-view events, `db`, `committedSeq`, metrics, logged errors —
 * into the observations the invariant checkers take (src/sim/invariants*.ts). Only the
 * public surface of a node is read (SPEC section 11), so the simulator keeps working when
 * the core behind it is replaced.
 */
import type { InspectionEvent as XInspectionEvent } from 'xstate';
import type { GlupNode, GroupView, Role } from '../actors/types.js';
import type { ClusterDb, UpdateRecord } from '../db/types.js';
import type { Logger } from '../log.js';
import type { RunHooks, StepOutcome } from '../scenario/run.js';
import { stepKind, type Step } from '../scenario/types.js';
import { groupViewsOf } from './groupViews.js';
import {
  checkAckedUpdates,
  checkCommittedPrefix,
  checkFinalStates,
  checkNoCrash,
  checkOneManagerPerEpoch,
  checkSettled,
  dbDigest,
  INVARIANT_NUMBER,
  type AckObservation,
  type CommitObservation,
  type CrashObservation,
  type FinalNodeObservation,
  type ManagerObservation,
  type Violation,
} from './invariants.js';
import { checkGroupViews, checkRemovedMembersGone, type GroupViewObservation, type RemovalObservation, type ViewAnnouncement } from './invariantGroups.js';
import { checkMembershipSteps, type MembershipObservation } from './invariantMembership.js';
import { checkActorChains, type ActorAckObservation, type ActorCommitObservation } from './invariantActors.js';
import { actorCommitOf } from '../actors/hosted/records.js';
import { settleOwed } from './settleOwed.js';
import type { LogPosition } from '../machines/rules/log.js';

export interface StepRecord {
  ok: boolean;
  code?: string;
  error?: string;
}

/** Where the run's frame sits: the settle and the closing expect (src/sim/closing.ts). */
export interface RunFrame {
  initialMembers: readonly string[];
  qualified: ReadonlyMap<string, boolean>;
  settleStep: number;
  finalStep: number;
}

export interface RunObserver {
  hooks: RunHooks;
  /** Outcome of each step that ran, by index (failed updates carry their error code). */
  steps: Map<number, StepRecord>;
  /** Virtual time of the last step's end. */
  simulatedMs(): number;
  /** How much was observed (tests check the checkers were fed). */
  counts(): { managers: number; commits: number; acks: number; crashes: number; views: number; memberships: number; actorCommits: number; actorAcks: number };
  /** Every violation seen, once the run is over. */
  violations(extra?: Violation[]): Violation[];
  /** Why the run's settle was not owed (src/sim/settleOwed.ts), when it failed and was not. */
  settleNotOwed(): string | null;
}

/** A node as the observer reads it: the public API, plus the clock where the core offers one. */
type ObservedNode = GlupNode & { readonly clock?: { now(): number } };

/**
 * What a node's ballots are decided on, which the public surface does not show: its log's
 * position and the newest membership in its log, committed or not. The simulator runs the
 * nodes in this process (src/actors/runtime.ts), so it reads them from the runtime.
 */
interface BallotFacts {
  facts(): { qualified: boolean };
  position(): LogPosition;
  readonly replica: { newestMembers(): Record<string, unknown>; uncommittedPrevious(): string[] };
}

function ballotView(n: ObservedNode): { qualified: boolean; position: LogPosition; newest: string[]; previous: string[] } {
  const b = n as unknown as BallotFacts;
  return { qualified: b.facts().qualified, position: b.position(), newest: Object.keys(b.replica.newestMembers()), previous: b.replica.uncommittedPrevious() };
}

const MAY_FAIL = new Set(['update', 'join', 'leave', 'send', 'ask', 'tell']);

export function observeRun(frame: RunFrame, extra: { onInspect?: (e: XInspectionEvent) => void } = {}): RunObserver {
  const managers: ManagerObservation[] = [];
  const commits: CommitObservation[] = [];
  const acks: AckObservation[] = [];
  const crashes: CrashObservation[] = [];
  const groupViews: GroupViewObservation[] = [];
  const announced: ViewAnnouncement[] = [];
  const removals: RemovalObservation[] = [];
  const memberships: MembershipObservation[] = [];
  const actorCommits: ActorCommitObservation[] = [];
  const actorAcks: ActorAckObservation[] = [];
  const committedSeqs = new Set<number>();
  const stepViolations: Violation[] = [];
  const incarnations = new Map<string, number>();
  const nodes = new Map<string, ObservedNode>();
  const stopped = new Set<string>();
  const handlerErrorsSeen = new Map<ObservedNode, number>();
  const steps = new Map<number, StepRecord>();
  let final: ReturnType<typeof snapshotFinal> | null = null;
  let notOwed: string | null = null;
  let lastT = 0;

  const logger = (bindings: Record<string, unknown>): Logger => ({
    debug: () => {},
    info: () => {},
    warn: () => {},
    // the runtime logs what a handler threw instead of crashing: to the simulator that is a crash
    error: (msg, fields) => crashes.push({ node: String(bindings.node ?? '?'), what: `${msg} ${fields ? JSON.stringify(fields) : ''}`.trim(), t: lastT }),
    child: (b) => logger({ ...bindings, ...b }),
  });

  const onNode = (id: string, node: ObservedNode) => {
    const incarnation = (incarnations.get(id) ?? 0) + 1;
    incarnations.set(id, incarnation);
    nodes.set(id, node);
    handlerErrorsSeen.set(node, 0);
    const now = () => node.clock?.now() ?? lastT;
    // per incarnation: the views and membership its last commit left
    let lastMembers: string[] = [];
    let lastViews = new Map<string, number>();
    let lastDb: ClusterDb | null = null;
    node.on('role', (role: Role) => {
      if (role === 'manager') managers.push({ node: id, epoch: node.epoch, t: now() });
    });
    const onUpdate = (rec: UpdateRecord, dbAt?: () => ClusterDb) => {
      // the database right after this record (the core makes it on demand; node.db when it does not)
      const db = dbAt ? dbAt() : node.db;
      const t = now();
      commits.push({ node: id, incarnation, seq: rec.seq, epoch: rec.epoch, id: rec.id, origin: rec.origin, dbDigest: dbDigest(db), t });
      if (!committedSeqs.has(rec.seq)) {
        committedSeqs.add(rec.seq);
        const actor = actorCommitOf(rec);
        if (actor) actorCommits.push({ seq: rec.seq, type: actor.type, key: actor.key, version: actor.version, by: actor.by, seen: actor.seen, t });
      }
      if ('membership' in rec.op) {
        const m = rec.op.membership;
        // a committed manager change names the manager of its epoch, as every node saw it
        if (m.manager) managers.push({ node: m.manager, epoch: m.epoch ?? db.meta.epoch, t });
        const removed = (m.remove ?? []).map((r) => r.id);
        if (removed.length) {
          const gone = new Set(removed);
          const leftovers = groupViewsOf(db).flatMap((v) => v.members.filter((mid) => gone.has(mid.slice(mid.lastIndexOf('@') + 1))).map((mid) => `${v.group}:${mid}`));
          removals.push({ node: id, seq: rec.seq, removed, leftovers, t });
        }
      }
      // every seq's membership, for the comparison with the next one (unchanged lists are shared)
      lastMembers = lastDb && db.nodes === lastDb.nodes ? lastMembers : Object.keys(db.nodes).sort();
      memberships.push({ node: id, seq: rec.seq, members: lastMembers, t });
      const views = new Map<string, number>();
      for (const v of groupViewsOf(db)) {
        views.set(v.group, v.view);
        if (lastViews.get(v.group) !== v.view) groupViews.push({ node: id, incarnation, seq: rec.seq, group: v.group, view: v.view, members: v.members, t });
      }
      lastViews = views;
      lastDb = db;
    };
    node.on('update', onUpdate as (rec: UpdateRecord) => void);
  };

  const onGroupView = (id: string, member: string, view: GroupView) => {
    const t = nodes.get(id)?.clock?.now() ?? lastT;
    announced.push({ node: id, incarnation: incarnations.get(id) ?? 0, member, group: view.group, view: view.view, members: [...view.members], t });
  };

  const snapshotFinal = () =>
    [...nodes.entries()]
      .filter(([id]) => !stopped.has(id))
      .map(([id, n]) => ({
        id,
        role: n.role,
        qualified: frame.qualified.get(id) ?? true,
        manager: n.manager,
        backup: n.backup,
        committedSeq: n.committedSeq,
        dbDigest: dbDigest(n.db),
        members: Object.values(n.db.nodes)
          .filter((r) => r.status !== 'failed')
          .map((r) => r.id),
        allMembers: Object.keys(n.db.nodes),
        groupMembers: groupViewsOf(n.db).flatMap((v) => v.members.map((m) => `${v.group}:${m}`)),
      }));

  const onStep = (i: number, step: Step, ok: boolean, t: number, outcome?: StepOutcome) => {
    lastT = t;
    const rec: StepRecord = { ok };
    if (outcome?.code) rec.code = outcome.code;
    if (outcome?.error) rec.error = outcome.error;
    steps.set(i, rec);
    for (const [id, n] of nodes) {
      const errors = n.metrics.handlerErrors ?? 0;
      if (errors > (handlerErrorsSeen.get(n) ?? 0)) {
        crashes.push({ node: id, what: `${errors - handlerErrorsSeen.get(n)!} message handler error(s)`, t });
        handlerErrorsSeen.set(n, errors);
      }
    }
    const kind = stepKind(step);
    const ids = (sel: unknown): string[] => (sel === 'all' ? [...nodes.keys()] : (sel as string[]));
    if (ok && 'stop' in step) for (const id of ids(step.stop)) stopped.add(id);
    if ('restart' in step) for (const id of ids(step.restart)) stopped.delete(id);
    if (kind === 'update' && ok && outcome?.value) {
      const v = outcome.value as { seq: number; epoch: number };
      acks.push({ step: i, node: (step as { update: { node: string } }).update.node, seq: v.seq, epoch: v.epoch, t });
    }
    if (kind === 'ask' && ok && outcome?.value) {
      const v = outcome.value as { version: number; eventId: string };
      const a = (step as { ask: { node: string; type: string; key: string } }).ask;
      actorAcks.push({ type: a.type, key: a.key, version: v.version, eventId: v.eventId, node: a.node, step: i, t });
    }
    if (!ok && !MAY_FAIL.has(kind) && i >= frame.settleStep && i > 1) {
      // a cluster the faults left without a live majority, a qualified member or a ballot anyone can win owes no settle
      const due = settleOwed([...nodes.entries()].map(([id, n]) => ({ id, live: !stopped.has(id), committedSeq: n.db.meta.seq, nodes: n.db.nodes, ...ballotView(n) })));
      if (!due.owed) {
        notOwed = `step ${i} (${kind}) failed, and no settle is owed: ${due.reason}`;
        return;
      }
    }
    if (!ok && !MAY_FAIL.has(kind)) {
      // the runner stops at such a step: the cluster did not form, settle, or a fault step broke
      const settling = i === 1 || i >= frame.settleStep;
      // a graceful leave with a majority up and no partition that does not finish is a liveness failure
      const liveness = settling || kind === 'stop' || kind === 'add';
      stepViolations.push({
        invariant: liveness ? 'settles-after-heal' : 'no-crash',
        detail: `step ${i} (${kind}) failed${i === 1 ? ' while the cluster formed' : ''}: ${outcome?.error ?? 'no error given'}`,
        t,
      });
    }
    if (i === frame.finalStep && ok) final = snapshotFinal();
  };

  return {
    // coverage reads XState's own events: microsteps name every transition taken, even one that only runs actions
    hooks: { onNode, onStep, onGroupView, logger: logger({}), ...(extra.onInspect && { xstateInspect: extra.onInspect }) },
    steps,
    simulatedMs: () => lastT,
    settleNotOwed: () => notOwed,
    counts: () => ({ managers: managers.length, commits: commits.length, acks: acks.length, crashes: crashes.length, views: announced.length, memberships: memberships.length, actorCommits: actorCommits.length, actorAcks: actorAcks.length }),
    violations(extraViolations = []) {
      const settled: FinalNodeObservation[] | null = final;
      const out = [
        ...stepViolations,
        ...checkOneManagerPerEpoch(managers),
        ...checkCommittedPrefix(commits),
        // the end-of-run parts need every node back and settled
        ...checkAckedUpdates(acks, commits, settled ?? []),
        ...(final ? [...checkFinalStates(final, commits), ...checkSettled(final)] : []),
        ...checkGroupViews(groupViews, announced),
        ...checkRemovedMembersGone(removals, final ? (final as ReturnType<typeof snapshotFinal>).map((f) => ({ id: f.id, members: f.allMembers, groupMembers: f.groupMembers })) : []),
        ...checkNoCrash(crashes),
        ...checkMembershipSteps(memberships, frame.initialMembers),
        ...checkActorChains(actorCommits, actorAcks, committedSeqs),
        ...extraViolations,
      ];
      // the lowest-numbered invariant leads: a broken prefix usually explains a failed settle
      return out.sort((x, y) => INVARIANT_NUMBER[x.invariant] - INVARIANT_NUMBER[y.invariant]);
    },
  };
}
