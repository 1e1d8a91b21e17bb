/**
 * The typed form of a scenario script (SPEC section 10) and of what a run observes.
 *
 * A parsed Scenario is plain JSON and already normalized (node list expanded, selectors as
 * lists, defaults filled in), and parsing it again gives the same value: the trace header
 * carries it and `glup replay` validates it with the same code.
 */
import type { DataOp } from '../db/types.js';
import type { ClusterDb } from '../db/types.js';
import type { GlupErrorCode } from '../errors.js';
import type { Role } from '../actors/types.js';

export interface NodeSpec {
  id: string;
  priority: number;
  qualified: boolean;
}

export type PersistenceKind = 'memory' | 'file' | 'jetstream';
export type TransportKind = 'memory' | 'nats';

export interface ClusterSpec {
  name: string;
  /** In start order; this list is also the cluster's initialMembers. */
  nodes: NodeSpec[];
  persistence: PersistenceKind;
  heartbeatMs?: number;
  missedHeartbeats?: number;
  discoveryMs?: number;
  retransmitMs?: number;
  updateTimeoutMs?: number;
  heartbeat?: 'multicast' | 'unicast';
  glup?: 'multicast' | 'unicast';
  quorum?: 'majority' | 'none';
  snapshotEvery?: number;
  maxUpdateBytes?: number;
  /** Hosted actor types every node defines before it starts (machines from src/actors/hosted/demo.ts). */
  actors?: ActorTypeSpec[];
}

export interface ActorTypeSpec {
  type: string;
  /** A machine of the demo catalogue: `counter`. */
  machine: string;
  placement: 'sharded' | 'singleton';
  on?: string;
  idleMs?: number;
}

/** An event for a hosted actor: an object with a string `type`. */
export type ActorEventSpec = { type: string; [k: string]: unknown };

export interface AskStep {
  node: string;
  type: string;
  key: string;
  event: ActorEventSpec;
  timeoutMs?: number;
  /** What the answer must show: the state value, and context fields (each deep-equal). */
  expect?: { value?: unknown; context?: Record<string, unknown> };
  expectError?: GlupErrorCode;
}

export interface TellStep {
  node: string;
  type: string;
  key: string;
  event: ActorEventSpec;
}

/** `all` or explicit ids (a single id in the file becomes a one-element list). */
export type NodeSelector = 'all' | string[];

export type ScenarioRole = 'manager' | 'backup' | 'client' | 'joining' | 'isolated' | 'down';

export interface FaultsSpec {
  drop?: number;
  duplicate?: number;
  delayMs?: [number, number];
  between?: [string, string][];
}

/** Conditions of `expect` and `waitFor` (SPEC section 10); every key present must hold. */
export interface Conditions {
  manager?: string; // an id, 'any' or 'none'
  backup?: string; // an id or 'none'
  epoch?: number;
  seq?: number;
  members?: number;
  roles?: Record<string, ScenarioRole>;
  converged?: true;
  /** Dotted path under `data` → expected value. */
  db?: Record<string, unknown>;
  group?: { name: string; members: string[] };
  delivered?: { group: string; member: string; count: number };
  failoverMs?: { max: number };
  logLength?: { node: string; min?: number; max?: number };
}

export const CONDITION_KEYS = [
  'manager',
  'backup',
  'epoch',
  'seq',
  'members',
  'roles',
  'converged',
  'db',
  'group',
  'delivered',
  'failoverMs',
  'logLength',
] as const;
export type ConditionKey = (typeof CONDITION_KEYS)[number];

export type UpdateStep = DataOp & { node: string; expectError?: GlupErrorCode };

/** Each step is an object with exactly one key, its kind. */
export type Step =
  | { start: NodeSelector }
  | { kill: NodeSelector }
  | { stop: NodeSelector }
  | { restart: NodeSelector }
  | { add: NodeSpec }
  | { wait: number }
  | { waitFor: Conditions & { timeoutMs: number } }
  | { update: UpdateStep }
  | { join: { node: string; process: string; group: string; expectError?: GlupErrorCode } }
  | { leave: { node: string; process: string; group: string } }
  | { send: { node: string; group: string; payload: unknown; mode?: 'all' | 'one' | 'ordered'; key?: string } }
  | { switchover: { to: string } }
  | { partition: string[][] }
  | { heal: true }
  | { faults: FaultsSpec | 'none' }
  | { expect: Conditions }
  | { ask: AskStep }
  | { tell: TellStep };

