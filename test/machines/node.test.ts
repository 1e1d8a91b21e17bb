/**
 * The node chart (docs/protocol.md 3, 4.2, 4.3), stepped purely: a node promises each epoch
 * once and only per the ballot rules, answers a takeover's question from what its liveness
 * actor counted, and a manager or backup steps down on a rival's higher epoch.
 */
import test from 'ava';
import { initialTransition, transition } from 'xstate';
import { nodeMachine, type NodeEvent } from '../../src/machines/node.js';
import type { CommittedFacts } from '../../src/machines/nodeTypes.js';
import { appended, committedTo, EMPTY_LOG, type LogPosition } from '../../src/machines/rules/log.js';
import { livenessMembers } from '../../src/machines/nodeInputs.js';
import { asked, done, fire, names, pure } from './pure.js';

const m = pure(nodeMachine);
const facts = { qualified: true, priority: 0, incarnation: 1 };
/** Seqs 1–5 of epoch 3, committed to 4. */
const log = committedTo(appended(EMPTY_LOG, [1, 2, 3, 4, 5].map((seq) => ({ seq, epoch: 3 }))), 4);
const here: LogPosition = { lastSeq: 5, lastEpoch: 3, commitSeq: 4 };
const behind: LogPosition = { lastSeq: 4, lastEpoch: 3, commitSeq: 4 };
const M = 3;

/** Node n1 of members n1–n3, at `epoch` (a restarted node does not know whom it promised it). */
function started(epoch = 0) {
  const [s0] = initialTransition(m, {
    self: { id: 'n1', ...facts },
    settings: { heartbeatMs: 100, missedHeartbeats: M, discoveryMs: 500, retransmitMs: 50, updateTimeoutMs: 5000, quorum: 'majority', cluster: {} },
    epoch,
    log,
    newest: { n1: facts, n2: facts, n3: facts },
    lastChangeSeq: 1,
    previousMembers: [],
  });
  return transition(m, s0, { type: 'START' })[0];
}
type Snap = ReturnType<typeof started>;
const step = (s: Snap, e: NodeEvent) => transition(m, s, e);
const vote = (from: string, term: number, position = here): NodeEvent => ({ type: 'VOTE_REQUEST', from, term, candidate: { id: from, ...facts }, position, epoch: term, at: 0 });
const preVote = (from: string, term: number): NodeEvent => ({ type: 'PREVOTE_REQUEST', from, term, candidate: { id: from, ...facts }, position: here, epoch: 4, at: 0 });
const committed = (over: Partial<CommittedFacts> = {}): NodeEvent => ({
  type: 'COMMITTED',
  facts: { seq: 4, manager: 'n2', backup: 'n3', epoch: 4, members: ['n1', 'n2', 'n3'], incarnation: 1, ...over },
});
/** What a ballot request was answered: a promise, or a refusal. */
function answer(actions: Parameters<typeof asked>[1]): string {
  const a = asked(m, actions);
  const promise = a.find((x) => x.type === 'promise');
  if (promise) return `promise ${JSON.stringify(promise.params)}`;
  const reply = a.find((x) => x.type === 'answerBallot' || x.type === 'refusePromise' || x.type === 'answerAsk');
  return `${reply?.type} ${JSON.stringify(reply?.params)}`;
}

/** n1 following manager n2 of epoch 4 as a client (n3 is backup) or as the backup. */
function following(backup = 'n3'): Snap {
  let s = started(4);
  [s] = step(s, { type: 'MANAGER_HEARD', manager: 'n2', epoch: 4, quorate: true, membershipSeq: 1 });
  [s] = step(s, committed({ backup }));
  return s;
}

/** n1 manager of epoch 5 after winning an election. */
function leading(): Snap {
  let s = started(4);
  [s] = fire(m, s, 'discovery');
  // the election stood for 5: the node's promise to itself, before it asked anyone
  [s] = step(s, { type: 'STAND', term: 5, ballot: 'election' });
  [s] = done(m, s, 'election', { won: true, epoch: 5, voters: ['n1', 'n2'], live: ['n1', 'n2', 'n3'], position: here });
  return s;
}

test('a node grants a vote per mayGrant: one promise per epoch, and only to a log at least as up to date', (t) => {
  let s = started();
  t.true(s.hasTag('joining'));
  let actions;
  [s, actions] = step(s, vote('n2', 5));
  t.is(answer(actions), 'promise {"to":"n2","epoch":5,"kind":"vote"}');
  t.like(s.context, { epoch: 5, promisedTo: 'n2' });
  [s, actions] = step(s, vote('n3', 5));
  t.is(answer(actions), 'answerBallot {"to":"n3","term":5,"prevote":false,"granted":false}', 'epoch 5 is promised to n2');
  [s, actions] = step(s, vote('n2', 5));
  t.is(answer(actions), 'promise {"to":"n2","epoch":5,"kind":"vote"}', 'a retransmission is granted again');
  [s, actions] = step(s, vote('n3', 6, behind));
  t.is(answer(actions), 'answerBallot {"to":"n3","term":6,"prevote":false,"granted":false}', 'a shorter log of the same epoch');
  t.like(s.context, { epoch: 5, promisedTo: 'n2' });
});

