/**
 * What the update coordinator sequences next (SPEC section 4, Throughput; docs/protocol.md
 * 4.5): a membership change only when the gate is open and alone at the head of its batch,
 * then queued submissions up to the window; several batches may be in flight, in seq order.
 */
import { chooseBackup, compareCandidates, type Candidate } from './candidates.js';
import { mayChangeMembership, type ChangeGate, type MemberFacts } from './membership.js';

export interface Submission {
  id: string;
  origin: string;
  op: unknown;
}

export interface BatchFacts extends ChangeGate {
  queue: readonly Submission[];
  changes: readonly Submission[];
  batchesInFlight: number;
  maxBatches: number;
  window: number;
}

/** The submissions of the next batch (empty: nothing to sequence now). */
export function nextBatch(f: BatchFacts): Submission[] {
  if (f.batchesInFlight >= f.maxBatches) return [];
  const batch: Submission[] = [];
  const change = nextChange(f.changes);
  if (change && mayChangeMembership(f)) batch.push(change);
  for (const s of f.queue) {
    if (batch.length >= f.window) break;
    batch.push(s);
  }
  return batch;
}

/** The node a pure addition adds, or null (a removal, or anything else). */
function added(s: Submission): Candidate | null {
  const m = (s.op as { membership?: { add?: Candidate[]; remove?: unknown[] } } | null)?.membership;
  return m && !m.remove?.length && m.add?.length === 1 ? m.add[0]! : null;
}

/**
 * The membership change to sequence next: the oldest, except that among pending additions the
 * best candidate goes first, so nodes that start together end with the backup the backup
 * rule prefers (the first added member becomes backup, and a live backup is never replaced).
 */
export function nextChange(changes: readonly Submission[]): Submission | null {
  const first = changes[0];
  if (!first || !added(first)) return first ?? null;
  const rank = (s: Submission) => added(s)!;
  const additions = changes.filter((s) => added(s));
  return additions.reduce((best, s) => {
    const a = rank(s), b = rank(best);
    if (a.qualified !== b.qualified) return a.qualified ? s : best;
    return compareCandidates(a, b) < 0 ? s : best;
  }, first);
}

export interface BackupFacts {
  self: string;
  backup: string | null;
  members: Readonly<Record<string, MemberFacts>>;
  /** Members not to pick: declared failed, or not heard lately. */
  unfit: readonly string[];
}

/** A backup to name now: whenever there is none (or it failed) and a fit qualified member exists. */
export function backupToName(f: BackupFacts): string | null {
  if (f.backup && f.members[f.backup] && !f.unfit.includes(f.backup)) return null;
  const fit: Candidate[] = Object.entries(f.members)
    .filter(([id]) => !f.unfit.includes(id))
    .map(([id, m]) => ({ id, qualified: m.qualified, priority: m.priority }));
  const pick = chooseBackup(fit, f.self);
  return pick === f.backup ? null : pick;
}
