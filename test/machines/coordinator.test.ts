/**
 * The update coordinator chart (SPEC section 4; docs/protocol.md 4.4, 4.5), stepped purely:
 * its first record is the roles record of its epoch, records commit only when the commit
 * rule says so, and membership changes go one at a time, after the own epoch committed.
 */
import test from 'ava';
import { initialTransition, transition } from 'xstate';
import { coordinatorMachine, type CoordinatorEvent, type CoordinatorInput, type Submission } from '../../src/machines/coordinator.js';
import { appended, committedTo, EMPTY_LOG } from '../../src/machines/rules/log.js';
import { asked, fire, names, pure } from './pure.js';

const m = pure(coordinatorMachine);
const facts = { qualified: true, priority: 0, incarnation: 1 };
/** Manager n1 of epoch 2 over n1–n3 (backup n2); its log holds seqs 1–2 of epoch 1, committed. */
const input = (over: Partial<CoordinatorInput> = {}): CoordinatorInput => ({
  self: 'n1',
  epoch: 2,
  log: committedTo(appended(EMPTY_LOG, [{ seq: 1, epoch: 1 }, { seq: 2, epoch: 1 }]), 2),
  members: { n1: facts, n2: facts, n3: facts },
  backup: 'n2',
  lastChangeSeq: 1,
  previousMembers: [],
  live: ['n1', 'n2', 'n3'],
  lost: [],
  formation: null,
  settings: null,
  retransmitMs: 50,
  missedHeartbeats: 3,
  quorum: 'majority',
  window: 64,
  maxBatches: 4,
  ...over,
});
type Snap = ReturnType<typeof initialTransition<typeof m>>[0];
type Actions = Parameters<typeof asked>[1];
const step = (s: Snap, e: CoordinatorEvent) => transition(m, s, e);
const ack = (from: string, match: number, ok = true, hint = 0): CoordinatorEvent => ({ type: 'ACK', from, ok, match, hint });
const sequenced = (...metas: [id: string, seq: number][]): CoordinatorEvent => ({ type: 'SEQUENCED', accepted: metas.map(([id, seq]) => ({ id, seq, epoch: 2 })) });
const params = (actions: Actions, type: string) => asked(m, actions).filter((a) => a.type === type).map((a) => a.params);
const batchIds = (actions: Actions) => params(actions, 'sequence').map((p) => (p as { batch: Submission[] }).batch.map((s) => s.id));
const removal = (id: string): Submission => ({ id: `leave:${id}`, origin: id, op: { membership: { remove: [{ id, reason: 'leave' }] } } });
const submit = (submission: Submission, knownSeq: number | null = null): CoordinatorEvent => ({ type: 'SUBMIT', submission, knownSeq });

/** The roles record sequenced as seq 3 and written by the manager. */
function started(): Snap {
  let [s] = initialTransition(m, input());
  [s] = step(s, sequenced(['n1:epoch:2', 3]));
  [s] = step(s, { type: 'WRITTEN', upTo: 3 });
  return s;
}

test('its first record is the roles record of its epoch, keeping a live backup', (t) => {
  const [s, actions] = initialTransition(m, input());
  t.deepEqual(params(actions, 'sequence'), [
    { batch: [{ id: 'n1:epoch:2', origin: 'n1', op: { membership: { epoch: 2, manager: 'n1', backup: 'n2' } } }], epoch: 2 },
  ]);
  t.truthy(s.context.sequencing);
});

test('a backup not heard in the ballot is replaced in the roles record', (t) => {
  const [, actions] = initialTransition(m, input({ live: ['n1', 'n3'] }));
  t.like(params(actions, 'sequence')[0], { batch: [{ op: { membership: { backup: 'n3' } } }] });
});

test('a numbered batch is shipped to every other member at once', (t) => {
  let [s] = initialTransition(m, input());
  let actions;
  [s, actions] = step(s, sequenced(['n1:epoch:2', 3]));
  t.deepEqual(params(actions, 'ship'), [{ from: 3, to: 3, targets: ['n2', 'n3'], all: true }]);
  t.is(s.context.log.lastSeq, 3);
});

