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
  previous: [],
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
/** The node took (or refused) its promise of `term` to itself. */
const stood = (s: Snap, term = 5) => transition(m, s, { type: 'STOOD', term });
const refused = (s: Snap, term = 5) => transition(m, s, { type: 'STAND_REFUSED', term });

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
  const five = { n1: { priority: 0, qualified: true }, n2: { priority: 0, qualified: true }, n3: { priority: 0, qualified: true }, n4: { priority: 0, qualified: true }, n5: { priority: 0, qualified: true } };
  const [caught] = done(m, s, 'fetchLog', { position: pos(9), members: five, previous: [] });
  t.is(caught.value, 'raising');
  t.deepEqual(caught.context.position, pos(9));
  // the membership counted from here on is the newest in the log it now holds (docs/protocol.md 7, old point 2)
  const { n2: _removed, ...withoutSelf } = five;
  const [removed] = done(m, s, 'fetchLog', { position: pos(9), members: withoutSelf, previous: Object.keys(five) });
  t.is(removed.value, 'denied', 'the fetched log removes it: it does not stand');
  const [joint] = done(m, s, 'fetchLog', { position: pos(9), members: { ...five, n6: { priority: 0, qualified: true } }, previous: Object.keys(five) });
  t.deepEqual(joint.context.members, ['n1', 'n2', 'n3', 'n4', 'n5', 'n6']);
  t.deepEqual(joint.context.previous, ['n1', 'n2', 'n3', 'n4', 'n5'], 'an uncommitted addition: both majorities count');
});

test('a log in a later epoch is ahead even when shorter', (t) => {
  let [s] = initialTransition(m, input());
  [s] = answer(s, 'n3', true, pos(2, 5));
  [s] = answer(s, 'n4', true, pos(6));
  t.is(s.value, 'catchingUp');
});

test('its own promise comes first (the node decides it as any promise); a refused one denies', (t) => {
  let [s] = initialTransition(m, input());
  [s] = answer(s, 'n3', true);
  [s] = answer(s, 'n4', true);
  const [d] = refused(s);
  t.is(d.value, 'denied');
  let actions;
  [s, actions] = stood(s);
  t.deepEqual(s.value, { ballot: 'promising' });
  t.deepEqual(s.context.grants, ['n2'], 'its own promise');
  t.deepEqual(asked(m, actions), [{ type: 'requestPromises', params: { term: 5, to: ['n3', 'n4'], position: pos(6) } }], 'a takeover asks only those that lost the manager too');
});

test('it wins only with promises from a majority of the membership', (t) => {
  let [s] = initialTransition(m, input());
  [s] = answer(s, 'n3', true);
  [s] = answer(s, 'n4', true);
  [s] = stood(s);
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
  [s] = stood(s);
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
  [s, actions] = stood(s);
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
  [s] = stood(s);
  t.is(s.value, 'won', 'n1, n3 and itself');
});

test('while the newest change is uncommitted, answers and promises count in the previous membership too (docs/protocol.md 4.2 Rule 5)', (t) => {
  // n5's addition to n1–n4 is uncommitted: n5 is asked too, and a win needs 3 of n1–n5 and 3 of n1–n4
  const joint = input({ previous: ['n1', 'n2', 'n3', 'n4'] });
  let [s, actions] = initialTransition(m, joint);
  t.deepEqual((asked(m, actions).find((a) => a.type === 'askMembers')?.params as { to: string[] }).to, ['n1', 'n3', 'n4', 'n5']);
  [s] = answer(s, 'n5', true);
  [s] = answer(s, 'n3', true);
  t.is(s.value, 'asking', 'n2, n3, n5 are 3 of 5 but 2 of the previous 4');
  [s] = answer(s, 'n4', true);
  t.is(s.value, 'raising');
  [s] = stood(s);
  [s] = grant(s, 'n5');
  [s] = grant(s, 'n3');
  t.deepEqual(s.value, { ballot: 'promising' }, 'promises of n2, n3, n5: not a majority of n1–n4');
  [s] = grant(s, 'n4');
  t.is(s.value, 'won');
});
