/**
 * Applying operations to the cluster database (SPEC sections 4 and 5). The coordinator
 * applies an op with `applyOp` and ships the immer patches; members apply those patches
 * with `applyRecordPatches`, so the op's semantics live in exactly one place and every
 * member ends with the same document.
 *
 * An op that fails (CAS_FAILED, INVALID_OP) throws before anything changes: `batch` is all
 * or nothing because all its ops run inside one immer producer.
 */
import { enablePatches, Immer, isDraft, type Draft, type Patch } from 'immer';
import { GlupError } from '../errors.js';
import { FORBIDDEN_KEYS, formatPath, getAt, isPathPrefix, isPlainObject, parsePath, typeName } from './paths.js';
import type { ClusterDb, DataPath, GroupRow, NodeRow, Op, SystemOp } from './types.js';
import { freezeChanged } from './freeze.js';

export { freezeDb } from './freeze.js';

enablePatches();

/**
 * immer's auto-freeze walks every key of every container an update touched (a write next to
 * 100,000 keys visits 100,000 keys): databases here are frozen by `freezeChanged` instead,
 * which freezes the containers on the patches' paths and the values the patches bring.
 */
const immer = new Immer({ autoFreeze: false });

export interface ApplyContext {
  /** Submitting node: owner of the ephemeral keys the op writes. */
  origin: string;
  /** The seq this update takes. */
  seq: number;
  /** The coordinator's epoch (recorded by the caller in the update record; the db's epoch changes only through `membership`). */
  epoch: number;
}

export function applyOp(db: ClusterDb, op: Op, ctx: ApplyContext): { db: ClusterDb; patches: Patch[] } {
  const [next, patches] = immer.produceWithPatches(db, (draft) => {
    applyToDraft({ draft, ctx, owners: new EphemeralOwners(db) }, op);
    draft.meta.seq = ctx.seq;
  });
  return { db: freezeChanged(next, patches), patches };
}

/** What a member does with an update record: the coordinator's patches, nothing re-interpreted. */
export function applyRecordPatches(db: ClusterDb, patches: readonly Patch[]): ClusterDb {
  return freezeChanged(immer.applyPatches(db, patches as Patch[]), patches);
}

/**
 * Throws CAS_FAILED when a cas of the op would fail on `db`, so the coordinator refuses it
 * before giving it a seq. A batch is tried as a whole, since an earlier op of the batch can
 * change what a later cas sees. Other faults (INVALID_OP) are left to `applyOp`, which
 * also throws before any seq is taken.
 */
export function checkCas(db: ClusterDb, op: Op): void {
  if (!containsCas(op)) return;
  try {
    applyOp(db, op, { origin: '', seq: db.meta.seq + 1, epoch: db.meta.epoch });
  } catch (err) {
    if (err instanceof GlupError && err.code === 'CAS_FAILED') throw err;
  }
}

/**
 * Dotted paths under `data` the op writes (merge: each merged key). With `db` (the state
 * before the op) a membership op also reports the ephemeral keys of the nodes it removes.
 * A watcher of prefix P sees an update when `pathsOverlap(P, path)` for one of these.
 */
export function affectedPaths(op: Op, db?: ClusterDb): string[] {
  const out = new Set<string>();
  const visit = (o: Op): void => {
    if ('set' in o) out.add(formatPath(parsePath(o.set.path)));
    else if ('delete' in o) out.add(formatPath(parsePath(o.delete.path)));
    else if ('cas' in o) out.add(formatPath(parsePath(o.cas.path)));
    else if ('merge' in o) {
      const segs = parsePath(o.merge.path);
      const keys = Object.keys(o.merge.value);
      if (keys.length === 0) out.add(formatPath(segs));
      for (const k of keys) out.add(formatPath([...segs, k]));
    } else if ('batch' in o) o.batch.ops.forEach(visit);
    else if ('membership' in o && db) {
      for (const { id } of o.membership.remove ?? []) for (const p of db.nodes[id]?.ephemeral ?? []) out.add(p);
    }
  };
  visit(op);
  return [...out];
}

/** One op being applied: the draft, its context and who owns which ephemeral key. */
interface Scope {
  draft: Draft<ClusterDb>;
  ctx: ApplyContext;
  owners: EphemeralOwners;
}

