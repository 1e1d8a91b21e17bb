/**
 * When invariant 4 may demand a settled cluster (src/sim/settleOwed.ts, docs/simulation.md
 * "When a settle is owed"): a majority of the newest committed membership live, one of them
 * qualified, and some live, qualified node able to win a ballot counted against the newest
 * membership in its log. A table of the cases the sim meets.
 */
import test from 'ava';
import { mayWinBallot, settleOwed, type SettleNodeView } from '../../src/sim/settleOwed.js';

const q = { qualified: true };
const u = { qualified: false };
/** A node that committed `seq` with this membership (its own view), live unless said; its log ends there, in epoch 1. */
const node = (id: string, seq: number, members: Record<string, { qualified: boolean }>, live = true): SettleNodeView => ({
  id,
  live,
  committedSeq: seq,
  nodes: members,
  qualified: members[id]?.qualified ?? true,
  position: { lastEpoch: 1, lastSeq: seq, commitSeq: seq },
  newest: Object.keys(members),
  previous: [],
});
/**
 * The same node with a log that goes on past its commit: `last` records, the newest membership
 * `newest`; when that differs from the committed one, its change is uncommitted and the
 * committed membership is the previous one a ballot counts too.
 */
const withLog = (n: SettleNodeView, last: number, newest: string[], qualified = n.qualified): SettleNodeView => {
  const committed = Object.keys(n.nodes);
  const changed = committed.length > 0 && committed.join() !== newest.join();
  return { ...n, qualified, position: { ...n.position, lastSeq: last }, newest, previous: changed ? committed : [] };
};

const cases: [string, SettleNodeView[], boolean][] = [
  ['all three live', [node('n1', 5, { n1: q, n2: q, n3: q }), node('n2', 5, { n1: q, n2: q, n3: q }), node('n3', 5, { n1: q, n2: q, n3: q })], true],
  ['two of three live, one qualified', [node('n1', 5, { n1: q, n2: q, n3: u }, false), node('n2', 5, { n1: q, n2: q, n3: u }), node('n3', 5, { n1: q, n2: q, n3: u })], true],
  // seed 20059: n2 removed, then n1 (the last qualified member) leaves
  ['{n1, n3}, n1 left: one of two is no majority', [node('n1', 9, { n1: q, n3: u }, false), node('n2', 4, { n1: q, n2: q, n3: u }), node('n3', 9, { n1: q, n3: u })], false],
  ['a live majority of unqualified members only', [node('n1', 9, { n1: q, n2: u, n3: u }, false), node('n2', 9, { n1: q, n2: u, n3: u }), node('n3', 9, { n1: q, n2: u, n3: u })], false],
  // the newest committed membership is read from the node that got furthest, even if it stopped
  ['only the stopped node committed the removal that left the others a minority', [node('n2', 21, { n2: q, n4: q }, false), node('n4', 19, { n1: q, n2: q, n3: q, n4: q }), node('n1', 0, {}), node('n3', 0, {})], false],
  // n4 acked what n1 committed last; n3 lags behind it
  ['the live nodes are a majority of what the leader committed last', [node('n1', 21, { n1: q, n3: q, n4: q }, false), node('n3', 19, { n1: q, n2: q, n3: q }), node('n4', 21, { n1: q, n3: q, n4: q })], true],
  ['nothing committed yet: owed (formation)', [node('n1', 0, {}), node('n2', 0, {})], true],
];

for (const [name, nodes, owed] of cases) {
  test(`settle owed: ${name} → ${owed}`, (t) => {
    const due = settleOwed(nodes);
    t.is(due.owed, owed, due.owed ? '' : due.reason);
    if (!due.owed) t.regex(due.reason, /committed at seq \d+, seen on n\d/);
  });
}