test('a record commits only when every member not failed holds it, a majority included, the manager\'s own store too', (t) => {
  let [s] = initialTransition(m, input());
  let actions;
  [s] = step(s, sequenced(['n1:epoch:2', 3]));
  [s, actions] = step(s, ack('n2', 3));
  [s, actions] = step(s, ack('n3', 3));
  t.deepEqual(params(actions, 'commit'), [], 'n2 and n3 hold it, the manager has not written it yet');
  [s, actions] = step(s, { type: 'WRITTEN', upTo: 3 });
  t.deepEqual(params(actions, 'commit'), [{ upTo: 3, to: ['n2', 'n3'] }]);
  t.is(s.context.log.commitSeq, 3);
});

test('a slow member holds commits back until it is declared failed; then a majority commits', (t) => {
  let s = started();
  let actions;
  [s, actions] = step(s, ack('n2', 3));
  t.deepEqual(params(actions, 'commit'), [], 'n3 is not failed: it is waited for');
  [s, actions] = step(s, { type: 'MEMBERS_FAILED', ids: ['n3'] });
  t.deepEqual(params(actions, 'commit'), [{ upTo: 3, to: ['n2', 'n3'] }]);
});

test('after a takeover the replaced manager is not waited for: the roles record commits with a majority, then its removal', (t) => {
  // n2 took over from n3 (the backup's takeover: a majority found n3 silent)
  let [s] = initialTransition(m, input({ lost: ['n3'], live: ['n1', 'n2'] }));
  let actions;
  t.deepEqual(s.context.failed, ['n3']);
  [s] = step(s, sequenced(['n1:epoch:2', 3]));
  [s] = step(s, { type: 'WRITTEN', upTo: 3 });
  [s, actions] = step(s, ack('n2', 3));
  t.like(params(actions, 'commit')[0], { upTo: 3 }, 'committed without n3, with no unanswered copies counted');
  t.like(params(actions, 'sequence')[0], { batch: [{ op: { membership: { remove: [{ id: 'n3', reason: 'failed' }] } } }] });
});

test('a manager that lost nobody in its ballot waits for every member, as before', (t) => {
  let [s] = initialTransition(m, input({ lost: [] }));
  let actions;
  [s] = step(s, sequenced(['n1:epoch:2', 3]));
  [s] = step(s, { type: 'WRITTEN', upTo: 3 });
  [s, actions] = step(s, ack('n2', 3));
  t.deepEqual(params(actions, 'commit'), []);
  t.deepEqual(s.context.changes, []);
});

test('one member of three holding a record is no majority, even with the rest failed', (t) => {
  let s = started();
  let actions;
  [s, actions] = step(s, { type: 'MEMBERS_FAILED', ids: ['n2', 'n3'] });
  t.deepEqual(params(actions, 'commit'), []);
  t.is(s.context.log.commitSeq, 2);
});

test('a membership change waits until a record of the own epoch committed', (t) => {
  let s = started();
  let actions;
  [s, actions] = step(s, submit(removal('n3')));
  t.deepEqual(batchIds(actions), [], 'the first update of an epoch changes roles only');
  [s] = step(s, ack('n2', 3));
  [s, actions] = step(s, ack('n3', 3));
  t.deepEqual(batchIds(actions), [['leave:n3']], 'sequenced once the roles record committed');
});

