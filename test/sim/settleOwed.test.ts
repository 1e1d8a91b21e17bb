/**
 * When invariant 4 may demand a settled cluster (src/sim/settleOwed.ts, docs/simulation.md
 * "When a settle is owed"): a majority of the newest committed membership live, one of them
 * qualified. A table of the cases the sim meets.
 */
import test from 'ava';
import { settleOwed, type SettleNodeView } from '../../src/sim/settleOwed.js';

const q = { qualified: true };
const u = { qualified: false };
/** A node that committed `seq` with this membership (its own view), live unless said. */
const node = (id: string, seq: number, members: Record<string, { qualified: boolean }>, live = true): SettleNodeView => ({ id, live, committedSeq: seq, nodes: members });

const cases: [string, SettleNodeView[], boolean][] = [
  ['all three live', [node('n1', 5, { n1: q, n2: q, n3: q }), node('n2', 5, { n1: q, n2: q, n3: q }), node('n3', 5, { n1: q, n2: q, n3: q })], true],
  ['two of three live, one qualified', [node('n1', 5, { n1: q, n2: q, n3: u }, false), node('n2', 5, { n1: q, n2: q, n3: u }), node('n3', 5, { n1: q, n2: q, n3: u })], true],
  // seed 20059: n2 removed, then n1 (the last qualified member) leaves
  ['{n1, n3}, n1 left: one of two is no majority', [node('n1', 9, { n1: q, n3: u }, false), node('n2', 4, { n1: q, n2: q, n3: u }), node('n3', 9, { n1: q, n3: u })], false],
  ['a live majority of unqualified members only', [node('n1', 9, { n1: q, n2: u, n3: u }, false), node('n2', 9, { n1: q, n2: u, n3: u }), node('n3', 9, { n1: q, n2: u, n3: u })], false],
  // the newest committed membership is read from the node that got furthest, even if it stopped
  ['only the stopped node committed the removal that left the others a minority', [node('n2', 21, { n2: q, n4: q }, false), node('n4', 19, { n1: q, n2: q, n3: q, n4: q }), node('n1', 0, {}), node('n3', 0, {})], false],
  ['the live nodes are a majority of what the leader committed last', [node('n1', 21, { n1: q, n3: q, n4: q }, false), node('n3', 19, { n1: q, n2: q, n3: q }), node('n4', 0, {})], true],
  ['nothing committed yet: owed (formation)', [node('n1', 0, {}), node('n2', 0, {})], true],
];

for (const [name, nodes, owed] of cases) {
  test(`settle owed: ${name} → ${owed}`, (t) => {
    const due = settleOwed(nodes);
    t.is(due.owed, owed, due.owed ? '' : due.reason);
    if (!due.owed) t.regex(due.reason, /committed at seq \d+, seen on n\d/);
  });
}
