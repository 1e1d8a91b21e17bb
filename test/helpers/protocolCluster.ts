/**
 * One cluster shape for the protocol tests (GLUP, process groups) over either transport:
 * the deterministic memory network with virtual time (via simCluster) or a real
 * nats-server in wall time. Tests are written once against `ProtocolCluster` and run on
 * both; under memory everything is deterministic (iterate seeds), under NATS every wait
 * is a polled condition with a generous deadline, never a fixed sleep.
 *
 * Each node's committed updates are recorded as the application sees them (`update`
 * events), so tests can compare the order every node applied, not just the end state.
 */
import { createNode, memoryStore, natsTransport } from '../../src/index.js';
import { createFaults, type FaultFilter } from '../../src/bus/faultFilter.js';
import { realClock } from '../../src/clock.js';
import { createRandom } from '../../src/random.js';
import { realRunUntil, realSettle } from '../../src/bus/realTime.js';
import type { NodeRuntime } from '../../src/actors/runtime.js';
import type { NodeOptions } from '../../src/actors/types.js';
import type { UpdateRecord } from '../../src/db/types.js';
import type { Transport } from '../../src/bus/transport.js';
import { simCluster } from './simCluster.js';

export type TransportKind = 'memory' | 'nats';

export type ClusterSettings = Partial<Omit<NodeOptions, 'id' | 'transport' | 'cluster' | 'store' | 'faults'>>;

export interface ProtocolCluster {
  readonly kind: TransportKind;
  /** The cluster's name (on NATS: unique per run). */
  readonly name: string;
  readonly ids: string[];
  readonly faults: FaultFilter;
  node(id: string): NodeRuntime;
  live(): NodeRuntime[];
  /** Live managers that are not isolated. */
  managers(): NodeRuntime[];
  /** Committed updates in the order node `id` emitted them. */
  applied(id: string): UpdateRecord[];
  startAll(timeoutMs?: number): Promise<void>;
  kill(id: string): Promise<void>;
  /** Virtual time on memory (rejects TIMEOUT when the virtual time is up); polling on NATS. */
  runUntil(cond: () => boolean, timeoutMs: number): Promise<void>;
  settle<T>(work: Promise<T>, timeoutMs: number): Promise<T>;
  /** Every live, non-isolated node is a member with the same committed seq and db. */
  converged(): boolean;
  /** A raw endpoint on the same bus that is no node (forged traffic, tools). */
  endpoint(name: string): Promise<Transport>;
  close(): Promise<void>;
}

/** A node of a test cluster: an id, or an id with its priority and qualification. */
export type NodeSpec = string | { id: string; priority?: number; qualified?: boolean };

const idOf = (s: NodeSpec) => (typeof s === 'string' ? s : s.id);
const specOf = (s: NodeSpec) => (typeof s === 'string' ? { id: s } : s);

function recordUpdates(nodes: Iterable<NodeRuntime>): Map<string, UpdateRecord[]> {
  const applied = new Map<string, UpdateRecord[]>();
  for (const n of nodes) {
    const list: UpdateRecord[] = [];
    applied.set(n.id, list);
    n.on('update', (r: UpdateRecord) => list.push(r));
  }
  return applied;
}

function convergedOf(live: NodeRuntime[]): boolean {
  const l = live.filter((n) => n.role !== 'isolated');
  if (!l.length || !l.every((n) => n.isMember())) return false;
  return new Set(l.map((n) => n.committedSeq)).size === 1 && new Set(l.map((n) => JSON.stringify(n.db))).size === 1;
}

/** A cluster on the virtual-time memory network; same seed, same run. */
export function memoryCluster(specs: NodeSpec[], opts: { seed?: number } & ClusterSettings = {}): ProtocolCluster {
  const ids = specs.map(idOf);
  const c = simCluster(specs, opts);
  const applied = recordUpdates(c.nodes.values());
  return {
    kind: 'memory',
    name: 'sim',
    ids,
    faults: c.faults,
    node: c.node,
    live: c.live,
    managers: () => c.live().filter((n) => n.role === 'manager'),
    applied: (id) => applied.get(id)!,
    startAll: async (timeoutMs = 5000) => {
      await c.startAll(timeoutMs);
      await c.net.runUntil(() => ids.every((id) => c.node(id).isMember()), { timeoutMs });
    },
    kill: (id) => c.node(id).kill(),
    runUntil: (cond, timeoutMs) => c.net.runUntil(cond, { timeoutMs }),
    settle: (work, timeoutMs) => c.net.settle(work, { timeoutMs }),
    converged: () => convergedOf(c.live()),
    endpoint: async (name) => c.net.transport(name),
    close: async () => {
      for (const n of c.live()) await n.kill();
    },
  };
}

let natsClusters = 0;

/**
 * A cluster of nodes each with its own connection to a real nats-server, in wall time.
 * The fault filter is the same one the memory network uses (receiving side, by `from`).
 */
export async function natsCluster(specs: NodeSpec[], opts: { servers: string; seed?: number } & ClusterSettings): Promise<ProtocolCluster> {
  const { servers, seed = 1, ...settings } = opts;
  const ids = specs.map(idOf);
  const cluster = `t${process.pid}-${Date.now().toString(36)}-${++natsClusters}`;
  const faults = createFaults({ random: createRandom(seed).fork('faults'), clock: realClock });
  const nodes = new Map<string, NodeRuntime>();
  for (const spec of specs.map(specOf)) {
    const transport = await natsTransport({ servers, name: spec.id });
    nodes.set(
      spec.id,
      createNode({
        cluster, id: spec.id, priority: spec.priority, qualified: spec.qualified, transport, store: memoryStore(), faults, heartbeatMs: 100,
        // generous: a test machine busy with other suites must not cause failovers or time-outs
        missedHeartbeats: 10, updateTimeoutMs: 10_000, initialMembers: ids, ...settings,
      }),
    );
  }
  const applied = recordUpdates(nodes.values());
  const live = () => [...nodes.values()].filter((n) => n.role !== 'stopped');
  const runUntil = (cond: () => boolean, timeoutMs: number) => realRunUntil(cond, { timeoutMs });
  return {
    kind: 'nats',
    name: cluster,
    ids,
    faults,
    node: (id) => nodes.get(id)!,
    live,
    managers: () => live().filter((n) => n.role === 'manager'),
    applied: (id) => applied.get(id)!,
    startAll: async (timeoutMs = 10_000) => {
      for (const n of nodes.values()) void n.start().catch(() => {});
      await runUntil(() => [...nodes.values()].every((n) => n.isMember()), timeoutMs);
    },
    kill: (id) => nodes.get(id)!.kill(),
    runUntil,
    settle: (work, timeoutMs) => realSettle(work, { timeoutMs }),
    converged: () => convergedOf(live()),
    endpoint: (name) => natsTransport({ servers, name }),
    close: async () => {
      for (const n of nodes.values()) await n.kill().catch(() => {});
    },
  };
}

/** `(seq, id)` of every committed record a node holds in its log, in seq order. */
export function committedLog(n: NodeRuntime): { seq: number; id: string; epoch: number }[] {
  return n.replica.range(1, n.replica.committedSeq).map((r) => ({ seq: r.seq, id: r.id, epoch: r.epoch }));
}

/** Every record a node holds in its log, committed or not. */
export function heldLog(n: NodeRuntime): UpdateRecord[] {
  return n.replica.range(1, n.replica.lastSeq);
}
