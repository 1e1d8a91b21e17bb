/**
 * The election chart (docs/protocol.md 4.2), stepped purely: the best node stands first,
 * pre-votes promise nothing, the epoch is raised only after a majority would vote, and the
 * candidate wins with votes from a majority of the newest membership in its log.
 */
import test from 'ava';
import { initialTransition, transition } from 'xstate';
import { electionMachine, type ElectionInput } from '../../src/machines/election.js';
import type { LogPosition } from '../../src/machines/rules/log.js';
import { asked, done, fire, names, pure } from './pure.js';

const m = pure(electionMachine);
const pos = (lastSeq: number, lastEpoch = 3): LogPosition => ({ lastSeq, lastEpoch, commitSeq: 2 });
const member = (priority = 0, qualified = true) => ({ priority, qualified });
/** n2 at epoch 3 in a formed cluster of n1–n3 (n1 is the best candidate). */
const input = (over: Partial<ElectionInput> = {}): ElectionInput => ({
  self: { id: 'n2', priority: 0, qualified: true },
  epoch: 3,
  position: pos(5),
  members: { n1: member(5), n2: member(), n3: member() },
  previous: [],
  heard: {},
  now: 0,
  heartbeatMs: 100,
  discoveryMs: 1000,
  quorum: 'majority',
  ...over,
});
type Snap = ReturnType<typeof initialTransition<typeof m>>[0];
const heard = (s: Snap, id: string, priority = 0) =>
  transition(m, s, { type: 'PARTICIPANT', node: { id, priority, qualified: true }, position: pos(5), epoch: 3, at: 0 })[0];
const preVote = (s: Snap, from: string, granted = true, position = pos(5), term = 4) =>
  transition(m, s, { type: 'PREVOTE_REPLY', from, term, granted, position, epoch: 3, at: 0 });
/** The node took its promise of `term` to itself (durable). */
const stood = (s: Snap, term = 4) => transition(m, s, { type: 'STOOD', term });
const vote = (s: Snap, from: string, granted = true, term = 4) => transition(m, s, { type: 'VOTE_REPLY', from, term, granted, epoch: 3, at: 0 });

/** Through the pre-vote (granted by n3) and the recorded epoch, to the vote. */
function toVoting(over: Partial<ElectionInput> = {}): Snap {
  let [s] = initialTransition(m, input(over));
  [s] = fire(m, s, 'gather');
  [s] = preVote(s, 'n3');
  [s] = stood(s);
  return s;
}

test('the best node it hears stands at once; it says hello first', (t) => {
  let [s, actions] = initialTransition(m, input());
  t.true(names(m, actions).includes('sendHello'));
  s = heard(s, 'n3');
  [s, actions] = fire(m, s, 'gather');
  t.is(s.value, 'prevoting');
  t.deepEqual(asked(m, actions).filter((a) => a.type === 'requestPreVotes'), [{ type: 'requestPreVotes', params: { term: 4, position: pos(5) } }]);
  t.is(s.context.epoch, 3, 'a pre-vote raises no epoch');
});

test('a node with a better one in sight waits four looks per better node before it stands', (t) => {
  let [s] = initialTransition(m, input());
  const looks: string[] = [];
  for (let i = 0; i < 4; i++) {
    s = heard(s, 'n1', 5);
    [s] = fire(m, s, 'gather');
    looks.push(String(s.value));
  }
  t.deepEqual(looks, ['waiting', 'waiting', 'waiting', 'prevoting']);
});

