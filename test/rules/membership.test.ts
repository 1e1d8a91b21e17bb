import {
  applyMembershipEffect,
  isSingleChange,
  mayChangeMembership,
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
