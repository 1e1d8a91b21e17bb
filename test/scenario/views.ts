// Hand-built cluster views for the expect, summary and report tests (not a test file itself).
import { emptyDb, type ClusterDb } from '../../src/db/types.js';
import type { ClusterView, NodeView } from '../../src/scenario/types.js';

export function db(seq: number, members: string[], data: Record<string, unknown> = {}, groups: Record<string, string[]> = {}): ClusterDb {
  const d = emptyDb('test');
  d.meta.seq = seq;
  for (const id of members) {
    d.nodes[id] = { id, qualified: true, priority: 0, role: 'client', status: 'up', incarnation: 1, joinedSeq: 1 };
  }
  for (const [g, ms] of Object.entries(groups)) {
    d.groups[g] = { view: seq, members: Object.fromEntries(ms.map((m) => [m, { node: m.split('@')[1]!, process: m.split('@')[0]!, since: 1 }])) };
  }
  d.data = data;
  return d;
}

export function node(id: string, over: Partial<NodeView> = {}): NodeView {
  const d = over.db ?? db(5, ['n1', 'n2', 'n3']);
  return {
    id,
    status: 'live',
    role: 'client',
    isolated: false,
    manager: 'n1',
    backup: 'n2',
    epoch: 1,
    committedSeq: d ? d.meta.seq : 0,
    db: d,
    members: d ? Object.keys(d.nodes) : [],
    groups: d ? Object.fromEntries(Object.entries(d.groups).map(([g, r]) => [g, Object.keys(r.members)])) : {},
    delivered: {},
    logLength: 5,
    ...over,
  };
}

/** A healthy three-node cluster: n1 manager, n2 backup, n3 client, all at seq 5. */
export function healthy(overrides: Record<string, Partial<NodeView>> = {}, lastFailoverMs: number | null = null): ClusterView {
  const roles = { n1: 'manager', n2: 'backup', n3: 'client' } as const;
  const nodes: Record<string, NodeView> = {};
  for (const id of ['n1', 'n2', 'n3'] as const) nodes[id] = node(id, { role: roles[id], ...overrides[id] });
  for (const [id, o] of Object.entries(overrides)) if (!nodes[id]) nodes[id] = node(id, o);
  return { t: 1000, nodes, lastFailoverMs };
}