function applyToDraft(scope: Scope, op: Op): void {
  const { draft, ctx } = scope;
  if ('set' in op) return setAt(scope, op.set.path, op.set.value, op.set.ephemeral === true);
  if ('delete' in op) return deleteAt(scope, parsePath(op.delete.path));
  if ('merge' in op) return mergeAt(scope, op.merge.path, op.merge.value);
  if ('cas' in op) return casAt(scope, op.cas);
  if ('batch' in op) {
    for (const inner of op.batch.ops) applyToDraft(scope, inner);
    return;
  }
  if ('membership' in op) return applyMembership(scope, op.membership);
  if ('groupJoin' in op) return groupJoin(draft, op.groupJoin, ctx.seq);
  if ('groupLeave' in op) return groupLeave(draft, op.groupLeave, ctx.seq);
  if ('groupMessage' in op) return; // only takes a seq: that is what orders broadcastOrdered messages
  throw new GlupError('INVALID_OP', `unknown operation with keys ${JSON.stringify(Object.keys(op as object))}`);
}

// ---------------------------------------------------------------------------------------
// Data operations

function setAt(scope: Scope, path: DataPath, value: unknown, ephemeral: boolean): void {
  const { draft } = scope;
  const origin = scope.ctx.origin;
  const segs = parsePath(path);
  if (ephemeral && !draft.nodes[origin]) {
    // Nothing would ever delete the key: refuse instead of leaking it.
    throw new GlupError('INVALID_OP', `ephemeral key ${formatPath(segs)}: its owner ${JSON.stringify(origin)} is not a member node`);
  }
  const parent = parentFor(draft.data, segs, true)!;
  parent[segs[segs.length - 1]!] = value;
  scope.owners.release(draft, segs);
  if (ephemeral) scope.owners.own(draft, origin, segs);
}

function deleteAt(scope: Scope, segs: string[]): void {
  const parent = parentFor(scope.draft.data, segs, false);
  const key = segs[segs.length - 1]!;
  if (parent && Object.hasOwn(parent, key)) delete parent[key];
  scope.owners.release(scope.draft, segs);
}

function mergeAt(scope: Scope, path: DataPath, value: Record<string, unknown>): void {
  const { draft } = scope;
  const segs = parsePath(path);
  const parent = parentFor(draft.data, segs, true)!;
  const key = segs[segs.length - 1]!;
  let target: Record<string, unknown>;
  if (!Object.hasOwn(parent, key)) {
    target = {};
    parent[key] = target;
  } else {
    const found = parent[key];
    if (!isPlainObject(found)) {
      throw new GlupError('INVALID_OP', `merge at ${formatPath(segs)}: the value there is a ${typeName(found)}, not an object`);
    }
    target = writable(parent, key, found);
  }
  for (const [k, v] of Object.entries(value)) {
    // Refused here too, for ops that did not go through validateOp.
    if (FORBIDDEN_KEYS.has(k)) throw new GlupError('INVALID_OP', `merge at ${formatPath(segs)}: forbidden key "${k}"`);
    target[k] = v;
    scope.owners.release(draft, [...segs, k]);
  }
}

function casAt(scope: Scope, cas: { path: DataPath; expect: unknown; value: unknown; ephemeral?: boolean }): void {
  const segs = parsePath(cas.path);
  const current = getAt(scope.draft.data, segs);
  if (!casMatches(current, cas.expect)) {
    const found = current === undefined ? 'nothing' : preview(current);
    throw new GlupError('CAS_FAILED', `cas at ${formatPath(segs)}: expected ${preview(cas.expect)}, found ${found}`);
  }
  setAt(scope, cas.path, cas.value, cas.ephemeral === true);
}

/** Whether a cas expecting `expect` matches `current`: `null` means absent or null, anything else compares deeply. */
export function casMatches(current: unknown, expect: unknown): boolean {
  return expect === null ? current === undefined || current === null : jsonEqual(current, expect);
}

/** The object that holds the last segment of `segs` under `data`, or undefined when a parent is missing or not an object. */
export function existingParent(data: Record<string, unknown>, segs: string[]): Record<string, unknown> | undefined {
  return parentFor(data, segs, false);
}

