import test from 'ava';
import {
  appended,
  committedTo,
  compareLogs,
  EMPTY_LOG,
  epochAt,
  isAtLeastAsUpToDate,
  lastEpoch,
  matchAppend,
  positionOf,
  truncated,
  type AppendPlan,
  type LogIndex,
  type LogPosition,
  type RecordMeta,
} from '../../src/machines/rules/log.js';
import { table } from '../helpers/table.js';

/** A log holding `epochs[i]` at seq i + 1, committed to `commitSeq`. */
function logOf(epochs: number[], commitSeq = 0): LogIndex {
  return committedTo(appended(EMPTY_LOG, epochs.map((epoch, i) => ({ seq: i + 1, epoch }))), commitSeq);
}
const metas = (from: number, epochs: number[]): RecordMeta[] => epochs.map((epoch, i) => ({ seq: from + i, epoch }));
const pos = (lastSeq: number, lastEpoch: number, commitSeq = 0): LogPosition => ({ lastSeq, lastEpoch, commitSeq });

/** Seqs 1–3 of epoch 1, 4–5 of epoch 2. */
const mixed = logOf([1, 1, 1, 2, 2], 2);
/** A compacted log: a snapshot up to seq 5 (its last record of epoch 1), then 6–7 of epoch 2. */
const compacted: LogIndex = { snapshotSeq: 5, snapshotEpoch: 1, lastSeq: 7, runs: [[6, 2]], commitSeq: 6 };

table('epochAt', ([log, seq]: [LogIndex, number]) => epochAt(log, seq), [
  ['seq 0 is before every record: epoch 0', [mixed, 0], 0],
  ['inside the first run', [mixed, 3], 1],
  ['the first seq of a later run', [mixed, 4], 2],
  ['the last seq', [mixed, 5], 2],
  ['beyond the end: unknown', [mixed, 6], undefined],
  ['the snapshot seq: the snapshot epoch', [compacted, 5], 1],
  ['below the snapshot: compacted, unknown', [compacted, 3], undefined],
  ['above the snapshot', [compacted, 7], 2],
]);

table('positionOf', positionOf, [
  ['an empty log', EMPTY_LOG, pos(0, 0, 0)],
  ['last seq, the epoch of the last record, and the commit point', mixed, pos(5, 2, 2)],
  ['a log that is only a snapshot ends on the snapshot epoch', { ...EMPTY_LOG, snapshotSeq: 4, snapshotEpoch: 3, lastSeq: 4, commitSeq: 4 }, pos(4, 3, 4)],
]);

test('lastEpoch: the epoch of the record at lastSeq', (t) => {
  t.is(lastEpoch(mixed), 2);
  t.is(lastEpoch(EMPTY_LOG), 0);
});

table('compareLogs (sign)', ([a, b]: [LogPosition, LogPosition]) => Math.sign(compareLogs(a, b)), [
  ['a later last epoch is more up to date, even when shorter', [pos(3, 5), pos(9, 4)], 1],
  ['same last epoch: the longer log', [pos(9, 4), pos(3, 4)], 1],
  ['same last epoch, shorter', [pos(3, 4), pos(9, 4)], -1],
  ['the commit point plays no part', [pos(3, 4, 0), pos(3, 4, 3)], 0],
]);

table('isAtLeastAsUpToDate', ([a, b]: [LogPosition, LogPosition]) => isAtLeastAsUpToDate(a, b), [
  ['an equal log is', [pos(3, 2), pos(3, 2)], true],
  ['a longer one is', [pos(4, 2), pos(3, 2)], true],
  ['one that ends in an older epoch is not', [pos(9, 1), pos(3, 2)], false],
]);

table('appended', ([log, ms]: [LogIndex, RecordMeta[]]) => appended(log, ms), [
  ['records of the same epoch extend its run', [logOf([1]), metas(2, [1, 1])], { ...logOf([1]), lastSeq: 3, runs: [[1, 1]] }],
  ['a new epoch starts a new run', [logOf([1]), metas(2, [2])], { ...logOf([1]), lastSeq: 2, runs: [[1, 1], [2, 2]] }],
  ['after a snapshot the first record opens a run', [{ ...EMPTY_LOG, snapshotSeq: 4, snapshotEpoch: 1, lastSeq: 4 }, metas(5, [1])], { ...EMPTY_LOG, snapshotSeq: 4, snapshotEpoch: 1, lastSeq: 5, runs: [[5, 1]] }],
]);

