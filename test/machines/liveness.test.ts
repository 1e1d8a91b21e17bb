/**
 * The liveness chart (docs/protocol.md 4.6), stepped purely: failure is declared by counting
 * heartbeat intervals, M = missedHeartbeats of them, never by reading a clock.
 */
import test from 'ava';
import { initialTransition, transition } from 'xstate';
import { livenessMachine, type LivenessInput } from '../../src/machines/liveness.js';
import { asked, fire, names, pendingDelays, pure } from './pure.js';

const m = pure(livenessMachine);
const M = 3;
const input = (over: Partial<LivenessInput>): LivenessInput => ({
  self: 'n3',
  role: 'client',
  members: ['n1', 'n2', 'n3', 'n4', 'n5'],
  manager: 'n1',
  backup: 'n2',
  heartbeatMs: 100,
  missedHeartbeats: M,
  quorum: 'majority',
  ...over,
});
const start = (over: Partial<LivenessInput>) => initialTransition(m, input(over))[0];
type Snap = ReturnType<typeof start>;
/** One heartbeat interval closes, after `heard` were heard in it; the reports it makes. */
function interval(s: Snap, heard: { from: string; leading?: boolean }[] = []): [Snap, string[]] {
  for (const h of heard) [s] = transition(m, s, { type: 'HEARD', from: h.from, leading: h.leading ?? true });
  const [next, actions] = fire(m, s, 'heartbeatInterval');
  return [next, names(m, actions)];
}

test('a client declares its leaders lost only after both were silent for M intervals', (t) => {
  let s = start({});
  t.deepEqual(pendingDelays(s), ['heartbeatInterval'], 'it waits one heartbeat interval, no tick');
  let reports: string[] = [];
  for (let i = 1; i < M; i++) {
    [s, reports] = interval(s);
    t.false(reports.includes('reportLeadersLost'), `not after ${i} silent intervals`);
  }
  [s, reports] = interval(s);
  t.true(reports.includes('reportLeadersLost'), `after ${M} silent intervals`);
  t.like(s.context.missed, { n1: M, n2: M });
});

test('a client that still hears its backup lead does not declare its leaders lost', (t) => {
  let s = start({});
  let reports: string[] = [];
  for (let i = 0; i < 2 * M; i++) [s, reports] = interval(s, [{ from: 'n2' }]);
  t.false(reports.includes('reportLeadersLost'));
  t.like(s.context.missed, { n1: 2 * M, n2: 0 });
});

test('a manager that only answers (a restarted manager acking) is not heard as leading', (t) => {
  let s = start({});
  let reports: string[] = [];
  for (let i = 0; i < M; i++) [s, reports] = interval(s, [{ from: 'n1', leading: false }, { from: 'n2', leading: false }]);
  t.true(reports.includes('reportLeadersLost'));
});

test('hearing the manager lead resets its count: M silent intervals must be consecutive', (t) => {
  let s = start({});
  [s] = interval(s);
  [s] = interval(s);
  [s] = interval(s, [{ from: 'n1' }]);
  t.is(s.context.missed.n1, 0);
  let reports: string[] = [];
  for (let i = 0; i < M - 1; i++) [s, reports] = interval(s);
  t.false(reports.includes('reportLeadersLost'));
});

test('every interval reports how long the manager has been silent (what takeover confirms and pre-votes read)', (t) => {
  let s = start({});
  let actions;
  [s, actions] = fire(m, s, 'heartbeatInterval');
  [s, actions] = fire(m, s, 'heartbeatInterval');
  const report = asked(m, actions).find((a) => a.type === 'reportManagerMissed');
  // a client counts its leaders only (n1 manager, n2 backup): it hears no other member, and
  // counting them all made every client's interval cost grow with the cluster (issue 14)
  t.deepEqual(report?.event, { type: 'LIVENESS', managerMissed: 2, silent: ['n1', 'n2'] });
});

