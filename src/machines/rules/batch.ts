/**
 * What the update coordinator sequences next (SPEC section 4, Throughput; docs/protocol.md
 * 4.5): a membership change only when the gate is open and alone at the head of its batch,
 * then queued submissions up to the window; several batches may be in flight, in seq order.
 */
import { chooseBackup, type Candidate } from './candidates.js';
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
  if (f.changes.length && mayChangeMembership(f)) batch.push(f.changes[0]!);
  for (const s of f.queue) {
    if (batch.length >= f.window) break;
    batch.push(s);
  }
  return batch;
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