test('membership changes go one at a time: the next waits until the previous one committed', (t) => {
  let s = started();
  [s] = step(s, ack('n2', 3));
  [s] = step(s, ack('n3', 3));
  let actions;
  [s, actions] = step(s, submit(removal('n3')));
  t.deepEqual(batchIds(actions), [['leave:n3']]);
  [s] = step(s, sequenced(['leave:n3', 4]));
  [s] = step(s, { type: 'WRITTEN', upTo: 4 });
  [s, actions] = step(s, submit(removal('n2')));
  t.deepEqual(batchIds(actions), [], 'seq 4 changed the membership and is not committed');
  [s, actions] = step(s, submit({ id: 'set:a', origin: 'n2', op: { set: { path: 'a', value: 1 } } }));
  t.deepEqual(batchIds(actions), [['set:a']], 'ordinary updates are not held back');
  [s] = step(s, sequenced(['set:a', 5]));
  [s, actions] = step(s, ack('n2', 4));
  t.deepEqual(params(actions, 'commit'), [{ upTo: 4, to: ['n2', 'n3'] }], 'n1 and n2: a majority of the old membership and of the new one; n3, removed by it, hears it too');
  t.deepEqual(batchIds(actions), [['leave:n2']]);
  [s] = step(s, { type: 'WRITTEN', upTo: 5 });
  [s, actions] = step(s, ack('n2', 5));
  t.deepEqual(params(actions, 'commit'), [{ upTo: 5, to: ['n2'] }], 'after that, only members hear commits');
});

test('a nack from a member: its records are sent again from the point it names', (t) => {
  const s = started();
  const [, actions] = step(s, ack('n2', 0, false, 1));
  t.deepEqual(params(actions, 'ship'), [{ from: 2, to: 3, targets: ['n2'], all: false }]);
});

test('a membership change another node may not submit is refused, never queued', (t) => {
  let s = started();
  [s] = step(s, ack('n2', 3));
  [s] = step(s, ack('n3', 3));
  const forged: Submission = { id: 'forged', origin: 'n2', op: { membership: { remove: [{ id: 'n3', reason: 'failed' }] } } };
  const [after, actions] = step(s, submit(forged));
  t.deepEqual(params(actions, 'refuseSubmission'), [{ origin: 'n2', id: 'forged', reason: 'only the manager declares n3 failed' }]);
  t.deepEqual(batchIds(actions), []);
  t.deepEqual(after.context.changes, []);
  const [, own] = step(s, submit(removal('n2')));
  t.deepEqual(batchIds(own), [['leave:n2']], 'its own leave is taken');
});

test('a node that acts as a member but is none is told so', (t) => {
  const s = started();
  t.deepEqual(params(step(s, ack('x', 3))[1], 'tellNotMember'), [{ to: 'x' }]);
  t.deepEqual(params(step(s, { type: 'PING', from: 'x' })[1], 'tellNotMember'), [{ to: 'x' }]);
  t.deepEqual(params(step(s, { type: 'PING', from: 'n2' })[1], 'tellNotMember'), []);
});

test('a retried submission that committed gets its answer again, and is not sequenced twice', (t) => {
  const s = started();
  const sub: Submission = { id: 'set:a', origin: 'n2', op: { set: { path: 'a', value: 1 } } };
  const [, committed] = step(s, submit(sub, 2));
  t.deepEqual(params(committed, 'answerCommitted'), [{ origin: 'n2', id: 'set:a', seq: 2 }]);
  t.deepEqual(batchIds(committed), []);
  const [, inFlight] = step(s, submit(sub, 3));
  t.deepEqual(names(m, inFlight), [], 'numbered already: its commit answers it');
});

test('a member that lets M copies go unanswered is declared failed and its removal queued', (t) => {
  let s = started();
  [s] = step(s, ack('n2', 3));
  [s] = step(s, ack('n3', 2));
  let actions: Actions = [];
  for (let i = 0; i < 3; i++) {
    t.deepEqual(s.context.failed, [], `not after ${i} unanswered copies`);
    [s, actions] = fire(m, s, 'retransmit');
    t.deepEqual(params(actions, 'resend'), [{ targets: [{ id: 'n3', from: 3 }], to: 3 }], `copy ${i + 1} to n3, from what it lacks`);
  }
  t.deepEqual(s.context.failed, ['n3']);
  t.deepEqual(params(actions, 'commit'), [{ upTo: 3, to: ['n2', 'n3'] }], 'no longer waited for');
  t.true(batchIds(actions).some((b) => b.some((id) => id.includes(':remove:n3:'))), 'its removal is sequenced');
});