export const STEP_KINDS = [
  'start',
  'kill',
  'stop',
  'restart',
  'add',
  'wait',
  'waitFor',
  'update',
  'join',
  'leave',
  'send',
  'switchover',
  'partition',
  'heal',
  'faults',
  'expect',
  'ask',
  'tell',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export function stepKind(step: Step): StepKind {
  return Object.keys(step)[0] as StepKind;
}

export interface Scenario {
  name: string;
  seed: number;
  description?: string;
  cluster: ClusterSpec;
  steps: Step[];
}

/** A scenario file after parsing: `file` and `stepLines` are for messages only, never for traces. */
export interface ScenarioSource {
  file: string;
  scenario: Scenario;
  /** 1-based line of each step in the file. */
  stepLines: number[];
}

// ---------------------------------------------------------------------------------------
// What a run observes: the plain snapshot conditions are evaluated on.

export type NodeStatus = 'live' | 'killed' | 'stopped';

export interface NodeView {
  id: string;
  /** `killed` / `stopped` from the step that killed or stopped it until a restart. */
  status: NodeStatus;
  /** The runtime's role (meaningless once the node is down). */
  role: Role;
  /** True while the node is isolated (SPEC section 3). */
  isolated: boolean;
  /** The manager this node names (null while it knows none). */
  manager: string | null;
  backup: string | null;
  epoch: number;
  /** 0 while discovering, electing or joining. */
  committedSeq: number;
  /** Committed database; null before the node has one. */
  db: ClusterDb | null;
  /** Ids in this node's committed membership (db.nodes rows not marked failed). */
  members: string[];
  /** Committed members (`process@node`) of each group, in this node's database. */
  groups: Record<string, string[]>;
  /** group → member id → messages delivered so far to that local member. */
  delivered: Record<string, Record<string, number>>;
  /** Records in this node's log. */
  logLength: number;
}

export interface ClusterView {
  /** Virtual (memory) or elapsed wall time (nats) in ms since the run began. */
  t: number;
  nodes: Record<string, NodeView>;
  /** The last failover time measured (SPEC section 3), null before any. */
  lastFailoverMs: number | null;
}

// ---------------------------------------------------------------------------------------
// The `glup run --json` summary (SPEC section 9), field for field.

export type SummaryRole = 'manager' | 'backup' | 'client' | 'joining' | 'isolated' | 'down';

export interface RunSummary {
  scenario: string;
  passed: boolean;
  seed: number;
  transport: TransportKind;
  steps: { i: number; kind: StepKind; ok: boolean }[];
  metrics: {
    failoverMs: number[];
    updateLatencyMs: { p50: number; p99: number };
    messages: number;
    invalidMessages: number;
  };
  final: {
    manager: string | null;
    backup: string | null;
    epoch: number;
    seq: number;
    converged: boolean;
    nodes: Record<string, SummaryRole>;
  };
}

// ---------------------------------------------------------------------------------------
// Contract of the runner (src/scenario/run.ts, written with the runtime).

export interface RunOptions {
  transport: TransportKind;
  /** NATS server URL(s) for `transport: nats`. */
  nats?: string;
  /** Overrides cluster.persistence of every scenario when given. */
  persistence?: PersistenceKind;
  /** Overrides the scenario's seed when given. */
  seed?: number;
  /** Keep file stores / NATS streams here instead of deleting them. */
  keepData?: string;
  /**
   * A failed `update`, `join`, `leave` or `send` step is recorded with ok: false and the
   * run goes on (glup sim's random workload, where such failures are expected).
   */
  keepGoing?: boolean;
  /**
   * Record the inspection stream (transitions, messages, commits) into the trace; default
   * true. glup sim turns it off: it checks invariants through hooks and never reads the
   * trace, and the messages would cost it a quarter of its time.
   */
  inspect?: boolean;
}

export interface ScenarioRunResult {
  summary: RunSummary;
  /** Canonical trace lines (src/scenario/trace.ts), header first. */
  trace: string[];
}

/** `runScenarios` in src/scenario/run.ts: runs already validated scenarios in order. */
export type RunScenarios = (inputs: ScenarioSource[], opts: RunOptions) => Promise<ScenarioRunResult[]>;
