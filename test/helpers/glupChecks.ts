/**
 * Checks shared by the GLUP protocol tests: where a submission id landed in each node's
 * log, and the outcome of a submission that may resolve or reject.
 */
import type { NodeRuntime } from '../../src/actors/runtime.js';
import type { GlupError } from '../../src/errors.js';

/** How many records with submission `id` node `n` holds, committed or not. */
export function countInLog(n: NodeRuntime, id: string, epoch?: number): number {
  return n.replica.range(1, n.replica.lastSeq).filter((r) => r.id === id && (epoch === undefined || r.epoch === epoch)).length;
}

export type Outcome = { ok: true; seq: number; epoch: number } | { ok: false; code: string };

/** A submission's promise as a value, so a test can wait for it without an unhandled rejection. */
export function outcomeOf(p: Promise<{ seq: number; epoch: number }>): Promise<Outcome> {
  return p.then(
    (r) => ({ ok: true, ...r }),
    (e: GlupError) => ({ ok: false, code: e.code ?? String(e) }),
  );
}

/** The newest record a node holds (its log's tail), for tests that catch an update in flight. */
export function lastHeld(n: NodeRuntime) {
  return n.replica.recordAt(n.replica.lastSeq);
}

/**
 * Where node `n`'s committed log disagrees with `reference`'s, as a message (null when they
 * agree): the same commit point, and the same (seq, epoch, id) at every seq both still hold
 * (a node that rejoined from a snapshot holds only the records after it).
 */
export function logMismatch(n: NodeRuntime, reference: NodeRuntime): string | null {
  if (n.committedSeq !== reference.committedSeq) return `${n.id} committed ${n.committedSeq}, ${reference.id} ${reference.committedSeq}`;
  for (const r of n.replica.range(1, n.committedSeq)) {
    const ref = reference.replica.recordAt(r.seq);
    if (!ref) continue;
    if (ref.id !== r.id || ref.epoch !== r.epoch) {
      return `seq ${r.seq}: ${n.id} holds (${r.epoch}, ${r.id}), ${reference.id} holds (${ref.epoch}, ${ref.id})`;
    }
  }
  return null;
}