test('a restarted node does not know whom it promised its stored epoch to: it grants only later ones', (t) => {
  const s = started(4);
  t.deepEqual(s.context.promisedTo, { unknown: true });
  t.is(answer(step(s, vote('n2', 4))[1]), 'answerBallot {"to":"n2","term":4,"prevote":false,"granted":false}');
  t.is(answer(step(s, vote('n2', 5))[1]), 'promise {"to":"n2","epoch":5,"kind":"vote"}');
});

test('a candidate\'s promise to itself is decided as any promise: refused once the term went to another (generated seed 111340)', (t) => {
  let s = started(4);
  [s] = fire(m, s, 'discovery');
  let actions;
  [s, actions] = step(s, vote('n2', 5));
  t.like(s.context, { epoch: 5, promisedTo: 'n2' });
  // its own election opened its ballot for 5 before that vote; it may not stand for 5 now
  [s, actions] = step(s, { type: 'STAND', term: 5, ballot: 'election' });
  t.deepEqual(asked(m, actions).filter((a) => a.type === 'refuseStand' || a.type === 'promise'), [{ type: 'refuseStand', params: { ballot: 'election', term: 5 } }]);
  t.like(s.context, { epoch: 5, promisedTo: 'n2' }, 'the promise to n2 stands');
  [s, actions] = step(s, { type: 'STAND', term: 6, ballot: 'election' });
  t.deepEqual(asked(m, actions).filter((a) => a.type === 'promise'), [{ type: 'promise', params: { to: 'n1', epoch: 6, kind: 'stand', ballot: 'election' } }]);
  t.like(s.context, { epoch: 6, promisedTo: 'n1' });
});

test('a ballot won counts only while the node still holds its promise: after a vote for a higher epoch it is void (generated seed 111340)', (t) => {
  let s = started(4);
  [s] = fire(m, s, 'discovery');
  [s] = step(s, { type: 'STAND', term: 5, ballot: 'election' });
  const win = { won: true, epoch: 5, voters: ['n1', 'n2'], live: ['n1', 'n2', 'n3'], position: here };
  t.true(done(m, s, 'election', win)[0].hasTag('manager'), 'it holds 5: it leads');
  [s] = step(s, vote('n3', 6));
  const [after] = done(m, s, 'election', win);
  t.false(after.hasTag('manager'), 'it promised 6 to n3: leading 5 would append records of 5 after that promise');
  t.deepEqual(after.value, { active: 'discovering' });
  t.is(after.context.leadership, null);
});

test('a member that still hears its manager votes for nobody, until its liveness actor counts the manager lost', (t) => {
  let s = following();
  t.true(s.hasTag('client'));
  t.is(answer(step(s, vote('n3', 5))[1]), 'answerBallot {"to":"n3","term":5,"prevote":false,"granted":false}');
  [s] = step(s, { type: 'LIVENESS', managerMissed: M - 2, silent: ['n2'] });
  t.is(answer(step(s, vote('n3', 5))[1]), 'answerBallot {"to":"n3","term":5,"prevote":false,"granted":false}', `silent ${M - 2} intervals`);
  [s] = step(s, { type: 'LIVENESS', managerMissed: M - 1, silent: ['n2'] });
  t.is(answer(step(s, vote('n3', 5))[1]), 'promise {"to":"n3","epoch":5,"kind":"vote"}', `silent ${M - 1} intervals`);
});

test('a pre-vote promises nothing, and goes only to a member of the newest membership', (t) => {
  const s = started(4);
  const [after, actions] = step(s, preVote('n2', 5));
  t.is(answer(actions), 'answerBallot {"to":"n2","term":5,"prevote":true,"granted":true}');
  t.like(after.context, { epoch: 4 }, 'no epoch raised');
  t.is(answer(step(s, preVote('n9', 5))[1]), 'answerBallot {"to":"n9","term":5,"prevote":true,"granted":false}');
  t.is(answer(step(s, preVote('n2', 4))[1]), 'answerBallot {"to":"n2","term":4,"prevote":true,"granted":false}');
});

