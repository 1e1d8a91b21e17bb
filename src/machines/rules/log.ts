/**
 * A node's log as the protocol sees it: positions and the epoch of every held seq, never
 * the records themselves (those stay in the replica). Log matching (docs/protocol.md 4.1):
 * one manager per epoch gives each seq at most one record in its epoch, so two logs holding
 * a record of the same seq and epoch are identical up to it.
 */

/** The index of one log. Immutable: every change returns a new index. */
export interface LogIndex {
  /** Seq covered by the newest snapshot (0: none) and the epoch of the record it ends on. */
  snapshotSeq: number;
  snapshotEpoch: number;
  /** Last seq held, committed or not. */
  lastSeq: number;
  /** Epochs of the held seqs above the snapshot as runs `[firstSeq, epoch]`, ascending. */
  runs: readonly (readonly [number, number])[];
  /** Highest committed seq known here. */
  commitSeq: number;
}

/** Where a log ends, as ballots and acks carry it. */
export interface LogPosition {
  lastSeq: number;
  lastEpoch: number;
  commitSeq: number;
}

export interface RecordMeta {
  seq: number;
  epoch: number;
}

export const EMPTY_LOG: LogIndex = { snapshotSeq: 0, snapshotEpoch: 0, lastSeq: 0, runs: [], commitSeq: 0 };

/** Epoch of the record at `seq`, when known (a compacted seq below the snapshot is not). */
export function epochAt(log: LogIndex, seq: number): number | undefined {
  if (seq === 0) return 0;
  if (seq === log.snapshotSeq) return log.snapshotEpoch;
  if (seq < log.snapshotSeq || seq > log.lastSeq) return undefined;
  let found: number | undefined;
  for (const [first, epoch] of log.runs) {
    if (first > seq) break;
    found = epoch;
  }
  return found;
}

export function lastEpoch(log: LogIndex): number {
  return epochAt(log, log.lastSeq) ?? 0;
}

export function positionOf(log: LogIndex): LogPosition {
  return { lastSeq: log.lastSeq, lastEpoch: lastEpoch(log), commitSeq: log.commitSeq };
}

/** Orders logs by how up to date they are: last epoch first, then last seq (Raft §5.4.1). */
export function compareLogs(a: LogPosition, b: LogPosition): number {
  if (a.lastEpoch !== b.lastEpoch) return a.lastEpoch - b.lastEpoch;
  return a.lastSeq - b.lastSeq;
}

export function isAtLeastAsUpToDate(a: LogPosition, b: LogPosition): boolean {
  return compareLogs(a, b) >= 0;
}

/** The index after appending `metas`, which continue the log. */
export function appended(log: LogIndex, metas: readonly RecordMeta[]): LogIndex {
  if (!metas.length) return log;
  const runs = [...log.runs];
  let lastSeq = log.lastSeq;
  for (const m of metas) {
    if (m.seq !== lastSeq + 1) throw new Error(`log index: seq ${m.seq} does not continue ${lastSeq}`);
    const tail = runs[runs.length - 1];
    const current = tail ? tail[1] : log.snapshotEpoch;
    if (!tail || current !== m.epoch) runs.push([m.seq, m.epoch]);
    lastSeq = m.seq;
  }
  return { ...log, runs, lastSeq };
}

/** The index after dropping every seq above `seq` (never below the commit point). */
export function truncated(log: LogIndex, seq: number): LogIndex {
  if (seq >= log.lastSeq) return log;
  if (seq < log.commitSeq) throw new Error(`log index: refusing to cut committed seq ${log.commitSeq} back to ${seq}`);
  return { ...log, runs: log.runs.filter(([first]) => first <= seq), lastSeq: seq };
}

export function committedTo(log: LogIndex, seq: number): LogIndex {
  const commitSeq = Math.min(Math.max(log.commitSeq, seq), log.lastSeq);
  return commitSeq === log.commitSeq ? log : { ...log, commitSeq };
}

/** What a follower does with records that follow `prev` (docs/protocol.md 4.1). */
export type AppendPlan =
  /** Keep the first `held` records (already here), cut after `truncateAfter` when given, append the rest; the log then matches the sender's up to `match`. */
  | { kind: 'append'; held: number; truncateAfter: number | null; match: number }
  /** The log does not hold `prev`: the sender should send from `hint + 1`. */
  | { kind: 'mismatch'; hint: number }
  /** A different record at a committed seq: never accepted (a safety breach under majority; a rejoin under quorum none). */
  | { kind: 'conflict'; seq: number };

export function matchAppend(log: LogIndex, prev: RecordMeta, metas: readonly RecordMeta[]): AppendPlan {
  for (let i = 0; i < metas.length; i++) {
    if (metas[i]!.seq !== prev.seq + 1 + i) return { kind: 'mismatch', hint: log.commitSeq };
  }
  if (prev.seq > log.lastSeq) return { kind: 'mismatch', hint: log.lastSeq };
  const prevEpoch = epochAt(log, prev.seq);
  if (prev.seq <= log.commitSeq) {
    // a committed prefix is the same everywhere; an epoch that says otherwise is a breach
    if (prevEpoch !== undefined && prevEpoch !== prev.epoch) return { kind: 'conflict', seq: prev.seq };
  } else if (prevEpoch !== prev.epoch) {
    return { kind: 'mismatch', hint: log.commitSeq };
  }
  let held = 0;
  let truncateAfter: number | null = null;
  for (const m of metas) {
    if (m.seq > log.lastSeq) break;
    const mine = epochAt(log, m.seq);
    if (m.seq <= log.commitSeq) {
      if (mine !== undefined && mine !== m.epoch) return { kind: 'conflict', seq: m.seq };
    } else if (mine !== m.epoch) {
      truncateAfter = m.seq - 1;
      break;
    }
    held++;
  }
  return { kind: 'append', held, truncateAfter, match: prev.seq + metas.length };
}
