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
import { checkGroupViews, checkRemovedMembersGone, type GroupViewObservation, type ViewAnnouncement } from '../../src/sim/invariantGroups.js';
import { checkMembershipSteps, type MembershipObservation } from '../../src/sim/invariantMembership.js';
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

// ---------------------------------------------------------------- invariant 5: group views

const gv = (node: string, view: number, members: string[], over: Partial<GroupViewObservation> = {}): GroupViewObservation => ({
  node,
  incarnation: 1,
  seq: view,
  group: 'g',
  view,
  members,
  t: view,
  ...over,
});
const told = (node: string, member: string, view: number, members: string[], over: Partial<ViewAnnouncement> = {}): ViewAnnouncement => ({
  node,
  incarnation: 1,
  member,
  group: 'g',
  view,
  members,
  t: view,
  ...over,
});
// p1@n1 joins at 3, p2@n2 at 5, p1 leaves at 8: committed on n1 and n2 alike
const viewsCommitted = ['n1', 'n2'].flatMap((n) => [gv(n, 3, ['p1@n1']), gv(n, 5, ['p1@n1', 'p2@n2']), gv(n, 8, ['p2@n2'])]);
const viewsTold = [
  told('n1', 'p1@n1', 3, ['p1@n1']),
  told('n1', 'p1@n1', 5, ['p1@n1', 'p2@n2']),
  told('n1', 'p1@n1', 8, ['p2@n2']),
  told('n2', 'p2@n2', 5, ['p1@n1', 'p2@n2']),
  told('n2', 'p2@n2', 8, ['p2@n2']),
];

test('group views: every member told every view in the committed order passes', (t) => {
  t.deepEqual(checkGroupViews(viewsCommitted, viewsTold), []);
});

test('group views: two nodes committing different members for one view is a violation', (t) => {
  const v = checkGroupViews([...viewsCommitted, gv('n3', 5, ['p1@n1'])], viewsTold);
  t.is(v.length, 1);
  t.is(v[0]!.invariant, 'group-views');
  t.regex(v[0]!.detail, /group g view 5: n1 committed \[p1@n1,p2@n2\], n3 committed \[p1@n1\]/);
});

test('group views: a member told other members than committed, out of order, or skipping a view is a violation', (t) => {
  t.regex(checkGroupViews(viewsCommitted, [told('n2', 'p2@n2', 5, ['p2@n2'])])[0]!.detail, /p2@n2 was told group g view 5 is \[p2@n2\], n1 committed \[p1@n1,p2@n2\]/);
  t.regex(checkGroupViews(viewsCommitted, [viewsTold[1]!, viewsTold[0]!])[0]!.detail, /told group g view 3 after view 5/);
  t.regex(checkGroupViews(viewsCommitted, [viewsTold[0]!, viewsTold[2]!])[0]!.detail, /view 3, then 8: view 5 committed there in between was never announced/);
});

test('group views: a view skipped by a node that installed a snapshot over it is no violation', (t) => {
  // n1 committed 3 and 8 only (it jumped over seq 5)
  const jumped = [gv('n1', 3, ['p1@n1']), gv('n1', 8, ['p2@n2']), ...viewsCommitted.filter((c) => c.node === 'n2')];
  t.deepEqual(checkGroupViews(jumped, [viewsTold[0]!, viewsTold[2]!]), []);
});

test("removed node's members: left in a group after its removal, or at the end, is a violation", (t) => {
  t.deepEqual(checkRemovedMembersGone([{ node: 'n1', seq: 9, removed: ['n3'], leftovers: [], t: 9 }], [{ id: 'n1', members: ['n1', 'n2'], groupMembers: ['g:p1@n1'] }]), []);
  const v = checkRemovedMembersGone([{ node: 'n1', seq: 9, removed: ['n3'], leftovers: ['g:p4@n3'], t: 9 }], []);
  t.is(v.length, 1);
  t.regex(v[0]!.detail, /seq 9 removed n3, but n1's groups still list g:p4@n3 after it/);
  const end = checkRemovedMembersGone([], [{ id: 'n1', members: ['n1', 'n2'], groupMembers: ['g:p1@n1', 'h:p4@n3'] }]);
  t.regex(end[0]!.detail, /n1 ends with group members of nodes outside its membership: h:p4@n3/);
});

// ---------------------------------------------------------------- invariant 7: one membership change at a time

const ms = (seq: number, members: string[], node = 'n1'): MembershipObservation => ({ node, seq, members, t: seq });

test('membership: formation with all initial members, then one node per update, passes', (t) => {
  const history = [ms(1, ['n1', 'n2', 'n3']), ms(2, ['n1', 'n2', 'n3']), ms(3, ['n1', 'n2']), ms(4, ['n1', 'n2', 'n4']), ms(4, ['n1', 'n2', 'n4'], 'n2')];
  t.deepEqual(checkMembershipSteps(history, ['n1', 'n2', 'n3']), []);
});

test('membership: an update adding and removing nodes at once is a violation (what an election does today)', (t) => {
  const v = checkMembershipSteps([ms(1, ['n1', 'n2', 'n3', 'n4', 'n5']), ms(2, ['n1', 'n2', 'n5'])], ['n1', 'n2', 'n3', 'n4', 'n5']);
  t.is(v.length, 1);
  t.is(v[0]!.invariant, 'membership-one-at-a-time');
  t.regex(v[0]!.detail, /seq 2 changed the membership by 2 nodes \(-n3 -n4\)/);
  t.regex(checkMembershipSteps([ms(6, ['n1', 'n3']), ms(7, ['n1', 'n2', 'n4'])], [])[0]!.detail, /\+n2 \+n4 -n3/);
});

test('membership: a gap nobody committed one by one is not compared; a formation with strangers is a violation', (t) => {
  t.deepEqual(checkMembershipSteps([ms(5, ['n1']), ms(7, ['n1', 'n2', 'n3'])], []), []);
  t.regex(checkMembershipSteps([ms(1, ['n1', 'n9'])], ['n1', 'n2'])[0]!.detail, /formed the cluster with n9/);
});

test('the reproduction expects a failed join\'s error and leaves out steps that failed without effect', (t) => {
  const scenario = {
    name: 'x',
    seed: 3,
    cluster: { name: 'x', nodes: [], persistence: 'memory' },
    steps: [
      { start: 'all' },
      { join: { node: 'n1', process: 'p1', group: 'g' } },
      { leave: { node: 'n1', process: 'p1', group: 'g' } },
      { update: { node: 'n2', set: { path: 'a', value: 2 } } },
      { send: { node: 'n3', group: 'g', payload: 1, mode: 'ordered' } },
    ],
  } as Scenario;
  const { scenario: repro, notes } = reproductionScenario(
    scenario,
    new Map([
      [0, { ok: true }],
      [1, { ok: false, code: 'NO_QUORUM', error: 'NO_QUORUM: node n1 is isolated' }],
      [2, { ok: false, error: 'p1@n1 has not joined g in this run' }],
      [3, { ok: false, error: 'node n2 is not running' }],
      [4, { ok: false, code: 'TIMEOUT', error: 'TIMEOUT: not committed' }],
    ]),
  );
  t.deepEqual(repro.steps, [
    { start: 'all' },
    { join: { node: 'n1', process: 'p1', group: 'g', expectError: 'NO_QUORUM' } },
    { send: { node: 'n3', group: 'g', payload: 1, mode: 'ordered' } },
  ]);
  t.is(notes.length, 3);
  t.regex(notes[2]!, /step 4 \(send\) failed .*glup run stops there, glup sim --check goes on/);
});
