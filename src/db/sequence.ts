/**
 * Numbering a batch of submissions (the update coordinator, SPEC section 4): each op becomes
 * a record with the patches it makes, or a refusal, exactly as if `applyOp` applied them one
 * after the other. What differs is the cost (issue 14): `applyOp` copies every container on
 * an op's path, so a write next to N keys costs O(N) per op. Here the plain data writes of a
 * batch are gathered into runs and each run is applied in one pass, copying such a container
 * once per run.
 *
 * A run holds ops whose patches follow from the database at the start of the run alone: a
 * `set`, `cas`, `delete` or `merge` (not ephemeral) under objects that exist, writing where
 * no earlier op of the run wrote (no path of one is a prefix of a path of the other, so
 * neither reads or replaces what the other wrote) and where no ephemeral key lives (a write
 * there releases the key, which changes a node row). Every other op, and every op that would
 * fail, ends the run and goes through `applyOp` alone, which also gives its error.
 */
import type { Patch } from 'immer';
import type { GlupError } from '../errors.js';
import { applyOp, applyRecordPatches, jsonEqual } from './ops.js';
import { FORBIDDEN_KEYS, getAt, isPathPrefix, isPlainObject, parsePath } from './paths.js';
import type { ClusterDb, Op } from './types.js';

export interface SequenceItem {
  op: Op;
  /** The submitting node. */
  origin: string;
}

export type SequenceOutcome = { seq: number; patches: Patch[] } | { error: GlupError };

/** Outcomes [from, to) and the database after them. Runs cover every outcome, in order. */
export interface SequenceRun {
  from: number;
  to: number;
  db: ClusterDb;
}

export function sequenceOps(base: ClusterDb, items: readonly SequenceItem[], firstSeq: number, epoch: number): { outcomes: SequenceOutcome[]; runs: SequenceRun[] } {
  const outcomes: SequenceOutcome[] = [];
  const runs: SequenceRun[] = [];
  let db = base;
  let seq = firstSeq;
  let ephemeral = ephemeralPaths(db);
  let runFrom = 0;
  let runPatches: Patch[] = [];
  const written = new WrittenPaths();

  const endRun = (to: number) => {
    if (runPatches.length) db = applyRecordPatches(db, runPatches);
    if (to > runFrom) runs.push({ from: runFrom, to, db });
    runFrom = to;
    runPatches = [];
    written.clear();
  };

  items.forEach((item, i) => {
    const paths = plainWritePaths(item.op);
    if (paths && paths.some((p) => written.overlaps(p))) endRun(i);
    const patches = paths && !paths.some((p) => ephemeral.some((e) => isPathPrefix(p, e))) ? plainPatches(db, item.op, seq) : null;
    if (patches) {
      outcomes.push({ seq: seq++, patches });
      runPatches.push(...patches);
      for (const p of paths!) written.add(p);
      return;
    }
    endRun(i);
    try {
      const done = applyOp(db, item.op, { origin: item.origin, seq, epoch });
      db = done.db;
      outcomes.push({ seq: seq++, patches: done.patches });
      ephemeral = ephemeralPaths(db);
    } catch (e) {
      outcomes.push({ error: e as GlupError });
    }
    runs.push({ from: i, to: i + 1, db });
    runFrom = i + 1;
  });
  endRun(items.length);
  return { outcomes, runs };
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
 * The patches `applyOp` would make of `db` for a plain write, when they follow without
 * creating a parent: null when the op needs `applyOp` (a missing or non-object parent, a
 * failing cas, a merge into what is not an object yet).
 */
function plainPatches(db: ClusterDb, op: Op, seq: number): Patch[] | null {
  const stamp: Patch = { op: 'replace', path: ['meta', 'seq'], value: seq };
  const write = (segs: string[], value: unknown): Patch | null => {
    const parent = parentOf(db.data, segs);
    if (!parent) return null;
    return { op: Object.hasOwn(parent, segs[segs.length - 1]!) ? 'replace' : 'add', path: ['data', ...segs], value };
  };
  if ('set' in op || 'cas' in op) {
    const { path, value } = 'set' in op ? op.set : op.cas;
    const segs = parsePath(path);
    if ('cas' in op) {
      const current = getAt(db.data, segs);
      const matches = op.cas.expect === null ? current === undefined || current === null : jsonEqual(current, op.cas.expect);
      if (!matches) return null;
    }
    const patch = write(segs, value);
    return patch && [patch, stamp];
  }
  if ('delete' in op) {
    const segs = parsePath(op.delete.path);
    const parent = parentOf(db.data, segs);
    // a missing path is a no-op that still takes its seq
    if (!parent || !Object.hasOwn(parent, segs[segs.length - 1]!)) return [stamp];
    return [{ op: 'remove', path: ['data', ...segs] }, stamp];
  }
  if ('merge' in op) {
    const segs = parsePath(op.merge.path);
    const target = getAt(db.data, segs);
    if (!isPlainObject(target)) return null;
    const patches: Patch[] = Object.entries(op.merge.value).map(([k, v]) => ({ op: Object.hasOwn(target, k) ? 'replace' : 'add', path: ['data', ...segs, k], value: v }));
    return [...patches, stamp];
  }
  return null;
}

/** The object that holds the last segment, when every parent exists and is a plain object. */
function parentOf(data: Record<string, unknown>, segs: readonly string[]): Record<string, unknown> | undefined {
  let cur: unknown = data;
  for (let i = 0; i < segs.length - 1; i++) {
    if (!isPlainObject(cur) || !Object.hasOwn(cur, segs[i]!)) return undefined;
    cur = cur[segs[i]!];
  }
  return isPlainObject(cur) ? cur : undefined;
}

/** Every ephemeral key of every node, as segments. */
function ephemeralPaths(db: ClusterDb): string[][] {
  const out: string[][] = [];
  for (const row of Object.values(db.nodes)) for (const p of row.ephemeral ?? []) out.push(parsePath(p));
  return out;
}

/** The paths written in a run: a new path overlaps when one of the two is a prefix of the other. */
class WrittenPaths {
  /** Every written path and every prefix of one, joined by NUL (segments may hold dots). */
  private readonly prefixes = new Set<string>();
  private readonly exact = new Set<string>();

  add(segs: readonly string[]): void {
    for (let i = 1; i <= segs.length; i++) this.prefixes.add(segs.slice(0, i).join('\u0000'));
    this.exact.add(segs.join('\u0000'));
  }

  overlaps(segs: readonly string[]): boolean {
    // a written path is a prefix of this one (or equal), or this one is a prefix of a written one
    for (let i = 1; i <= segs.length; i++) if (this.exact.has(segs.slice(0, i).join('\u0000'))) return true;
    return this.prefixes.has(segs.join('\u0000'));
  }

  clear(): void {
    this.prefixes.clear();
    this.exact.clear();
  }
}
