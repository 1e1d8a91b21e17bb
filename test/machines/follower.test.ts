/**
 * The follower chart (docs/protocol.md 4.1, 4.4), stepped purely: log matching, append
 * before ack, one nack per gap, and commits only of what the current manager announced and
 * this node holds durably.
 */
import test from 'ava';
import { initialTransition, transition } from 'xstate';
import { followerMachine, type FollowerEvent } from '../../src/machines/follower.js';
import { appended, committedTo, EMPTY_LOG, type LogIndex, type RecordMeta } from '../../src/machines/rules/log.js';
import { asked, names, pure } from './pure.js';

const m = pure(followerMachine);
/** Seqs 1–2 of epoch 1, committed; the manager n1 now leads epoch 2. */
const log: LogIndex = committedTo(appended(EMPTY_LOG, [{ seq: 1, epoch: 1 }, { seq: 2, epoch: 1 }]), 2);
const metas = (from: number, to: number, epoch = 2): RecordMeta[] => Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, epoch }));
const update = (prev: RecordMeta, ms: RecordMeta[], over: Partial<Extract<FollowerEvent, { type: 'UPDATE' }>> = {}): FollowerEvent => ({
  type: 'UPDATE',
  from: 'n1',
  epoch: 2,
  prev,
  metas: ms,
  records: ms.map((x) => `r${x.seq}`),
  commitSeq: 2,
  ...over,
});
const start = () => initialTransition(m, { self: 'n3', manager: 'n1', epoch: 2, log })[0];
type Snap = ReturnType<typeof start>;
const acks = (actions: Parameters<typeof asked>[1]) => asked(m, actions).filter((a) => a.type === 'sendAck').map((a) => a.params);

test('records that continue the log are written before they are acked', (t) => {
  let s = start();
  let actions;
  [s, actions] = transition(m, s, update({ seq: 2, epoch: 1 }, metas(3, 4)));
  t.is(s.value, 'writing');
  t.deepEqual(asked(m, actions), [{ type: 'writeRecords', params: { truncateAfter: null, records: ['r3', 'r4'], upTo: 4 } }]);
  t.deepEqual(acks(actions), [], 'no ack before the store holds them');
  [s, actions] = transition(m, s, { type: 'WRITTEN', upTo: 4 });
  t.is(s.value, 'inStep');
  t.deepEqual(acks(actions), [{ to: 'n1', ok: true, match: 4, hint: 0 }]);
});

test('a divergent uncommitted tail is cut where it differs, in the same write', (t) => {
  let s = start();
  [s] = transition(m, s, update({ seq: 2, epoch: 1 }, metas(3, 4)));
  [s] = transition(m, s, { type: 'WRITTEN', upTo: 4 });
  // a manager of epoch 3 holds another record at seq 4
  const [next, actions] = transition(m, s, update({ seq: 3, epoch: 2 }, metas(4, 4, 3), { epoch: 3 }));
  t.deepEqual(asked(m, actions).find((a) => a.type === 'writeRecords')?.params, { truncateAfter: 3, records: ['r4'], upTo: 4 });
  t.is(next.context.durable, 3, 'what was cut is no longer durable here');
});

test('a gap: the update is kept and the manager asked once for what is missing', (t) => {
  let s = start();
  let actions;
  [s, actions] = transition(m, s, update({ seq: 4, epoch: 2 }, metas(5, 5)));
  t.is(s.value, 'behind');
  t.deepEqual(acks(actions), [{ to: 'n1', ok: false, match: 0, hint: 2 }]);
  [s, actions] = transition(m, s, update({ seq: 5, epoch: 2 }, metas(6, 6)));
  t.deepEqual(acks(actions), [], 'the same gap is not asked about twice');
  t.deepEqual(Object.keys(s.context.buffered).sort(), ['4', '5']);
  // the missing records arrive: the buffered ones follow on from them, in order
  [s, actions] = transition(m, s, update({ seq: 2, epoch: 1 }, metas(3, 4)));
  t.deepEqual(
    asked(m, actions).filter((a) => a.type === 'writeRecords').map((a) => (a.params as { upTo: number }).upTo),
    [4, 5, 6],
  );
  t.is(s.context.log.lastSeq, 6);
  t.deepEqual(s.context.buffered, {});
});

test('records that do not match the log are nacked with where to resend from', (t) => {
  let s = start();
  [s] = transition(m, s, update({ seq: 2, epoch: 1 }, metas(3, 4)));
  [s] = transition(m, s, { type: 'WRITTEN', upTo: 4 });
  // this manager holds seq 4 in epoch 1: the uncommitted records here differ from its log
  const [, actions] = transition(m, s, update({ seq: 4, epoch: 1 }, metas(5, 5)));
  t.deepEqual(acks(actions), [{ to: 'n1', ok: false, match: 0, hint: 2 }]);
  t.false(names(m, actions).includes('writeRecords'));
});

test('a different record at a committed seq is refused and reported, never written or acked', (t) => {
  const s = start();
  const [, actions] = transition(m, s, update({ seq: 1, epoch: 1 }, [{ seq: 2, epoch: 2 }]));
  t.deepEqual(asked(m, actions), [
    { type: 'refuseConflict', params: { seq: 2, from: 'n1' } },
    { type: 'reportConflict', event: { type: 'LOG_CONFLICT', from: 'n1' } },
  ]);
});