test('a takeover\'s question is answered "lost" only to the committed backup, once the manager was silent M − 1 intervals', (t) => {
  let s = following();
  const ask = (from: string): NodeEvent => ({ type: 'CONFIRM_ASK', from, term: 5, position: here });
  t.is(answer(step(s, ask('n3'))[1]), 'answerAsk {"to":"n3","term":5,"lost":false}');
  [s] = step(s, { type: 'LIVENESS', managerMissed: M - 1, silent: ['n2'] });
  t.is(answer(step(s, ask('n3'))[1]), 'answerAsk {"to":"n3","term":5,"lost":true}');
  t.is(answer(step(s, ask('n2'))[1]), 'answerAsk {"to":"n2","term":5,"lost":false}', 'n2 is not the committed backup');
});

test('a takeover promise needs the manager lost here too, and the ballot rules', (t) => {
  let s = following();
  const ask = (from: string, position = here): NodeEvent => ({ type: 'PROMISE_REQUEST', from, term: 5, position });
  t.is(answer(step(s, ask('n3'))[1]), 'refusePromise {"to":"n3","term":5}');
  [s] = step(s, { type: 'LIVENESS', managerMissed: M - 1, silent: ['n2'] });
  t.is(answer(step(s, ask('n3', behind))[1]), 'refusePromise {"to":"n3","term":5}', 'a log behind this one');
  const [after, actions] = step(s, ask('n3'));
  t.is(answer(actions), 'promise {"to":"n3","epoch":5,"kind":"confirm"}');
  t.like(after.context, { epoch: 5, promisedTo: 'n3' });
});

test('a node joins the manager it hears, and becomes client or backup as the committed database says', (t) => {
  let s = started(4);
  [s] = step(s, { type: 'MANAGER_HEARD', manager: 'n2', epoch: 4, quorate: true, membershipSeq: 1 });
  t.true(s.hasTag('joining'));
  t.deepEqual(s.value, { active: { following: 'joining' } });
  [s] = step(s, committed({ members: ['n2', 'n3'] }));
  t.true(s.hasTag('joining'), 'not a member yet');
  const [client] = step(s, committed());
  t.true(client.hasTag('client'));
  const [backup] = step(s, committed({ backup: 'n1' }));
  t.true(backup.hasTag('backup'));
  const [restarted] = step(s, committed({ incarnation: 0 }));
  t.true(restarted.hasTag('joining'), 'an older incarnation of this node is no member');
});

test('a backup that suspects its manager runs a takeover, and leads when it wins', (t) => {
  let s = following('n1');
  [s] = step(s, { type: 'MANAGER_SUSPECTED' });
  t.deepEqual(s.value, { active: { following: { backup: 'takingOver' } } });
  const [lost] = done(m, s, 'takeover', { won: false });
  t.deepEqual(lost.value, { active: { following: { backup: 'watching' } } });
  [s] = step(s, { type: 'STAND', term: 5, ballot: 'takeover' });
  const [won] = done(m, s, 'takeover', { won: true, epoch: 5, voters: ['n1', 'n3'], live: ['n1', 'n3'], position: here });
  t.true(won.hasTag('manager'));
  t.like(won.context, { leadership: { epoch: 5 } });
});

test('a manager steps down on a rival\'s higher epoch, and stops on a lost quorum', (t) => {
  const s = leading();
  t.true(s.hasTag('manager'));
  const [same] = step(s, { type: 'EPOCH_RAISED', epoch: 5, from: 'n3' });
  t.true(same.hasTag('manager'), 'its own epoch is no rival');
  const [down] = step(s, { type: 'EPOCH_RAISED', epoch: 6, from: 'n3' });
  t.deepEqual(down.value, { active: 'discovering' });
  t.false(down.hasTag('manager'));
  t.is(down.context.epoch, 6);
  const [isolated] = step(s, { type: 'QUORUM_LOST' });
  t.true(isolated.hasTag('isolated'));
});

test('a manager that stops leading keeps no leadership: following a new manager it watches that one, answers takeovers and grants promises', (t) => {
  // every way out of `leading` but a handover (which follows its successor) and a stop
  const ways: [string, NodeEvent][] = [
    ['a rival epoch', { type: 'EPOCH_RAISED', epoch: 6, from: 'n3' }],
    ['a lost quorum', { type: 'QUORUM_LOST' }],
  ];
  for (const [why, e] of ways) {
    let [s] = step(leading(), e);
    t.is(s.context.leadership, null, why);
    [s] = step(s, { type: 'MANAGER_HEARD', manager: 'n2', epoch: 6, quorate: true, membershipSeq: 1 });
    [s] = step(s, committed({ epoch: 6 }));
    t.true(s.hasTag('client'), why);
    t.deepEqual(livenessMembers(s.context), { members: ['n1', 'n2', 'n3'], manager: 'n2', backup: 'n3' }, `${why}: its liveness watches n2, not itself`);
    [s] = step(s, { type: 'LIVENESS', managerMissed: M, silent: ['n2'] });
    let actions;
    [, actions] = step(s, { type: 'CONFIRM_ASK', from: 'n3', term: 7, position: here });
    t.is(answer(actions), 'answerAsk {"to":"n3","term":7,"lost":true}', `${why}: it lost n2 too`);
    [, actions] = step(s, { type: 'PROMISE_REQUEST', from: 'n3', term: 7, position: here });
    t.is(answer(actions), 'promise {"to":"n3","epoch":7,"kind":"confirm"}', `${why}: it promises the takeover`);
  }
});