test('a lesser candidate that sees a better one ask for votes waits its looks again; a pre-vote request does not reset them (seed 110722)', (t) => {
  const lookUntilStanding = (s: Snap, rival: (s: Snap) => Snap) => {
    const looks: string[] = [];
    for (let i = 0; i < 4; i++) {
      s = rival(s);
      [s] = fire(m, s, 'gather');
      looks.push(String(s.value));
    }
    return { s, looks };
  };
  let [s] = initialTransition(m, input());
  ({ s } = lookUntilStanding(s, (x) => heard(x, 'n1', 5)));
  t.is(s.value, 'prevoting', 'n1 did not stand for four looks: n2 stands');
  // n1 stood in the same round, won its pre-votes and asks for votes for 4, as n2 is about to
  const asks = (x: Snap, term: number) =>
    transition(m, x, { type: 'PARTICIPANT', node: { id: 'n1', priority: 5, qualified: true }, position: pos(5), epoch: term, at: 0, asksVotesFor: term })[0];
  s = asks(s, 4);
  [s] = fire(m, s, 'round');
  t.is(s.value, 'waiting');
  const after = lookUntilStanding(s, (x) => heard(x, 'n1', 5));
  t.deepEqual(after.looks, ['waiting', 'waiting', 'waiting', 'prevoting'], 'four looks again: n1 stands alone meanwhile and finds its vote free');
  // a pre-vote request is no reason to yield: a better node that cannot win fails there
  let [p] = initialTransition(m, input());
  ({ s: p } = lookUntilStanding(p, (x) => heard(x, 'n1', 5)));
  p = transition(m, p, { type: 'PARTICIPANT', node: { id: 'n1', priority: 5, qualified: true }, position: pos(5), epoch: 3, at: 0 })[0];
  [p] = fire(m, p, 'round');
  [p] = fire(m, p, 'gather');
  t.is(p.value, 'prevoting', 'it stands again at the next look');
  // a worse rival asking for votes changes nothing either
  let [w] = initialTransition(m, input({ self: { id: 'n1', priority: 5, qualified: true } }));
  w = transition(m, w, { type: 'PARTICIPANT', node: { id: 'n2', priority: 0, qualified: true }, position: pos(5), epoch: 4, at: 0, asksVotesFor: 4 })[0];
  [w] = fire(m, w, 'gather');
  t.is(w.value, 'prevoting');
});

test('an unqualified node never stands', (t) => {
  let [s] = initialTransition(m, input({ self: { id: 'n2', priority: 9, qualified: false }, members: { n1: member(), n2: member(9, false), n3: member() } }));
  for (let i = 0; i < 12; i++) {
    s = heard(s, 'n3');
    [s] = fire(m, s, 'gather');
    t.is(s.value, 'waiting');
  }
});

test('a node removed from the newest membership in its log never stands', (t) => {
  let [s] = initialTransition(m, input({ members: { n1: member(), n3: member() } }));
  for (let i = 0; i < 12; i++) {
    s = heard(heard(s, 'n1'), 'n3');
    [s] = fire(m, s, 'gather');
    t.is(s.value, 'waiting');
  }
});

test('the epoch is raised only once a majority would vote; refusals and stale terms do not count', (t) => {
  let [s] = initialTransition(m, input());
  [s] = fire(m, s, 'gather');
  [s] = preVote(s, 'n3', false);
  [s] = preVote(s, 'n1', true, pos(5), 3);
  t.is(s.value, 'prevoting', 'only its own pre-vote counts so far');
  [s] = preVote(s, 'n3', true);
  t.is(s.value, 'raising');
  t.is(s.context.term, 4);
});

test('without a majority of pre-votes within a round it goes back to waiting, epoch unchanged', (t) => {
  let [s] = initialTransition(m, input());
  [s] = fire(m, s, 'gather');
  [s] = fire(m, s, 'round');
  t.is(s.value, 'waiting');
  t.is(s.context.epoch, 3);
});

test('a granter whose log is ahead: the candidate fetches from it, then stands only if its log still counts it', (t) => {
  let [s] = initialTransition(m, input());
  [s] = fire(m, s, 'gather');
  [s] = preVote(s, 'n3', true, pos(8));
  t.is(s.value, 'catchingUp');
  const [kept] = done(m, s, 'fetchLog', { position: pos(8), members: { n1: member(5), n2: member(), n3: member() } });
  t.is(kept.value, 'raising');
  t.deepEqual(kept.context.position, pos(8));
  const [removed] = done(m, s, 'fetchLog', { position: pos(8), members: { n1: member(5), n3: member() } });
  t.is(removed.value, 'waiting', 'the log it fetched removed it');
});