/**
 * The object that holds the last segment. With `create`, missing parents become objects;
 * a parent that exists but is not an object is an error (never silently replaced). Without
 * `create`, a missing or non-object parent means the path is absent: undefined.
 */
function parentFor(data: Record<string, unknown>, segs: string[], create: boolean): Record<string, unknown> | undefined {
  let cur = data;
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i]!;
    if (!Object.hasOwn(cur, seg)) {
      if (!create) return undefined;
      // made here: this op's own object, writable as it is
      const made: Record<string, unknown> = {};
      cur[seg] = made;
      cur = made;
      continue;
    }
    const next = cur[seg];
    if (!isPlainObject(next)) {
      if (!create) return undefined;
      throw new GlupError('INVALID_OP', `cannot write at ${formatPath(segs)}: ${formatPath(segs.slice(0, i + 1))} is a ${typeName(next)}, not an object`);
    }
    cur = create ? writable(cur, seg, next) : next;
  }
  return cur;
}

/**
 * The object at `parent[key]`, safe to write into. Immer drafts what the state held before the
 * op, but an object an earlier part of the same op wrote (`batch: [set a {…}, merge a {…}]`)
 * is the op's own value, not a draft: writing into it would change the caller's op, or throw
 * when the op arrived frozen from the bus. It is replaced by a copy first.
 */
function writable(parent: Record<string, unknown>, key: string, value: Record<string, unknown>): Record<string, unknown> {
  if (isDraft(value)) return value;
  const copy = { ...value };
  parent[key] = copy;
  return copy;
}

/**
 * Who owns which ephemeral key, for one op. Read once from the state before the op (a
 * plain object: iterating the draft's node rows would make an immer proxy of every row on
 * every write) and kept current as the op writes, so each change is also made on the draft.
 *
 * A write at a path replaces whatever was there, so ephemeral keys at or under it no longer
 * belong to their owner (like an etcd put without the lease): they are released, or
 * removing the owner later would delete someone else's value.
 */
class EphemeralOwners {
  private readonly byNode = new Map<string, string[][]>();

  constructor(base: ClusterDb) {
    for (const row of Object.values(base.nodes)) {
      if (row.ephemeral?.length) this.byNode.set(row.id, row.ephemeral.map((p) => parsePath(p)));
    }
  }

  release(draft: Draft<ClusterDb>, written: readonly string[]): void {
    for (const [id, owned] of this.byNode) {
      const kept = owned.filter((segs) => !isPathPrefix(written, segs));
      if (kept.length !== owned.length) this.update(draft, id, kept);
    }
  }

  own(draft: Draft<ClusterDb>, id: string, segs: string[]): void {
    this.update(draft, id, [...(this.byNode.get(id) ?? []), segs]);
  }

  ownedBy(id: string): string[][] {
    return this.byNode.get(id) ?? [];
  }

  /** The node's row is going: its keys were deleted, nothing left to track. */
  forget(id: string): void {
    this.byNode.delete(id);
  }

  private update(draft: Draft<ClusterDb>, id: string, owned: string[][]): void {
    const row = draft.nodes[id];
    if (owned.length > 0) this.byNode.set(id, owned);
    else this.byNode.delete(id);
    if (!row) return;
    if (owned.length > 0) row.ephemeral = owned.map((segs) => formatPath(segs));
    else delete row.ephemeral;
  }
}

// ---------------------------------------------------------------------------------------
// System operations

type Membership = Extract<SystemOp, { membership: unknown }>['membership'];