const c3 = { n2: q, n3: q, n6: q };
const ballotCases: [string, SettleNodeView[], boolean][] = [
  // seed 100321: committed {n2, n3, n6}; n2 appended the removal of n6 (seq 70), n3 stopped,
  // n6 came back at seq 69; n1 and n4 were removed earlier and hold n2's log; n5 is far behind
  [
    'an uncommitted removal whose new majority is gone strands the live majority of the committed membership',
    [
      withLog(node('n2', 69, c3), 70, ['n2', 'n3']),
      withLog(node('n3', 68, c3, false), 69, ['n2', 'n3', 'n6']),
      withLog(node('n6', 68, c3), 69, ['n2', 'n3', 'n6']),
      withLog(node('n1', 69, c3), 70, ['n2', 'n3']),
      withLog(node('n4', 69, c3), 70, ['n2', 'n3']),
      node('n5', 10, { n1: q, n2: q, n3: q, n4: q }),
    ],
    false,
  ],
  // docs/protocol.md section 7 point 7 (seed 24, shrunk): the manager of [n2, n3, n4] appended
  // the removal of n3 and stopped; n3 and n4 hold the uncommitted [n2, n4]
  [
    'the manager that appended a removal is gone for good',
    [withLog(node('n2', 5, { n2: q, n3: q, n4: q }, false), 6, ['n2', 'n4']), withLog(node('n3', 5, { n2: q, n3: q, n4: q }), 6, ['n2', 'n4']), withLog(node('n4', 5, { n2: q, n3: q, n4: q }), 6, ['n2', 'n4'])],
    false,
  ],
  // seed 110141: the removal of n2 is uncommitted in the logs of n1 and n3, n3 stopped for
  // good; n2's log is behind n1's; n4 to n6 were added and never joined (empty logs)
  [
    'a stranded removal, with nodes that never joined standing by',
    [
      withLog(node('n1', 13, { n1: q, n2: q, n3: q }), 14, ['n1', 'n3']),
      withLog(node('n2', 11, { n1: q, n2: q, n3: q }), 12, ['n1', 'n2', 'n3']),
      withLog(node('n3', 13, { n1: q, n2: q, n3: q }, false), 14, ['n1', 'n3']),
      node('n4', 0, {}),
      node('n5', 0, {}),
      node('n6', 0, {}),
    ],
    false,
  ],
  ['an uncommitted removal whose new majority is live', [withLog(node('n1', 5, { n1: q, n2: q, n3: q }), 6, ['n1', 'n2']), withLog(node('n2', 5, { n1: q, n2: q, n3: q }), 6, ['n1', 'n2']), node('n3', 5, { n1: q, n2: q, n3: q })], true],
  ['the most advanced live log wins with a less advanced voter', [withLog(node('n1', 9, { n1: q, n2: q, n3: q }), 10, ['n1', 'n2', 'n3']), node('n2', 9, { n1: q, n2: q, n3: q }), node('n3', 9, { n1: q, n2: q, n3: q }, false)], true],
  [
    'the one live node with the newest log may not lead, and refuses the others',
    [withLog(node('n1', 9, { n1: u, n2: q, n3: q }), 10, ['n1', 'n2', 'n3']), node('n2', 9, { n1: u, n2: q, n3: q }), node('n3', 9, { n1: u, n2: q, n3: q }, false)],
    false,
  ],
];

for (const [name, nodes, owed] of ballotCases) {
  test(`settle owed, ballots: ${name} → ${owed}`, (t) => {
    const due = settleOwed(nodes);
    t.is(due.owed, owed, due.owed ? '' : due.reason);
    if (!due.owed) t.regex(due.reason, /no live, qualified node can win a ballot/);
  });
}

test('a ballot counts the newest membership in the candidate log, voters that hold it, and logs no more up to date', (t) => {
  const members = { n1: q, n2: q, n3: q };
  const n1 = withLog(node('n1', 9, members), 10, ['n1', 'n2', 'n3']);
  const n2 = node('n2', 9, members);
  const n3 = node('n3', 9, members);
  t.true(mayWinBallot(n1, [n1, n2, n3]));
  t.false(mayWinBallot(n2, [n1, n2]), 'n1 refuses a log behind its own, and n2 alone is no majority');
  t.true(mayWinBallot(n2, [n2, n3]), 'equal logs grant');
  // a voter whose log lags behind the candidate's, down to before the candidate was added, may still promise
  const n4 = withLog(node('n4', 9, { ...members, n4: q }), 11, ['n1', 'n2', 'n3', 'n4']);
  t.true(mayWinBallot(n4, [n4, n2, n3]), 'safety needs the voters to be no more up to date, not to know the candidate');
  t.true(mayWinBallot(node('n1', 0, {}), [node('n1', 0, {}), node('n2', 0, {})]), 'before formation anyone may stand');
  t.false(mayWinBallot(node('n4', 0, {}), [node('n4', 0, {}), n2]), 'an empty log gets no grant from a voter whose log holds records');
});

test('while the newest change in its log is uncommitted, a ballot needs the previous membership\'s majority too (seed 110041; docs/protocol.md 4.2 Rule 5)', (t) => {
  // manager n2 of {n2, n3} appended the addition of n4; n3 is away
  const c = { n2: q, n3: q };
  const n2 = withLog(node('n2', 5, c), 6, ['n2', 'n3', 'n4']);
  const n3 = withLog(node('n3', 5, c), 6, ['n2', 'n3', 'n4']);
  const n4 = withLog(node('n4', 5, c), 6, ['n2', 'n3', 'n4']);
  t.deepEqual(n2.previous, ['n2', 'n3']);
  t.false(mayWinBallot(n2, [n2, n4]), 'two of {n2, n3, n4}, one of {n2, n3}: it could commit nothing');
  t.true(mayWinBallot({ ...n2, previous: [] }, [n2, n4]), 'counted against the newest membership alone it would win');
  t.true(mayWinBallot(n2, [n2, n3, n4]), 'with n3 live: a majority of both');
});