test('appended: nothing to append leaves the same index; a gap is refused', (t) => {
  t.is(appended(mixed, []), mixed);
  t.throws(() => appended(mixed, metas(7, [2])), { message: /seq 7 does not continue 5/ });
});

table('truncated', ([log, seq]: [LogIndex, number]) => truncated(log, seq), [
  ['cuts the uncommitted tail and its runs', [mixed, 3], { ...mixed, lastSeq: 3, runs: [[1, 1]] }],
  ['cutting at the end changes nothing', [mixed, 5], mixed],
  ['cutting beyond the end changes nothing', [mixed, 9], mixed],
  ['down to the commit point is allowed', [mixed, 2], { ...mixed, lastSeq: 2, runs: [[1, 1]] }],
]);

test('truncated: never below the commit point', (t) => {
  t.throws(() => truncated(mixed, 1), { message: /refusing to cut committed seq 2 back to 1/ });
});

table('committedTo', ([log, seq]: [LogIndex, number]) => committedTo(log, seq).commitSeq, [
  ['moves forward', [mixed, 4], 4],
  ['never beyond the last seq held', [mixed, 9], 5],
  ['never backwards', [mixed, 1], 2],
]);

test('committedTo: an unchanged commit point keeps the same index', (t) => {
  t.is(committedTo(mixed, 2), mixed);
});

const append = (held: number, truncateAfter: number | null, match: number): AppendPlan => ({ kind: 'append', held, truncateAfter, match });

/** Log matching (docs/protocol.md 4.1): the follower's log is `mixed` (1–3 epoch 1, 4–5 epoch 2, committed to 2) unless a row says otherwise. */
table('matchAppend', ([log, prev, ms]: [LogIndex, RecordMeta, RecordMeta[]]) => matchAppend(log, prev, ms), [
  ['records that continue the log append', [mixed, { seq: 5, epoch: 2 }, metas(6, [2, 2])], append(0, null, 7)],
  ['records already held are kept, the rest appended', [mixed, { seq: 3, epoch: 1 }, metas(4, [2, 2, 2])], append(2, null, 6)],
  ['a duplicate of what is held appends nothing', [mixed, { seq: 3, epoch: 1 }, metas(4, [2, 2])], append(2, null, 5)],
  ['an empty update (the prev check alone) matches up to prev', [mixed, { seq: 5, epoch: 2 }, []], append(0, null, 5)],
  ['a divergent uncommitted tail is cut where it differs', [mixed, { seq: 3, epoch: 1 }, metas(4, [3, 3])], append(0, 3, 5)],
  ['a divergence further in keeps what matches first', [mixed, { seq: 3, epoch: 1 }, metas(4, [2, 3, 3])], append(1, 4, 6)],
  ['prev beyond the end (a gap): resend from the end', [mixed, { seq: 7, epoch: 2 }, metas(8, [2])], { kind: 'mismatch', hint: 5 }],
  ['prev held in another epoch above the commit point: resend from the commit point', [mixed, { seq: 4, epoch: 3 }, metas(5, [3])], { kind: 'mismatch', hint: 2 }],
  ['records that do not follow each other: resend from the commit point', [mixed, { seq: 5, epoch: 2 }, [{ seq: 6, epoch: 2 }, { seq: 8, epoch: 2 }]], { kind: 'mismatch', hint: 2 }],
  ['records that do not follow prev: resend from the commit point', [mixed, { seq: 5, epoch: 2 }, metas(7, [2])], { kind: 'mismatch', hint: 2 }],
  ['prev at a committed seq in another epoch is a conflict, never appended', [mixed, { seq: 2, epoch: 7 }, metas(3, [7])], { kind: 'conflict', seq: 2 }],
  ['a record at a committed seq in another epoch is a conflict', [mixed, { seq: 1, epoch: 1 }, metas(2, [7, 7])], { kind: 'conflict', seq: 2 }],
  ['prev 0 on an empty log: the first records', [EMPTY_LOG, { seq: 0, epoch: 0 }, metas(1, [1])], append(0, null, 1)],
  ['compacted seqs below the snapshot count as matching (they are committed)', [compacted, { seq: 3, epoch: 1 }, metas(4, [1, 1, 2, 2, 2])], append(4, null, 8)],
  ['a divergent tail above a snapshot is cut after the commit point', [compacted, { seq: 6, epoch: 2 }, metas(7, [3])], append(0, 6, 7)],
]);