test('votes are asked for after the epoch is recorded; a majority of the membership wins', (t) => {
  let [s] = initialTransition(m, input());
  [s] = fire(m, s, 'gather');
  [s] = preVote(s, 'n3');
  let actions;
  [s, actions] = stood(s);
  t.is(s.value, 'voting');
  t.deepEqual(asked(m, actions), [{ type: 'requestVotes', params: { term: 4, position: pos(5) } }]);
  t.deepEqual(s.context.votes, ['n2']);
  [s] = vote(s, 'n3', false);
  [s] = vote(s, 'n1', true, 3);
  t.is(s.value, 'voting', 'a refusal and a vote for another term do not count');
  [s] = vote(s, 'n1');
  t.is(s.value, 'won');
  t.like(s.output, { won: true, epoch: 4, voters: ['n2', 'n1'] });
});

test('no majority of votes within a round: back to waiting, nothing won', (t) => {
  let s = toVoting();
  [s] = fire(m, s, 'round');
  t.is(s.value, 'waiting');
});

test('a later epoch seen in any answer puts the next term above it', (t) => {
  let [s] = initialTransition(m, input());
  [s] = fire(m, s, 'gather');
  [s] = transition(m, s, { type: 'PREVOTE_REPLY', from: 'n3', term: 4, granted: false, position: pos(5), epoch: 7, at: 0 });
  [s] = fire(m, s, 'round');
  [s] = fire(m, s, 'gather');
  t.is(s.value, 'prevoting');
  t.is(s.context.term, 8);
});

test('no majority in sight for a discovery period: the election ends without a winner (the node goes isolated)', (t) => {
  let [s] = initialTransition(m, input());
  for (let i = 0; i < 20 && s.status === 'active'; i++) [s] = fire(m, s, s.value === 'prevoting' ? 'round' : 'gather');
  t.is(s.value, 'noQuorum');
  t.deepEqual(s.output, { won: false });
});

test('before formation, initialMembers are the ones counted', (t) => {
  let [s] = initialTransition(m, input({ epoch: 0, position: pos(0, 0), members: {}, initialMembers: ['n1', 'n2', 'n3', 'n4', 'n5'] }));
  [s] = fire(m, s, 'gather');
  [s] = transition(m, s, { type: 'PREVOTE_REPLY', from: 'n3', term: 1, granted: true, position: pos(0, 0), epoch: 0, at: 0 });
  t.is(s.value, 'prevoting', 'two of five initial members');
  [s] = transition(m, s, { type: 'PREVOTE_REPLY', from: 'n4', term: 1, granted: true, position: pos(0, 0), epoch: 0, at: 0 });
  t.is(s.value, 'raising');
});

test('while the newest change is uncommitted, pre-votes and votes count in the previous membership too (seed 110041)', (t) => {
  // n4's addition to {n2, n3} is uncommitted; n3 is cut off: n2 and n4 are 2 of 3 but 1 of {n2, n3}
  const joint = input({ members: { n2: member(), n3: member(), n4: member() }, previous: ['n2', 'n3'] });
  let [s] = initialTransition(m, joint);
  s = heard(s, 'n4');
  [s] = fire(m, s, 'gather');
  t.is(s.value, 'prevoting');
  [s] = preVote(s, 'n4');
  t.is(s.value, 'prevoting', 'no epoch is raised: a win could not commit anything');
  [s] = preVote(s, 'n3');
  t.is(s.value, 'raising', 'with n3: a majority of both');
  [s] = stood(s);
  [s] = vote(s, 'n4');
  t.is(s.value, 'voting');
  [s] = vote(s, 'n3');
  t.is(s.value, 'won');
});
