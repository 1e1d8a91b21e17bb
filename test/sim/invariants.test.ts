import test from 'ava';
import {
  checkAckedUpdates,
  checkCommittedPrefix,
  checkFinalStates,
  checkNoCrash,
  checkOneManagerPerEpoch,
  checkSettled,
  dbDigest,
  type CommitObservation,
  type FinalNodeObservation,
} from '../../src/sim/invariants.js';
import { reproductionScenario } from '../../src/sim/repro.js';
import type { Scenario } from '../../src/scenario/types.js';

// A history of three nodes committing seqs 1..3; each record leaves state "s<seq>".
function commit(node: string, seq: number, over: Partial<CommitObservation> = {}): CommitObservation {
  return { node, incarnation: 1, seq, epoch: 1, id: `u${seq}`, origin: 'n1', dbDigest: `s${seq}`, t: seq * 10, ...over };
}
const healthy = ['n1', 'n2', 'n3'].flatMap((n) => [1, 2, 3].map((s) => commit(n, s)));

function settledNode(id: string, over: Partial<FinalNodeObservation> = {}): FinalNodeObservation {
  return {
    id,
    role: id === 'n1' ? 'manager' : id === 'n2' ? 'backup' : 'client',
    qualified: true,
    manager: 'n1',
    backup: 'n2',
    committedSeq: 3,
    dbDigest: 's3',
    members: ['n1', 'n2', 'n3'],
    ...over,
  };
}
const settled = ['n1', 'n2', 'n3'].map((id) => settledNode(id));

test('one manager per epoch: two nodes managing the same epoch is a violation', (t) => {
  t.deepEqual(checkOneManagerPerEpoch([{ node: 'n1', epoch: 1, t: 0 }, { node: 'n2', epoch: 2, t: 5 }, { node: 'n1', epoch: 1, t: 9 }]), []);
  const v = checkOneManagerPerEpoch([{ node: 'n1', epoch: 3, t: 0 }, { node: 'n2', epoch: 3, t: 5 }]);
  t.is(v.length, 1);
  t.is(v[0]!.invariant, 'one-manager-per-epoch');
  t.regex(v[0]!.detail, /epoch 3 has two managers: n1 .* n2/);
});

test('committed prefix: a healthy history passes', (t) => {
  t.deepEqual(checkCommittedPrefix(healthy), []);
});

test('committed prefix: two nodes committing different records at one seq is a violation', (t) => {
  const v = checkCommittedPrefix([...healthy, commit('n4', 2, { id: 'other', epoch: 2 })]);
  t.is(v.length, 1);
  t.regex(v[0]!.detail, /seq 2: n1 committed u2 \(epoch 1\), n4 committed other \(epoch 2\)/);
});

test('committed prefix: a duplicate or out-of-order commit within one incarnation is a violation', (t) => {
  t.regex(checkCommittedPrefix([commit('n1', 1), commit('n1', 2), commit('n1', 2)])[0]!.detail, /duplicate/);
  t.regex(checkCommittedPrefix([commit('n1', 1), commit('n1', 3), commit('n1', 2)])[0]!.detail, /out of order/);
  // a restarted node (new incarnation) announcing from its store onward is fine
  t.deepEqual(checkCommittedPrefix([commit('n1', 1), commit('n1', 2), commit('n1', 3, { incarnation: 2 }), commit('n1', 2, { incarnation: 3 })]), []);
});

test('committed prefix: a jump is fine only when it lands on the agreed state', (t) => {
  t.deepEqual(checkCommittedPrefix([...healthy, commit('n4', 1), commit('n4', 3)]), []);
  const v = checkCommittedPrefix([...healthy, commit('n4', 1), commit('n4', 3, { dbDigest: 'skipped-u2' })]);
  t.is(v.length, 1);
  t.regex(v[0]!.detail, /n4's database after u3 differs from n1's \(it jumped from seq 1\)/);
});

test('final states: a db that is not the prefix state at its seq is a violation', (t) => {
  t.deepEqual(checkFinalStates(settled, healthy), []);
  const v = checkFinalStates([...settled.slice(0, 2), settledNode('n3', { dbDigest: 'bogus' })], healthy);
  t.is(v.length, 1);
  t.is(v[0]!.invariant, 'committed-prefix');
});

