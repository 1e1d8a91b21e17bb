import {
  applyMembershipEffect,
  isSingleChange,
  mayChangeMembership,
  refusedChange,
  silentLearners,
  membershipDiff,
  membershipEffect,
  type ChangeGate,
  type MemberFacts,
  type NodeFacts,
} from '../../src/machines/rules/membership.js';
import { table } from '../helpers/table.js';

const node = (id: string, incarnation = 1, qualified = true, priority = 0): NodeFacts => ({ id, qualified, priority, incarnation });
const facts = (incarnation = 1, qualified = true, priority = 0): MemberFacts => ({ qualified, priority, incarnation });
const three: Record<string, MemberFacts> = { n1: facts(), n2: facts(), n3: facts() };

table('membershipDiff', ([before, after]: [string[], string[]]) => membershipDiff(before, after), [
  ['the same members', [['n1', 'n2'], ['n2', 'n1']], { added: [], removed: [] }],
  ['one added', [['n1'], ['n1', 'n2']], { added: ['n2'], removed: [] }],
  ['one removed', [['n1', 'n2'], ['n1']], { added: [], removed: ['n2'] }],
  ['one replaced by another', [['n1', 'n2'], ['n1', 'n3']], { added: ['n3'], removed: ['n2'] }],
]);

table('isSingleChange', ([before, after]: [string[], string[]]) => isSingleChange(before, after), [
  ['no change', [['n1', 'n2'], ['n1', 'n2']], true],
  ['one node added', [['n1', 'n2'], ['n1', 'n2', 'n3']], true],
  ['one node removed', [['n1', 'n2', 'n3'], ['n1', 'n2']], true],
  ['two nodes added: two majorities could miss each other', [['n1'], ['n1', 'n2', 'n3']], false],
  ['one added and one removed at once', [['n1', 'n2'], ['n1', 'n3']], false],
]);

table('mayChangeMembership', (g: ChangeGate) => mayChangeMembership(g), [
  ['own epoch committed, the last change committed', { ownEpochCommitted: true, lastChangeSeq: 4, commitSeq: 6 }, true],
  ['the last change is the commit point itself', { ownEpochCommitted: true, lastChangeSeq: 6, commitSeq: 6 }, true],
  ['no change in the log yet', { ownEpochCommitted: true, lastChangeSeq: 0, commitSeq: 0 }, true],
  ['one membership change at a time: an earlier one is uncommitted', { ownEpochCommitted: true, lastChangeSeq: 7, commitSeq: 6 }, false],
  ['the first update of an epoch changes roles only: own epoch not committed yet', { ownEpochCommitted: false, lastChangeSeq: 0, commitSeq: 6 }, false],
]);

table('membershipEffect', ([op, members]: [unknown, Record<string, MemberFacts>]) => membershipEffect(op, members), [
  ['not a membership op', [{ set: { path: 'a', value: 1 } }, three], { added: [], removed: [], refreshed: [] }],
  ['no op at all', [null, three], { added: [], removed: [], refreshed: [] }],
  ['a string op', ['membership', three], { added: [], removed: [], refreshed: [] }],
  ['roles only (epoch, manager, backup): no change of members', [{ membership: { epoch: 3, manager: 'n1', backup: 'n2' } }, three], { added: [], removed: [], refreshed: [] }],
  ['a new node is added', [{ membership: { add: [node('n4')] } }, three], { added: [node('n4')], removed: [], refreshed: [] }],
  ['a member added again (a restart: new incarnation) is a refresh, not a change', [{ membership: { add: [node('n2', 2)] } }, three], { added: [], removed: [], refreshed: [node('n2', 2)] }],
  ['a member removed', [{ membership: { remove: [{ id: 'n3', reason: 'failed' }] } }, three], { added: [], removed: ['n3'], refreshed: [] }],
  ['removing a node that is not a member changes nothing', [{ membership: { remove: [{ id: 'n9' }] } }, three], { added: [], removed: [], refreshed: [] }],
  ['removed and added back in one op: both count', [{ membership: { remove: [{ id: 'n3' }], add: [node('n3', 2)] } }, three], { added: [node('n3', 2)], removed: ['n3'], refreshed: [] }],
  ['formation: every node is added to an empty membership', [{ membership: { epoch: 1, manager: 'n1', add: [node('n1'), node('n2')] } }, {}], { added: [node('n1'), node('n2')], removed: [], refreshed: [] }],
]);

table('applyMembershipEffect', ([members, op]: [Record<string, MemberFacts>, unknown]) => applyMembershipEffect(members, membershipEffect(op, members)), [
  ['adds a node with its facts (not its id)', [{ n1: facts() }, { membership: { add: [node('n2', 3, false, 2)] } }], { n1: facts(), n2: facts(3, false, 2) }],
  ['removes a member', [three, { membership: { remove: [{ id: 'n2' }] } }], { n1: facts(), n3: facts() }],
  ['a refresh takes the new incarnation', [three, { membership: { add: [node('n2', 7)] } }], { ...three, n2: facts(7) }],
  ['an op that is no membership change leaves the members as they are', [three, { set: { path: 'x', value: 1 } }], three],
]);

const remove = (id: string, reason: string) => ({ membership: { remove: [{ id, reason }] } });

/** Manager n1 of n1–n3 judges a membership op that `origin` submitted. */
table('refusedChange', ([origin, op]: [string, unknown]) => refusedChange(origin, 'n1', op, three), [
  ['not a membership op: taken', ['n2', { set: { path: 'a', value: 1 } }], null],
  ['the manager\'s own change: taken', ['n1', { membership: { add: [node('n4'), node('n5')] } }], null],
  ['a member\'s own leave: taken', ['n2', remove('n2', 'leave')], null],
  ['an operator\'s removal of a member (glup remove, through a member): taken', ['n2', remove('n3', 'removed')], null],
  ['a non-member submits any change: refused', ['x', remove('x', 'leave')], 'x is not a member: only members submit membership changes'],
  ['the leave of another node: refused', ['n2', remove('n3', 'leave')], 'n2 cannot submit the leave of n3'],
  ['declaring another node failed: only the manager does', ['n2', remove('n3', 'failed')], 'only the manager declares n3 failed'],
  ['two removals at once: refused (one node per change)', ['n2', { membership: { remove: [{ id: 'n2', reason: 'leave' }, { id: 'n3', reason: 'removed' }] } }], 'a member may only submit one removal (its own leave, or a removal by an operator)'],
  ['an addition from a member: refused (only the manager adds)', ['n2', { membership: { add: [node('n4')] } }], 'a member may only submit one removal (its own leave, or a removal by an operator)'],
  ['naming roles: refused', ['n2', { membership: { backup: 'n2' } }], 'a member may only submit one removal (its own leave, or a removal by an operator)'],
  ['a removal that also names roles: refused', ['n2', { membership: { remove: [{ id: 'n2', reason: 'leave' }], backup: 'n3' } }], 'a member may only submit one removal (its own leave, or a removal by an operator)'],
]);

/** Rounds since each learner was heard, M = 3: which ones the manager stops bringing in. */
table('silentLearners', ([rounds, learners]: [Record<string, number>, string[]]) => silentLearners(rounds, learners, 3), [
  ['heard this round: kept', [{ n4: 0 }, ['n4']], []],
  ['silent for fewer than M rounds: kept', [{ n4: 2 }, ['n4']], []],
  ['silent for M rounds: dropped', [{ n4: 3 }, ['n4']], ['n4']],
  ['only learners are judged', [{ n4: 5, n2: 9 }, ['n4']], ['n4']],
  ['a learner never counted yet: kept', [{}, ['n4']], []],
]);