test('it commits only what the manager announced, compared, and durable here', (t) => {
  let s: Snap = start();
  let actions;
  [s, actions] = transition(m, s, update({ seq: 2, epoch: 1 }, metas(3, 4)));
  [s, actions] = transition(m, s, { type: 'COMMIT_NOTICE', from: 'n1', epoch: 2, commitSeq: 4 });
  t.false(names(m, actions).includes('commit'), 'announced, but not yet written here');
  [s, actions] = transition(m, s, { type: 'WRITTEN', upTo: 3 });
  t.deepEqual(asked(m, actions).find((a) => a.type === 'commit')?.params, { upTo: 3 });
  [s, actions] = transition(m, s, { type: 'WRITTEN', upTo: 4 });
  t.deepEqual(asked(m, actions).find((a) => a.type === 'commit')?.params, { upTo: 4 });
  t.is(s.context.log.commitSeq, 4);
});

test('a commit point of another manager, or of an older epoch, commits nothing', (t) => {
  let s = start();
  [s] = transition(m, s, update({ seq: 2, epoch: 1 }, metas(3, 4)));
  [s] = transition(m, s, { type: 'WRITTEN', upTo: 4 });
  let actions;
  [s, actions] = transition(m, s, { type: 'COMMIT_NOTICE', from: 'n2', epoch: 2, commitSeq: 4 });
  t.false(names(m, actions).includes('commit'));
  [s, actions] = transition(m, s, { type: 'COMMIT_NOTICE', from: 'n1', epoch: 1, commitSeq: 4 });
  t.false(names(m, actions).includes('commit'));
  t.is(s.context.log.commitSeq, 2);
});

test('records of an older manager are ignored', (t) => {
  const s = start();
  const [next, actions] = transition(m, s, update({ seq: 2, epoch: 1 }, metas(3, 3, 1), { epoch: 1, from: 'n2' }));
  t.deepEqual(asked(m, actions), []);
  t.is(next.context.log.lastSeq, 2);
});

test('a newer manager\'s first records: it follows that manager, and what it compared with the old one counts no more', (t) => {
  let s = start();
  [s] = transition(m, s, update({ seq: 2, epoch: 1 }, metas(3, 4)));
  [s] = transition(m, s, { type: 'WRITTEN', upTo: 4 });
  t.is(s.context.match, 4);
  let actions;
  [s, actions] = transition(m, s, update({ seq: 4, epoch: 2 }, metas(5, 5, 3), { from: 'n2', epoch: 3 }));
  t.like(s.context, { manager: 'n2', epoch: 3 });
  t.deepEqual(asked(m, actions).find((a) => a.type === 'writeRecords')?.params, { truncateAfter: null, records: ['r5'], upTo: 5 });
});

test('a snapshot newer than the commit point is installed, then acked', (t) => {
  let s = start();
  let actions;
  [s, actions] = transition(m, s, { type: 'SNAPSHOT', from: 'n1', epoch: 2, seq: 9, snapshotEpoch: 2, snapshot: { db: 1 }, commitSeq: 9 });
  t.is(s.value, 'installing');
  t.deepEqual(asked(m, actions), [{ type: 'installSnapshot', params: { snapshot: { db: 1 } } }]);
  const installed: LogIndex = { snapshotSeq: 9, snapshotEpoch: 2, lastSeq: 9, runs: [], commitSeq: 9 };
  [s, actions] = transition(m, s, { type: 'SNAPSHOT_INSTALLED', log: installed });
  t.is(s.value, 'inStep');
  t.deepEqual(acks(actions), [{ to: 'n1', ok: true, match: 9, hint: 0 }]);
});

test('while it installs a snapshot, the same manager\'s next one is not started: what it lacks after comes as records', (t) => {
  let [s] = transition(m, start(), { type: 'SNAPSHOT', from: 'n1', epoch: 2, seq: 9, snapshotEpoch: 2, snapshot: { db: 1 }, commitSeq: 9 });
  let actions;
  [s, actions] = transition(m, s, { type: 'SNAPSHOT', from: 'n1', epoch: 2, seq: 12, snapshotEpoch: 2, snapshot: { db: 2 }, commitSeq: 12 });
  t.is(s.value, 'installing');
  t.deepEqual(asked(m, actions), [], 'the retransmitted snapshot is dropped');
  const installed: LogIndex = { snapshotSeq: 9, snapshotEpoch: 2, lastSeq: 9, runs: [], commitSeq: 9 };
  [s, actions] = transition(m, s, { type: 'SNAPSHOT_INSTALLED', log: installed });
  t.deepEqual(acks(actions), [{ to: 'n1', ok: true, match: 9, hint: 0 }], 'acked at 9: the manager sends 10 on');
  // a newer manager's snapshot is taken even during an install
  [s] = transition(m, start(), { type: 'SNAPSHOT', from: 'n1', epoch: 2, seq: 9, snapshotEpoch: 2, snapshot: { db: 1 }, commitSeq: 9 });
  [s, actions] = transition(m, s, { type: 'SNAPSHOT', from: 'n3', epoch: 3, seq: 12, snapshotEpoch: 3, snapshot: { db: 3 }, commitSeq: 12 });
  t.like(s.context, { manager: 'n3', epoch: 3 });
  t.true(asked(m, actions).some((a) => a.type === 'installSnapshot'));
});