function applyMembership(scope: Scope, m: Membership): void {
  const { draft } = scope;
  const { seq } = scope.ctx;
  const { meta } = draft;
  if (m.epoch !== undefined) {
    if (m.epoch < meta.epoch) throw new GlupError('INVALID_OP', `membership epoch ${m.epoch} is lower than the current epoch ${meta.epoch}`);
    meta.epoch = m.epoch;
  }
  for (const { id } of m.remove ?? []) removeNode(scope, id);
  for (const info of m.add ?? []) {
    const existing = draft.nodes[info.id];
    if (existing && existing.incarnation === info.incarnation) {
      // The same process announced again: refresh what it says about itself, keep its history.
      existing.qualified = info.qualified;
      existing.priority = info.priority;
      existing.status = 'up';
      continue;
    }
    // A new incarnation is a restarted process: its old processes and ephemeral keys died with
    // it; its place in the membership (backup, say) is the node's and stays.
    const wasManager = meta.manager === info.id;
    const wasBackup = meta.backup === info.id;
    if (existing) removeNode(scope, info.id);
    if (wasManager) meta.manager = info.id;
    if (wasBackup) meta.backup = info.id;
    draft.nodes[info.id] = {
      id: info.id,
      qualified: info.qualified,
      priority: info.priority,
      role: 'client',
      status: 'up',
      incarnation: info.incarnation,
      joinedSeq: seq,
    };
  }
  if (m.manager !== undefined) meta.manager = m.manager;
  if (m.backup !== undefined) meta.backup = m.backup;
  if (m.settings !== undefined) meta.settings = m.settings;
  for (const [field, id] of [['manager', meta.manager], ['backup', meta.backup]] as const) {
    if (id !== null && !draft.nodes[id]) throw new GlupError('INVALID_OP', `membership names ${id} as ${field}, but ${id} is not a member node`);
  }
  if (meta.manager !== null && meta.manager === meta.backup) {
    throw new GlupError('INVALID_OP', `membership names ${meta.manager} as both manager and backup`);
  }
  for (const row of Object.values(draft.nodes)) {
    const role: NodeRow['role'] = row.id === meta.manager ? 'manager' : row.id === meta.backup ? 'backup' : 'client';
    if (row.role !== role) row.role = role;
  }
}

/** A removed node takes its ephemeral keys and its process-group members with it, in the same update. */
function removeNode(scope: Scope, id: string): void {
  const { draft } = scope;
  const { seq } = scope.ctx;
  if (!draft.nodes[id]) return;
  for (const segs of scope.owners.ownedBy(id)) deleteAt(scope, segs);
  scope.owners.forget(id);
  delete draft.nodes[id];
  for (const [name, group] of Object.entries(draft.groups)) {
    let changed = false;
    for (const [memberId, member] of Object.entries(group.members)) {
      if (member.node === id) {
        delete group.members[memberId];
        changed = true;
      }
    }
    if (changed) touchGroup(draft, name, group, seq);
  }
  if (draft.meta.manager === id) draft.meta.manager = null;
  if (draft.meta.backup === id) draft.meta.backup = null;
}

function groupJoin(draft: Draft<ClusterDb>, j: { group: string; process: string; node: string }, seq: number): void {
  if (!draft.nodes[j.node]) {
    // Its members would never leave with their node: refuse.
    throw new GlupError('INVALID_OP', `group ${j.group}: node ${j.node} of process ${j.process} is not a member node`);
  }
  const memberId = `${j.process}@${j.node}`;
  const group: Draft<GroupRow> = (draft.groups[j.group] ??= { view: seq, members: {} });
  if (group.members[memberId]) return; // joining twice: commits, changes no view
  group.members[memberId] = { node: j.node, process: j.process, since: seq };
  group.view = seq;
}

function groupLeave(draft: Draft<ClusterDb>, l: { group: string; process: string; node: string }, seq: number): void {
  const group = draft.groups[l.group];
  const memberId = `${l.process}@${l.node}`;
  if (!group || !group.members[memberId]) return; // leaving a group one is not in: commits, changes nothing
  delete group.members[memberId];
  touchGroup(draft, l.group, group, seq);
}

/** A changed group takes the seq of the change as its view; an empty group is deleted. */
function touchGroup(draft: Draft<ClusterDb>, name: string, group: Draft<GroupRow>, seq: number): void {
  if (Object.keys(group.members).length === 0) delete draft.groups[name];
  else group.view = seq;
}

// ---------------------------------------------------------------------------------------

function containsCas(op: Op): boolean {
  if ('cas' in op) return true;
  if ('batch' in op) return op.batch.ops.some(containsCas);
  return false;
}

/** Deep equality of JSON values; key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => Object.hasOwn(bo, k) && jsonEqual(ao[k], bo[k]));
}

function preview(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 120 ? s.slice(0, 117) + '...' : s;
}
