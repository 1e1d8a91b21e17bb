/**
 * The meaning of `expect` and `waitFor` conditions (SPEC section 10), evaluated on a plain
 * snapshot of the run (ClusterView) so that the same code serves memory and NATS runs and
 * can be tested on hand-built views.
 *
 * Conditions speak of live nodes (not killed or stopped by a step); a live node that is
 * still discovering, electing or joining counts, naming no manager, with committed seq 0;
 * isolated nodes are left out where a key says "non-isolated".
 */
import { isDeepStrictEqual } from 'node:util';
import type { GlupNode } from '../actors/types.js';
import type { ClusterDb } from '../db/types.js';
import { compareIds, sortIds } from '../ids.js';
import type { ClusterView, Conditions, NodeStatus, NodeView, ScenarioRole } from './types.js';

export interface ConditionResult {
  ok: boolean;
  failures: string[];
}

export function evaluateConditions(conds: Conditions, view: ClusterView): ConditionResult {
  const failures: string[] = [];
  const check = (failure: string | null) => {
    if (failure !== null) failures.push(failure);
  };
  if (conds.manager !== undefined) check(checkManager(conds.manager, view));
  if (conds.backup !== undefined) check(checkAtManager('backup', conds.backup, view, (m) => m.backup ?? 'none'));
  if (conds.epoch !== undefined) check(checkAtManager('epoch', conds.epoch, view, (m) => m.epoch));
  if (conds.seq !== undefined) check(checkAtManager('seq', conds.seq, view, (m) => m.committedSeq));
  if (conds.members !== undefined) check(checkAtManager('members', conds.members, view, (m) => m.members.length));
  if (conds.roles !== undefined) {
    for (const [id, expected] of Object.entries(conds.roles)) {
      const actual = scenarioRole(view.nodes[id]);
      if (actual !== expected) failures.push(`roles: expected ${id} ${expected}, it is ${actual}`);
    }
  }
  if (conds.converged) check(checkConverged(view));
  if (conds.db !== undefined) {
    for (const [path, expected] of Object.entries(conds.db)) check(checkDbPath(path, expected, view));
  }
  if (conds.group !== undefined) check(checkGroup(conds.group.name, conds.group.members, view));
  if (conds.delivered !== undefined) {
    const { group, member, count } = conds.delivered;
    const node = view.nodes[memberNode(member)];
    const actual = node?.delivered[group]?.[member] ?? 0;
    if (actual !== count) failures.push(`delivered: expected ${count} messages of group ${group} delivered to ${member}, got ${actual}`);
  }
  if (conds.failoverMs !== undefined) {
    const last = view.lastFailoverMs;
    if (last === null) failures.push(`failoverMs: expected at most ${conds.failoverMs.max} ms, no failover was measured`);
    else if (last > conds.failoverMs.max) failures.push(`failoverMs: expected at most ${conds.failoverMs.max} ms, the last failover took ${roundMs(last)} ms`);
  }
  if (conds.logLength !== undefined) {
    const { node: id, min, max } = conds.logLength;
    const n = view.nodes[id];
    const len = n?.logLength ?? 0;
    if (n === undefined) failures.push(`logLength: node ${id} has not been started`);
    else if (min !== undefined && len < min) failures.push(`logLength: expected ${id} to hold at least ${min} records, it holds ${len}`);
    else if (max !== undefined && len > max) failures.push(`logLength: expected ${id} to hold at most ${max} records, it holds ${len}`);
  }
  return { ok: failures.length === 0, failures };
}

/** Live nodes, in id order. */
export function liveNodes(view: ClusterView): NodeView[] {
  return Object.values(view.nodes)
    .filter((n) => n.status === 'live')
    .sort((a, b) => compareIds(a.id, b.id));
}

function activeNodes(view: ClusterView): NodeView[] {
  return liveNodes(view).filter((n) => !n.isolated);
}

/** The role a condition or the summary sees: `down` for killed/stopped, `joining` while not a member. */
export function scenarioRole(node: NodeView | undefined): ScenarioRole {
  if (node === undefined || node.status !== 'live' || node.role === 'stopped') return 'down';
  if (node.isolated || node.role === 'isolated') return 'isolated';
  return node.role;
}

/**
 * The one manager the cluster agrees on: the only live, non-isolated node in the manager
 * role, named by every live, non-isolated node. Otherwise null and the reason there is none.
 */
export function agreedManager(view: ClusterView): { manager: NodeView | null; reason: string } {
  const active = activeNodes(view);
  const managers = active.filter((n) => n.role === 'manager');
  if (managers.length === 0) return { manager: null, reason: 'no live node is manager' };
  if (managers.length > 1) return { manager: null, reason: `${managers.map((m) => m.id).join(' and ')} are all manager` };
  const manager = managers[0]!;
  const dissent = active.filter((n) => n.manager !== manager.id);
  if (dissent.length > 0) return { manager: null, reason: dissent.map((n) => `${n.id} names ${n.manager ?? 'no manager'}`).join(', ') };
  return { manager, reason: '' };
}

