/**
 * The takeover chart (docs/protocol.md 4.3), stepped purely: a backup takes over only when a
 * majority of the newest membership lost the manager too, and wins only with promises from a
 * majority; a handover starts at the promise.
 */
import test from 'ava';
import { initialTransition, transition } from 'xstate';
import { takeoverMachine, type TakeoverInput } from '../../src/machines/takeover.js';
import type { LogPosition } from '../../src/machines/rules/log.js';
import { asked, done, failed, fire, pure } from './pure.js';

const m = pure(takeoverMachine);
const pos = (lastSeq: number, lastEpoch = 4): LogPosition => ({ lastSeq, lastEpoch, commitSeq: 3 });
/** Backup n2 of five members takes over from n1 for epoch 5. */
const input = (over: Partial<TakeoverInput> = {}): TakeoverInput => ({
  self: 'n2',
  kind: 'takeover',
  term: 5,
  members: ['n1', 'n2', 'n3', 'n4', 'n5'],
  manager: 'n1',
  position: pos(6),
  grants: [],
  heartbeatMs: 100,
  retransmitMs: 50,
  missedHeartbeats: 3,
  quorum: 'majority',
  ...over,
});
type Snap = ReturnType<typeof initialTransition<typeof m>>[0];
const answer = (s: Snap, from: string, lost: boolean, position = pos(6), term = 5) => transition(m, s, { type: 'ASK_REPLY', from, term, lost, position });
const grant = (s: Snap, from: string, granted = true, term = 5) => transition(m, s, { type: 'PROMISE_REPLY', from, term, granted });

test('a takeover first asks everyone else, the manager too, and promises nothing', (t) => {
  const [s, actions] = initialTransition(m, input());
  t.is(s.value, 'asking');
  t.deepEqual(asked(m, actions), [{ type: 'askMembers', params: { term: 5, to: ['n1', 'n3', 'n4', 'n5'], position: pos(6) } }]);
  t.deepEqual(s.context.grants, []);
});

test('it raises its epoch only once a majority (itself included) lost the manager too', (t) => {
  let [s] = initialTransition(m, input());
  [s] = answer(s, 'n3', true);
  t.is(s.value, 'asking', 'two of five is no majority');
  [s] = answer(s, 'n4', false);
  t.is(s.value, 'asking');
  [s] = answer(s, 'n5', true);
  t.is(s.value, 'raising', 'three of five');
});

test('answers for another term, or a second answer from one node, do not count', (t) => {
  let [s] = initialTransition(m, input());
  [s] = answer(s, 'n3', true, pos(6), 4);
  [s] = answer(s, 'n4', true);
  [s] = answer(s, 'n4', true);
  t.is(s.value, 'asking');
  t.deepEqual(Object.keys(s.context.lost).sort(), ['n2', 'n4']);
});

test('everyone answered and no majority lost the manager: denied (a broken link only), nothing won', (t) => {
  let [s] = initialTransition(m, input());
  for (const id of ['n1', 'n3', 'n4']) [s] = answer(s, id, false);
  t.is(s.value, 'asking');
  [s] = answer(s, 'n5', true);
  t.is(s.value, 'denied');
  t.deepEqual(s.output, { won: false });
});

test('no majority within the ask window: denied', (t) => {
  let [s] = initialTransition(m, input());
  [s] = answer(s, 'n3', true);
  [s] = fire(m, s, 'askWindow');
  t.is(s.value, 'denied');
  t.deepEqual(s.output, { won: false });
});

test('a majority lost the manager and one of them is ahead: it catches up from that one first', (t) => {
  let [s] = initialTransition(m, input());
  [s] = answer(s, 'n3', true, pos(9));
  [s] = answer(s, 'n4', true, pos(7));
  t.is(s.value, 'catchingUp');
  [s] = done(m, s, 'fetchLog', { position: pos(9), members: {} });
  t.is(s.value, 'raising');
  t.deepEqual(s.context.position, pos(9));
});