test('an answer in between starts the count again', (t) => {
  let s = started();
  [s] = step(s, ack('n2', 3));
  [s] = step(s, ack('n3', 1));
  [s] = fire(m, s, 'retransmit');
  [s] = fire(m, s, 'retransmit');
  [s] = step(s, ack('n3', 2));
  [s] = fire(m, s, 'retransmit');
  [s] = fire(m, s, 'retransmit');
  t.deepEqual(s.context.failed, []);
});

test('a member that never acked under this manager is declared failed after M unanswered copies too', (t) => {
  let s = started();
  [s] = step(s, ack('n2', 3));
  for (let i = 0; i < 3; i++) [s] = fire(m, s, 'retransmit');
  t.deepEqual(s.context.failed, ['n3']);
});

test('draining still re-sends what a member lacks, and a member silent for M copies no longer holds the drain', (t) => {
  let s = started();
  let actions: Actions = [];
  [s] = step(s, ack('n3', 2));
  [s] = step(s, { type: 'DRAIN' });
  [s] = step(s, ack('n2', 3));
  t.is(s.value, 'draining', 'n3 has not acked the record in flight');
  for (let i = 0; i < 3; i++) {
    [s, actions] = fire(m, s, 'retransmit');
    t.deepEqual(params(actions, 'resend'), [{ targets: [{ id: 'n3', from: 3 }], to: 3 }], `copy ${i + 1} to n3 while draining`);
  }
  t.deepEqual(s.context.failed, ['n3']);
  t.is(s.value, 'drained', 'committed without n3: the handover can go on');
});

test('a learner that goes silent for M rounds is not added: its queued addition is dropped, and a join request brings it back', (t) => {
  const join: CoordinatorEvent = { type: 'JOIN_REQUEST', from: 'n4', node: { id: 'n4', ...facts }, position: { lastSeq: 3, lastEpoch: 2, commitSeq: 2 }, lastMatches: true };
  const isAdd = (id: string) => id.includes(':add:n4:');
  let s = started();
  [s] = step(s, join);
  t.true(s.context.changes.some((c) => isAdd(c.id)), 'caught up: its addition waits for the gate (the roles record is not committed)');
  for (let i = 0; i < 3; i++) {
    // the members answer (not yet holding the roles record), the learner says nothing
    [s] = step(s, ack('n2', 2));
    [s] = step(s, ack('n3', 2));
    [s] = fire(m, s, 'retransmit');
    if (i < 2) t.deepEqual(Object.keys(s.context.learners), ['n4'], `kept after ${i + 1} silent rounds`);
  }
  t.deepEqual(Object.keys(s.context.learners), []);
  t.deepEqual(s.context.changes, [], 'it left (or crashed) before its addition was appended');
  let actions;
  [s] = step(s, ack('n2', 3));
  [s, actions] = step(s, ack('n3', 3));
  t.deepEqual(batchIds(actions), [], 'the gate opens: nothing to add');
  // back: it asks again, caught up, and the gate is open
  [, actions] = step(s, join);
  t.true(batchIds(actions).flat().some(isAdd), 'a learner heard again is added');
});

test('draining numbers nothing new and reports once everything in flight committed', (t) => {
  let s = started();
  let actions;
  [s] = step(s, { type: 'DRAIN' });
  t.is(s.value, 'draining');
  [s, actions] = step(s, submit({ id: 'set:a', origin: 'n2', op: { set: { path: 'a', value: 1 } } }));
  t.deepEqual(batchIds(actions), []);
  [s] = step(s, ack('n2', 3));
  [s, actions] = step(s, ack('n3', 3));
  t.is(s.value, 'drained');
  t.deepEqual(asked(m, actions).find((a) => a.type === 'reportDrained')?.event, { type: 'DRAINED' });
});
