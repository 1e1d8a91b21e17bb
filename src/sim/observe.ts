/**
 * Watches one scenario run from the outside (runScenario's hooks) and turns what the nodes
 * show — role and update events, `db`, `committedSeq`, metrics, logged errors — into the
 * observations the invariant checkers take (src/sim/invariants.ts).
 */
import type { NodeRuntime } from '../actors/runtime.js';
import type { ClusterDb, UpdateRecord } from '../db/types.js';
import type { Logger } from '../log.js';
import type { RunHooks, StepOutcome } from '../scenario/run.js';
import { stepKind, type Step } from '../scenario/types.js';
import type { GeneratedRun } from './generate.js';
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

export interface StepRecord {
  ok: boolean;
  code?: string;
  error?: string;
}

export interface RunObserver {
  hooks: RunHooks;
  /** Outcome of each step that ran, by index (failed updates carry their error code). */
  steps: Map<number, StepRecord>;
  /** Virtual time of the last step's end. */
  simulatedMs(): number;
  /** How much was observed (tests check the checkers were fed). */
  counts(): { managers: number; commits: number; acks: number; crashes: number };
  /** Every violation seen, once the run is over. */
  violations(extra?: Violation[]): Violation[];
}

const MAY_FAIL = new Set(['update', 'join', 'leave', 'send']);

export function observeRun(gen: GeneratedRun): RunObserver {
  const managers: ManagerObservation[] = [];
  const commits: CommitObservation[] = [];
  const acks: AckObservation[] = [];
  const crashes: CrashObservation[] = [];
  const stepViolations: Violation[] = [];
  const incarnations = new Map<string, number>();
  const nodes = new Map<string, NodeRuntime>();
  const handlerErrorsSeen = new Map<NodeRuntime, number>();
  const steps = new Map<number, StepRecord>();
  let final: FinalNodeObservation[] | null = null;
  let lastT = 0;

  const qualified = new Map(gen.scenario.cluster.nodes.map((n) => [n.id, n.qualified]));

  const logger = (bindings: Record<string, unknown>): Logger => ({
    debug: () => {},
    info: () => {},
    warn: () => {},
    // the runtime logs what a handler threw instead of crashing: to the simulator that is a crash
    error: (msg, fields) => crashes.push({ node: String(bindings.node ?? '?'), what: `${msg} ${fields ? JSON.stringify(fields) : ''}`.trim(), t: lastT }),
    child: (b) => logger({ ...bindings, ...b }),
  });

  const onNode = (id: string, node: NodeRuntime) => {
    const incarnation = (incarnations.get(id) ?? 0) + 1;
    incarnations.set(id, incarnation);
    nodes.set(id, node);
    handlerErrorsSeen.set(node, 0);
    node.on('role', (role: string) => {
      if (role === 'manager') managers.push({ node: id, epoch: node.epoch, t: node.clock.now() });
    });
    node.on('update', (rec: UpdateRecord, db: ClusterDb) => {
      const t = node.clock.now();
      commits.push({ node: id, incarnation, seq: rec.seq, epoch: rec.epoch, id: rec.id, origin: rec.origin, dbDigest: dbDigest(db), t });
      // a committed manager change names the manager of its epoch, as every node saw it
      if ('membership' in rec.op && rec.op.membership.manager) {
        managers.push({ node: rec.op.membership.manager, epoch: rec.op.membership.epoch ?? db.meta.epoch, t });
      }
    });
  };

  const snapshotFinal = (): FinalNodeObservation[] =>
    [...nodes.entries()].map(([id, n]) => ({
      id,
      role: n.role,
      qualified: qualified.get(id) ?? true,
      manager: n.manager,
      backup: n.backup,
      committedSeq: n.committedSeq,
      dbDigest: dbDigest(n.db),
      members: Object.values(n.db.nodes)
        .filter((r) => r.status !== 'failed')
        .map((r) => r.id),
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
    if (kind === 'update' && ok && outcome?.value) {
      const v = outcome.value as { seq: number; epoch: number };
      acks.push({ step: i, node: (step as { update: { node: string } }).update.node, seq: v.seq, epoch: v.epoch, t });
    }
    if (!ok && !MAY_FAIL.has(kind)) {
      // the runner stops at such a step: the cluster did not form, settle, or a fault step broke
      const settling = i === 1 || i >= gen.settleStep;
      stepViolations.push({
        invariant: settling ? 'settles-after-heal' : 'no-crash',
        detail: `step ${i} (${kind}) failed${i === 1 ? ' while the cluster formed' : ''}: ${outcome?.error ?? 'no error given'}`,
        t,
      });
    }
    if (i === gen.finalStep && ok) final = snapshotFinal();
  };

  return {
    hooks: { onNode, onStep, logger: logger({}) },
    steps,
    simulatedMs: () => lastT,
    counts: () => ({ managers: managers.length, commits: commits.length, acks: acks.length, crashes: crashes.length }),
    violations(extra = []) {
      const out = [
        ...stepViolations,
        ...checkOneManagerPerEpoch(managers),
        ...checkCommittedPrefix(commits),
        // the end-of-run parts need every node back and settled
        ...checkAckedUpdates(acks, commits, final ?? []),
        ...(final ? [...checkFinalStates(final, commits), ...checkSettled(final)] : []),
        ...checkNoCrash(crashes),
        ...extra,
      ];
      // the lowest-numbered invariant leads: a broken prefix usually explains a failed settle
      return out.sort((x, y) => INVARIANT_NUMBER[x.invariant] - INVARIANT_NUMBER[y.invariant]);
    },
  };
}