test('a backup steps down on a rival\'s higher epoch, but not on its own manager\'s (a handover follows)', (t) => {
  const s = following('n1');
  t.true(s.hasTag('backup'));
  const [kept] = step(s, { type: 'EPOCH_RAISED', epoch: 5, from: 'n2' });
  t.true(kept.hasTag('backup'));
  const [down] = step(s, { type: 'EPOCH_RAISED', epoch: 5, from: 'n3' });
  t.deepEqual(down.value, { active: 'discovering' });
});

test('a manager\'s handover notice to another member is granted as a promise of the new epoch', (t) => {
  const s = following();
  const notice = (from: string): NodeEvent => ({ type: 'HANDOVER_NOTICE', from, to: 'n3', epoch: 5, leaving: true });
  const [after, actions] = step(s, notice('n2'));
  t.is(answer(actions), 'promise {"to":"n3","epoch":5,"kind":"confirm"}');
  t.like(after.context, { epoch: 5, promisedTo: 'n3' });
  t.deepEqual(names(m, step(s, notice('n3'))[1]), [], 'only the manager it follows may hand over');
});

test('a leaving manager drains its coordinator, then hands over to its successor and follows it', (t) => {
  let s = leading();
  let actions;
  [s, actions] = step(s, { type: 'LEAVE' });
  t.deepEqual(s.value, { active: { leading: 'draining' } });
  t.deepEqual(asked(m, actions).filter((a) => a.type === 'sendTo'), [{ type: 'sendTo', to: 'coordinator', event: { type: 'DRAIN' } }]);
  [s, actions] = step(s, { type: 'DRAINED' });
  t.deepEqual(asked(m, actions).find((a) => a.type === 'sendHandover')?.params, { to: 'n2', epoch: 6, leaving: true });
  t.deepEqual(s.value, { active: { following: 'leaving' } });
  t.like(s.context, { epoch: 6, promisedTo: 'n2', followed: { manager: 'n2', epoch: 6 } });
});

test('a leaving manager whose drain cannot finish stops after the leave timeout; a switchover keeps draining (seed 110041)', (t) => {
  let [s] = step(leading(), { type: 'LEAVE' });
  [s] = fire(m, s, 'leaveTimeout');
  t.is(s.value, 'stopped', 'nothing in flight was acknowledged: stopping loses nothing acknowledged');
  let [w] = step(leading(), { type: 'SWITCHOVER', to: 'n2' });
  t.deepEqual(w.value, { active: { leading: 'draining' } });
  [w] = fire(m, w, 'leaveTimeout');
  t.deepEqual(w.value, { active: { leading: 'draining' } });
});

test('a leaving manager that steps down while draining stops: its leave is not forgotten (generated seed 300032)', (t) => {
  const [draining] = step(leading(), { type: 'LEAVE' });
  t.is(step(draining, { type: 'QUORUM_LOST' })[0].value, 'stopped', 'isolated, it would rejoin later as a member that never leaves');
  t.is(step(draining, { type: 'EPOCH_RAISED', epoch: 7, from: 'n3' })[0].value, 'stopped');
  t.deepEqual(step(draining, { type: 'EPOCH_RAISED', epoch: 5, from: 'n3' })[0].value, { active: { leading: 'draining' } }, 'no rival epoch: it goes on draining');
  const [switching] = step(leading(), { type: 'SWITCHOVER', to: 'n2' });
  t.deepEqual(step(switching, { type: 'QUORUM_LOST' })[0].value, { active: 'isolated' }, 'a switchover that loses its quorum steps down as any manager');
});

test('a failed store stops the node: a member asks to leave, a manager steps down without a handover', (t) => {
  const [member, asks] = step(following(), { type: 'STORE_FAILED' } as NodeEvent);
  t.is(member.value, 'stopped');
  t.deepEqual(names(m, asks), ['submitLeave', 'stopRuntime']);
  const [manager, stops] = step(leading(), { type: 'STORE_FAILED' } as NodeEvent);
  t.is(manager.value, 'stopped');
  t.false(names(m, stops).includes('sendHandover'), 'a handover promise could not be made durable');
  t.false(manager.hasTag('manager'));
});