test('a log in a later epoch is ahead even when shorter', (t) => {
  let [s] = initialTransition(m, input());
  [s] = answer(s, 'n3', true, pos(2, 5));
  [s] = answer(s, 'n4', true, pos(6));
  t.is(s.value, 'catchingUp');
});

test('the epoch is recorded before promises are asked for; a failed write denies', (t) => {
  let [s] = initialTransition(m, input());
  [s] = answer(s, 'n3', true);
  [s] = answer(s, 'n4', true);
  const [d] = failed(m, s, 'raiseEpoch');
  t.is(d.value, 'denied');
  let actions;
  [s, actions] = done(m, s, 'raiseEpoch');
  t.deepEqual(s.value, { ballot: 'promising' });
  t.deepEqual(s.context.grants, ['n2'], 'its own promise');
  t.deepEqual(asked(m, actions), [{ type: 'requestPromises', params: { term: 5, to: ['n3', 'n4'], position: pos(6) } }], 'a takeover asks only those that lost the manager too');
});

test('it wins only with promises from a majority of the membership', (t) => {
  let [s] = initialTransition(m, input());
  [s] = answer(s, 'n3', true);
  [s] = answer(s, 'n4', true);
  [s] = done(m, s, 'raiseEpoch');
  [s] = grant(s, 'n3');
  t.deepEqual(s.value, { ballot: 'promising' }, 'two of five');
  [s] = grant(s, 'n4', false);
  [s] = grant(s, 'n5', true, 6);
  [s] = grant(s, 'n3');
  t.deepEqual(s.value, { ballot: 'promising' }, 'a refusal, a promise of another epoch and a repeated promise do not count');
  [s] = grant(s, 'n4');
  t.is(s.value, 'won');
  t.deepEqual(s.output, { won: true, epoch: 5, voters: ['n2', 'n3', 'n4'], live: ['n2', 'n3', 'n4', 'n5'], lost: ['n1'], position: pos(6) }, 'the replaced manager is lost: the new coordinator does not wait for it');
});

test('unanswered promises are asked for again; without a majority within M heartbeats the ballot is denied', (t) => {
  let [s] = initialTransition(m, input());
  [s] = answer(s, 'n3', true);
  [s] = answer(s, 'n4', true);
  [s] = done(m, s, 'raiseEpoch');
  [s] = grant(s, 'n3');
  let actions;
  [s, actions] = fire(m, s, 'retransmit');
  t.deepEqual(asked(m, actions), [{ type: 'requestPromises', params: { term: 5, to: ['n4'], position: pos(6) } }], 'only those that have not promised');
  [s] = fire(m, s, 'ballotTimeout');
  t.is(s.value, 'denied');
  t.deepEqual(s.output, { won: false });
});

test('a handover skips the question: it records the epoch and asks every member, the old manager\'s promise in hand', (t) => {
  let [s] = initialTransition(m, input({ kind: 'handover', grants: ['n1'] }));
  t.is(s.value, 'raising');
  let actions;
  [s, actions] = done(m, s, 'raiseEpoch');
  t.deepEqual(s.context.grants, ['n1', 'n2']);
  t.deepEqual(asked(m, actions), [{ type: 'requestPromises', params: { term: 5, to: ['n3', 'n4', 'n5'], position: pos(6) } }]);
  [s] = grant(s, 'n4');
  t.is(s.value, 'won');
  t.like(s.output, { won: true, lost: [] }, 'the leaving manager is alive: nobody is lost');
});

test('a handover\'s promises that arrive while the epoch is being recorded are kept', (t) => {
  let [s] = initialTransition(m, input({ kind: 'handover', grants: ['n1'] }));
  [s] = grant(s, 'n3');
  t.is(s.value, 'raising');
  [s] = done(m, s, 'raiseEpoch');
  t.is(s.value, 'won', 'n1, n3 and itself');
});
