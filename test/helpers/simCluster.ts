import { createNode, memoryNetwork, memoryStore } from '../../src/index.js';
import { createFaults } from '../../src/bus/faultFilter.js';
import type { NodeRuntime } from '../../src/actors/runtime.js';
import type { NodeOptions } from '../../src/actors/types.js';
import type { Store } from '../../src/persistence/store.js';

export interface SimNodeSpec {
  id: string;
  priority?: number;
  qualified?: boolean;
}

/** A cluster on the deterministic memory network (virtual time), for membership and GLUP tests. */
export function simCluster(
  specs: (string | SimNodeSpec)[],
  opts: { seed?: number } & Partial<Omit<NodeOptions, 'id' | 'transport' | 'cluster'>> = {},
) {
  const { seed = 1, ...settings } = opts;
  const net = memoryNetwork({ seed, virtualTime: true });
  const faults = createFaults({ random: net.random.fork('faults'), clock: net.clock });
  const list = specs.map((s) => (typeof s === 'string' ? { id: s } : s));
  const ids = list.map((s) => s.id);
  const stores = new Map<string, Store>(ids.map((id) => [id, memoryStore()]));
  const nodes = new Map<string, NodeRuntime>();
  const make = (spec: SimNodeSpec) =>
    createNode({
      cluster: 'sim',
      id: spec.id,
      priority: spec.priority,
      qualified: spec.qualified,
      transport: net.transport(spec.id),
      store: stores.get(spec.id)!,
      faults,
      heartbeatMs: 100,
      initialMembers: ids,
      ...settings,
    });
  for (const spec of list) nodes.set(spec.id, make(spec));
  const node = (id: string) => nodes.get(id)!;
  const live = () => [...nodes.values()].filter((n) => n.role !== 'stopped');
  return {
    net,
    faults,
    nodes,
    node,
    live,
    async startAll(timeoutMs = 5000) {
      for (const n of nodes.values()) void n.start().catch(() => {});
      await net.runUntil(() => live().every((n) => n.isMember()), { timeoutMs });
    },
    async restart(id: string) {
      const spec = list.find((s) => s.id === id)!;
      const fresh = make(spec);
      nodes.set(id, fresh);
      void fresh.start().catch(() => {});
      return fresh;
    },
    managers: () => live().filter((n) => n.role === 'manager'),
    converged: () => {
      const l = live().filter((n) => n.role !== 'isolated');
      const seqs = new Set(l.map((n) => n.committedSeq));
      const dbs = new Set(l.map((n) => JSON.stringify(n.db)));
      return seqs.size === 1 && dbs.size === 1;
    },
  };
}
