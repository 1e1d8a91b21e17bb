/**
 * Numbering a batch of submissions (the update coordinator, SPEC section 4): each op becomes
 * a record with the patches it makes, or a refusal, exactly as if `applyOp` applied them one
 * after the other. What differs is the cost (issue 14): `applyOp` copies every container on
 * an op's path, so a write next to N keys costs O(N) per op. Here a plain data write makes
 * its patches by reading the database, without applying anything: its record's patches wait
 * in the replica (src/db/pendingDb.ts) until someone reads the database whole.
 *
 * A plain write is a `set`, `cas`, `delete` or `merge` (not ephemeral) under objects that
 * exist, where no ephemeral key lives (a write there releases the key, which changes a node
 * row). It reads the database where it writes; when a write of this batch or one waiting in
 * the replica touches that place, the database is made whole first. Every other op, and every
 * op that would fail, goes through `applyOp` on the whole database, which also gives its error.
 */
import type { Patch } from 'immer';
import type { GlupError } from '../errors.js';
import { applyOp, applyRecordPatches, casMatches, existingParent } from './ops.js';
import { FORBIDDEN_KEYS, getAt, isPathPrefix, isPlainObject, parsePath } from './paths.js';
import type { ClusterDb, Op } from './types.js';
import { WrittenPaths } from './writtenPaths.js';

/** The database a batch is numbered on: the replica's tentative one, with writes that may wait. */
export interface SequenceView {
  /** Everything but data and meta.seq, current. */
  readonly shape: ClusterDb;
  /** Whether a waiting write touches the data at `segs`. */
  touches(segs: readonly string[]): boolean;
  /** The whole database. */
  get(): ClusterDb;
}

export interface SequenceItem {
  op: Op;
  /** The submitting node. */
  origin: string;
}

export type SequenceOutcome = { seq: number; patches: Patch[] } | { error: GlupError };

/** Each item's outcome, in order; seqs run on from `firstSeq` over the accepted ones. */
export function sequenceOps(view: SequenceView, items: readonly SequenceItem[], firstSeq: number, epoch: number): SequenceOutcome[] {
  const outcomes: SequenceOutcome[] = [];
  let seq = firstSeq;
  // the whole database once this batch needed it (a slow op, a read of what it wrote), and
  // the patches of this batch's plain writes since
  let whole: ClusterDb | null = null;
  let mine: Patch[] = [];
  const written = new WrittenPaths();
  let ephemeral = ephemeralPaths(view.shape);

  const makeWhole = (): ClusterDb => {
    const db = whole ?? view.get();
    whole = mine.length ? applyRecordPatches(db, mine) : db;
    mine = [];
    written.clear();
    return whole;
  };
  /** The data root to read `paths` in: the base's when nothing waiting or written here touches them. */
  const dataFor = (paths: string[][]): ClusterDb['data'] => {
    if (paths.some((p) => written.overlaps(p))) return makeWhole().data;
    if (whole) return whole.data;
    if (paths.some((p) => view.touches(p))) return makeWhole().data;
    return view.shape.data;
  };

  for (const item of items) {
    const paths = plainWritePaths(item.op);
    const patches = paths && !paths.some((p) => ephemeral.some((e) => isPathPrefix(p, e))) ? plainPatches(dataFor(paths), item.op, seq) : null;
    if (patches) {
      outcomes.push({ seq: seq++, patches });
      mine.push(...patches);
      for (const p of paths!) written.add(p);
      continue;
    }
    const before = makeWhole();
    try {
      const done = applyOp(before, item.op, { origin: item.origin, seq, epoch });
      whole = done.db;
      outcomes.push({ seq: seq++, patches: done.patches });
      ephemeral = ephemeralPaths(whole);
    } catch (e) {
      outcomes.push({ error: e as GlupError });
    }
  }
  return outcomes;
}

/** The data paths a plain write writes (a merge: each merged key), or null for any other op. */
function plainWritePaths(op: Op): string[][] | null {
  if ('set' in op) return op.set.ephemeral ? null : [parsePath(op.set.path)];
  if ('cas' in op) return op.cas.ephemeral ? null : [parsePath(op.cas.path)];
  if ('delete' in op) return [parsePath(op.delete.path)];
  if ('merge' in op) {
    const segs = parsePath(op.merge.path);
    const keys = Object.keys(op.merge.value ?? {});
    if (keys.some((k) => FORBIDDEN_KEYS.has(k))) return null;
    return keys.length ? keys.map((k) => [...segs, k]) : null;
  }
  return null;
}

/**
 * The patches `applyOp` would make for a plain write, read from `data`, when they follow without
 * creating a parent: null when the op needs `applyOp` (a missing or non-object parent, a
 * failing cas, a merge into what is not an object yet).
 */
function plainPatches(data: ClusterDb['data'], op: Op, seq: number): Patch[] | null {
  const stamp: Patch = { op: 'replace', path: ['meta', 'seq'], value: seq };
  const write = (segs: string[], value: unknown): Patch | null => {
    const parent = existingParent(data, segs);
    if (!parent) return null;
    return { op: Object.hasOwn(parent, segs[segs.length - 1]!) ? 'replace' : 'add', path: ['data', ...segs], value };
  };
  if ('set' in op || 'cas' in op) {
    const { path, value } = 'set' in op ? op.set : op.cas;
    const segs = parsePath(path);
    if ('cas' in op) {
      if (!casMatches(getAt(data, segs), op.cas.expect)) return null;
    }
    const patch = write(segs, value);
    return patch && [patch, stamp];
  }
  if ('delete' in op) {
    const segs = parsePath(op.delete.path);
    const parent = existingParent(data, segs);
    // a missing path is a no-op that still takes its seq
    if (!parent || !Object.hasOwn(parent, segs[segs.length - 1]!)) return [stamp];
    return [{ op: 'remove', path: ['data', ...segs] }, stamp];
  }
  if ('merge' in op) {
    const segs = parsePath(op.merge.path);
    const target = getAt(data, segs);
    if (!isPlainObject(target)) return null;
    const patches: Patch[] = Object.entries(op.merge.value).map(([k, v]) => ({ op: Object.hasOwn(target, k) ? 'replace' : 'add', path: ['data', ...segs, k], value: v }));
    return [...patches, stamp];
  }
  return null;
}

/** Every ephemeral key of every node, as segments. */
function ephemeralPaths(db: ClusterDb): string[][] {
  const out: string[][] = [];
  for (const row of Object.values(db.nodes)) for (const p of row.ephemeral ?? []) out.push(parsePath(p));
  return out;
}