test('acked updates: an ack whose seq another node committed differently is a violation', (t) => {
  const ack = { step: 4, node: 'n1', seq: 2, epoch: 1, t: 20 };
  t.deepEqual(checkAckedUpdates([ack], healthy, settled), []);
  const lost = healthy.map((c) => (c.node === 'n3' && c.seq === 2 ? { ...c, id: 'replacement', epoch: 2 } : c));
  const v = checkAckedUpdates([ack], lost, settled);
  t.is(v.length, 1);
  t.regex(v[0]!.detail, /u2 acked as seq 2, but n3 committed replacement there/);
});

test('acked updates: an ack the submitter never committed, or a node ending before it, is a violation', (t) => {
  t.regex(checkAckedUpdates([{ step: 1, node: 'n2', seq: 2, epoch: 1, t: 0 }], healthy, settled)[0]!.detail, /n2 never committed its own record/);
  const behind = [...settled.slice(0, 2), settledNode('n3', { committedSeq: 1, dbDigest: 's1' })];
  t.regex(checkAckedUpdates([{ step: 1, node: 'n1', seq: 2, epoch: 1, t: 0 }], healthy, behind)[0]!.detail, /n3 ended at committed seq 1/);
});

test('settled: one manager, all members, a backup and one state pass', (t) => {
  t.deepEqual(checkSettled(settled), []);
});

test('settled: two managers, a joining node, no backup or a diverged node are violations', (t) => {
  const one = (nodes: FinalNodeObservation[]) => {
    const v = checkSettled(nodes);
    t.is(v.length, 1);
    t.is(v[0]!.invariant, 'settles-after-heal');
    return v[0]!.detail;
  };
  t.regex(one([settled[0]!, settledNode('n2', { role: 'manager' }), settled[2]!]), /found 2 \(n1, n2\)/);
  t.regex(one([settled[0]!, settled[1]!, settledNode('n3', { role: 'joining', manager: null })]), /n3 \(joining\)/);
  t.regex(one(settled.map((n) => ({ ...n, backup: null }))), /no backup/);
  t.regex(one([settled[0]!, settled[1]!, settledNode('n3', { committedSeq: 2, dbDigest: 's2' })]), /n3 at seq 2/);
  t.regex(one([settledNode('n1', { members: ['n1', 'n2'] }), settled[1]!, settled[2]!]), /missing from n1's membership: n3/);
  // a lone manager with no qualified peer needs no backup
  t.deepEqual(checkSettled([settledNode('n1', { backup: null, members: ['n1', 'n2'] }), settledNode('n2', { role: 'client', qualified: false, backup: null })]), []);
});

test('no crash: every observed crash is a violation', (t) => {
  t.deepEqual(checkNoCrash([]), []);
  t.is(checkNoCrash([{ node: 'n2', what: 'update processing failed', t: 3 }])[0]!.detail, 'n2: update processing failed');
});

test('db digests ignore key order', (t) => {
  t.is(dbDigest({ a: 1, b: { c: [1, { d: 2, e: 3 }] } }), dbDigest({ b: { c: [1, { e: 3, d: 2 }] }, a: 1 }));
  t.not(dbDigest({ a: 1 }), dbDigest({ a: 2 }));
});

test('the reproduction expects the error each failed update got', (t) => {
  const scenario = {
    name: 'x',
    seed: 3,
    cluster: { name: 'x', nodes: [], persistence: 'memory' },
    steps: [{ start: 'all' }, { update: { node: 'n1', set: { path: 'a', value: 1 } } }, { update: { node: 'n2', set: { path: 'a', value: 2 } } }],
  } as Scenario;
  const { scenario: repro, notes } = reproductionScenario(
    scenario,
    new Map([
      [0, { ok: true }],
      [1, { ok: false, code: 'NO_QUORUM', error: 'isolated' }],
      [2, { ok: true }],
    ]),
  );
  t.deepEqual(repro.steps[1], { update: { node: 'n1', set: { path: 'a', value: 1 }, expectError: 'NO_QUORUM' } });
  t.deepEqual(repro.steps[2], scenario.steps[2]);
  t.deepEqual(notes, []);
});