function checkManager(expected: string, view: ClusterView): string | null {
  const managers = activeNodes(view).filter((n) => n.role === 'manager');
  if (expected === 'none') {
    return managers.length === 0 ? null : `manager: expected none, ${managers.map((m) => m.id).join(' and ')} ${managers.length > 1 ? 'are' : 'is'} manager`;
  }
  const { manager, reason } = agreedManager(view);
  if (manager && (expected === 'any' || manager.id === expected)) return null;
  if (manager) return `manager: expected ${expected}, the manager is ${manager.id}`;
  return `manager: expected ${expected}, ${reason}`;
}

/** backup, epoch, seq and members are read at the agreed manager ("as seen by that manager"). */
function checkAtManager(key: string, expected: string | number, view: ClusterView, read: (m: NodeView) => string | number): string | null {
  const { manager, reason } = agreedManager(view);
  if (!manager) return `${key}: expected ${expected}, but there is no agreed manager (${reason})`;
  const actual = read(manager);
  return actual === expected ? null : `${key}: expected ${expected}, manager ${manager.id} has ${actual}`;
}

function checkConverged(view: ClusterView): string | null {
  const active = activeNodes(view);
  if (active.length === 0) return null;
  const seqs = new Map<number, string[]>();
  for (const n of active) seqs.set(n.committedSeq, [...(seqs.get(n.committedSeq) ?? []), n.id]);
  if (seqs.size > 1) {
    const parts = [...seqs.entries()].sort((a, b) => b[0] - a[0]).map(([seq, ids]) => `${ids.join(', ')} at seq ${seq}`);
    return `converged: expected one committed seq, ${parts.join('; ')}`;
  }
  const first = active[0]!;
  const different = active.filter((n) => !isDeepStrictEqual(n.db, first.db));
  if (different.length > 0) return `converged: same seq ${first.committedSeq}, but the database of ${different.map((n) => n.id).join(', ')} differs from ${first.id}'s`;
  return null;
}

/** Value at a dotted path under `data`; an absent key reads as null (as in cas `expect: null`). */
export function readDataPath(db: ClusterDb | null, path: string): unknown {
  let cur: unknown = db?.data;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, seg)) return null;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur === undefined ? null : cur;
}

function checkDbPath(path: string, expected: unknown, view: ClusterView): string | null {
  const wrong = activeNodes(view)
    .map((n) => ({ id: n.id, value: readDataPath(n.db, path) }))
    .filter((x) => !isDeepStrictEqual(x.value, expected));
  if (wrong.length === 0) return null;
  return `db: expected ${path} = ${JSON.stringify(expected)}, ${wrong.map((w) => `${w.id} has ${JSON.stringify(w.value)}`).join(', ')}`;
}

function checkGroup(group: string, expected: string[], view: ClusterView): string | null {
  const want = sortIds(expected);
  const wrong = activeNodes(view)
    .map((n) => ({ id: n.id, members: sortIds(n.groups[group] ?? []) }))
    .filter((x) => !isDeepStrictEqual(x.members, want));
  if (wrong.length === 0) return null;
  return `group: expected ${group} = [${want.join(', ')}], ${wrong.map((w) => `${w.id} has [${w.members.join(', ')}]`).join(', ')}`;
}

function memberNode(member: string): string {
  return member.slice(member.indexOf('@') + 1);
}

/** Milliseconds to the microsecond, as traces and summaries print them. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

// ---------------------------------------------------------------------------------------
// Building a view from the runtime (used by the runner).

/** What the runner tracks per node besides the node object itself. */
export interface NodeExtras {
  status: NodeStatus;
  delivered?: Record<string, Record<string, number>>;
  logLength?: number;
}

/** Membership of a database: node rows not marked failed (a killed node counts until its removal commits). */
export function membersOf(db: ClusterDb | null): string[] {
  if (!db) return [];
  return sortIds(Object.values(db.nodes).filter((row) => row.status !== 'failed').map((row) => row.id));
}

export function groupsOf(db: ClusterDb | null): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, row] of Object.entries(db?.groups ?? {})) out[name] = sortIds(Object.keys(row.members));
  return out;
}

/** Snapshot of one node; a node that is not yet a member names no manager and has committed seq 0. */
export function nodeView(node: GlupNode, extras: NodeExtras): NodeView {
  const member = node.role === 'manager' || node.role === 'backup' || node.role === 'client';
  const isolated = node.role === 'isolated';
  const db = member || isolated ? node.db : null;
  return {
    id: node.id,
    status: extras.status,
    role: node.role,
    isolated,
    manager: member ? node.manager : null,
    backup: member ? node.backup : null,
    epoch: node.epoch,
    committedSeq: member || isolated ? node.committedSeq : 0,
    db,
    members: membersOf(db),
    groups: groupsOf(db),
    delivered: extras.delivered ?? {},
    logLength: extras.logLength ?? 0,
  };
}