test('a backup suspects its manager after M silent intervals, every interval after, and joins an election after 2M', (t) => {
  let s = start({ self: 'n2', role: 'backup', backup: 'n2' });
  let reports: string[] = [];
  const heardOthers = [{ from: 'n3', leading: false }, { from: 'n4', leading: false }];
  for (let i = 1; i < M; i++) {
    [s, reports] = interval(s, heardOthers);
    t.false(reports.includes('reportSuspected'));
  }
  [s, reports] = interval(s, heardOthers);
  t.true(reports.includes('reportSuspected'), 'at M');
  [s, reports] = interval(s, heardOthers);
  t.true(reports.includes('reportSuspected'), 'again: a takeover that found no majority is retried');
  for (let i = M + 2; i < 2 * M; i++) [s, reports] = interval(s, heardOthers);
  [s, reports] = interval(s, heardOthers);
  t.true(reports.includes('reportLeadersLost'), 'at 2M');
  t.false(reports.includes('reportSuspected'));
});

test('a manager heartbeats every interval, to the members', (t) => {
  const [s0, first] = initialTransition(m, input({ self: 'n1', role: 'manager', manager: 'n1' }));
  t.deepEqual(asked(m, first), [{ type: 'sendHeartbeat', params: { role: 'manager', members: ['n1', 'n2', 'n3', 'n4', 'n5'] } }], 'the first at once');
  const [, next] = fire(m, s0, 'heartbeatInterval');
  t.true(names(m, next).includes('sendHeartbeat'), 'and again after an interval');
});

test('a manager declares a member failed after M silent intervals, once', (t) => {
  let s = start({ self: 'n1', role: 'manager', manager: 'n1' });
  const live = ['n2', 'n3', 'n4'].map((from) => ({ from, leading: false }));
  let actions;
  for (let i = 1; i < M; i++) {
    for (const h of live) [s] = transition(m, s, { type: 'HEARD', ...h });
    [s, actions] = fire(m, s, 'heartbeatInterval');
    t.false(names(m, actions).includes('reportFailed'), `not after ${i}`);
  }
  for (const h of live) [s] = transition(m, s, { type: 'HEARD', ...h });
  [s, actions] = fire(m, s, 'heartbeatInterval');
  t.deepEqual(asked(m, actions).find((a) => a.type === 'reportFailed')?.event, { type: 'MEMBERS_FAILED', ids: ['n5'] });
  for (const h of live) [s] = transition(m, s, { type: 'HEARD', ...h });
  [s, actions] = fire(m, s, 'heartbeatInterval');
  t.false(names(m, actions).includes('reportFailed'), 'reported once');
});

test('a manager that hears no majority for M − 1 intervals stops: quorum lost', (t) => {
  let s = start({ self: 'n1', role: 'manager', manager: 'n1' });
  let actions;
  // it hears n2 only: itself and n2 are two of five
  for (let i = 1; i < M - 1; i++) {
    [s] = transition(m, s, { type: 'HEARD', from: 'n2', leading: false });
    [s, actions] = fire(m, s, 'heartbeatInterval');
    t.is(s.status, 'active');
  }
  [s] = transition(m, s, { type: 'HEARD', from: 'n2', leading: false });
  [s, actions] = fire(m, s, 'heartbeatInterval');
  t.is(s.value, 'quorumLost');
  t.is(s.status, 'done');
  t.true(names(m, actions).includes('reportQuorumLost'));
});

test('a manager that hears a majority keeps going', (t) => {
  let s = start({ self: 'n1', role: 'manager', manager: 'n1' });
  for (let i = 0; i < 2 * M; i++) {
    [s] = transition(m, s, { type: 'HEARD', from: 'n2', leading: false });
    [s] = transition(m, s, { type: 'HEARD', from: 'n3', leading: false });
    [s] = fire(m, s, 'heartbeatInterval');
  }
  t.is(s.status, 'active');
});

test('a new membership is watched from the next interval; a removed member is no longer counted', (t) => {
  let s = start({ self: 'n1', role: 'manager', manager: 'n1' });
  [s] = transition(m, s, { type: 'MEMBERS', members: ['n1', 'n2', 'n3'], manager: 'n1', backup: 'n2' });
  for (let i = 0; i < 2 * M; i++) {
    [s] = transition(m, s, { type: 'HEARD', from: 'n2', leading: false });
    [s] = fire(m, s, 'heartbeatInterval');
  }
  t.is(s.status, 'active', 'two of three is a majority of the new membership');
  t.false('n5' in s.context.missed);
});
