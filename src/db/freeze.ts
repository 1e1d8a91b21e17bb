/**
 * Freezing databases without walking them (issue 14). immer's auto-freeze deep-freezes the
 * result of every update, which visits every key of every container the update touched;
 * here only what changed is frozen, so a write next to 100,000 keys does not visit them.
 */
import type { Patch } from 'immer';

/**
 * Freezes what `patches` changed in `db`, which holds them: every container on a patch's
 * path (immer copied those) and the value the patch put there (a copy too). Everything else
 * is shared with the previous database, frozen already. Cost: the path lengths, the sizes of
 * the new values and one Object.freeze per changed container.
 */
export function freezeChanged<T>(db: T, patches: readonly Patch[]): T {
  Object.freeze(db);
  // each container once: Object.isFrozen of an object with N keys may look at all N, and
  // thousands of patches (a replica's waiting writes) share the same few containers
  const seen = new Set<object>();
  for (const p of patches) {
    let cur: unknown = db;
    for (const seg of p.path) {
      if (typeof cur !== 'object' || cur === null) break;
      if (!seen.has(cur)) {
        seen.add(cur);
        if (!Object.isFrozen(cur)) Object.freeze(cur);
      }
      cur = (cur as Record<string | number, unknown>)[seg];
    }
    // the value the patch put there (after a remove, whatever now sits at that index)
    deepFreeze(cur);
  }
  return db;
}

/**
 * Freezes a database that did not come from `applyOp` or `applyRecordPatches` (a snapshot
 * read from disk or received from the manager), so that every database a replica holds is
 * frozen all the way down: later updates freeze only what they change, and a store may
 * keep a frozen database without copying it. Cost: the size of the unfrozen part, once.
 */
export function freezeDb<T>(db: T): T {
  deepFreeze(db);
  return db;
}

/** Freezes a JSON value and everything under it, without recursion (values can nest deeply). */
function deepFreeze(value: unknown): void {
  const stack = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || Object.isFrozen(v)) continue;
    Object.freeze(v);
    for (const k in v) stack.push((v as Record<string, unknown>)[k]);
  }
}
