import { hasMajority, isJointMajority, isMajority, majorityOf, type QuorumMode } from '../../src/machines/rules/majority.js';
import { table } from '../helpers/table.js';

table('majorityOf', majorityOf, [
  ['no members: one node', 0, 1],
  ['one member: itself', 1, 1],
  ['two members: both', 2, 2],
  ['three members: two', 3, 2],
  ['four members: three (a tie is no majority)', 4, 3],
  ['five members: three', 5, 3],
  ['nine members: five', 9, 5],
]);

table('hasMajority', ([count, total, mode]: [number, number, QuorumMode]) => hasMajority(count, total, mode), [
  ['two of three', [2, 3, 'majority'], true],
  ['one of three', [1, 3, 'majority'], false],
  ['two of four is a tie, not a majority', [2, 4, 'majority'], false],
  ['three of four', [3, 4, 'majority'], true],
  ['a cluster being formed (no members yet): one node is enough', [1, 0, 'majority'], true],
  ['nobody of nobody', [0, 0, 'majority'], false],
  ['quorum none: any one node', [1, 5, 'none'], true],
  ['quorum none: but not nobody', [0, 5, 'none'], false],
]);

table('isMajority', ([ids, membership, mode]: [string[], string[], QuorumMode]) => isMajority(ids, membership, mode), [
  ['two of three members', [['n1', 'n2'], ['n1', 'n2', 'n3'], 'majority'], true],
  ['nodes outside the membership do not count', [['n1', 'x', 'y'], ['n1', 'n2', 'n3'], 'majority'], false],
  ['a node counted twice counts once', [['n1', 'n1'], ['n1', 'n2', 'n3'], 'majority'], false],
  ['a membership listed with duplicates is counted by its distinct ids', [['n1', 'n2'], ['n1', 'n2', 'n3', 'n3'], 'majority'], true],
  ['three of the newest five (counted against the newest membership, not an older one)', [['n1', 'n2', 'n3'], ['n1', 'n2', 'n3', 'n4', 'n5'], 'majority'], true],
  ['two of the newest four', [['n1', 'n2'], ['n1', 'n2', 'n3', 'n4'], 'majority'], false],
  ['an empty membership has no members to count: never a majority (callers count a new cluster against whom it forms)', [['n1'], [], 'majority'], false],
  ['quorum none: one member is enough', [['n3'], ['n1', 'n2', 'n3'], 'none'], true],
  ['quorum none: a non-member is not', [['x'], ['n1', 'n2', 'n3'], 'none'], false],
]);

table('isJointMajority (a ballot needs what a commit needs)', ([ids, newest, previous, mode]: [string[], string[], string[], QuorumMode]) => isJointMajority(ids, newest, previous, mode), [
  ['no change uncommitted: the newest membership alone', [['n2', 'n4'], ['n2', 'n3', 'n4'], [], 'majority'], true],
  ['seed 110041: n2 and n4 are a majority of {n2, n3, n4} but not of {n2, n3} while n4\'s addition is uncommitted', [['n2', 'n4'], ['n2', 'n3', 'n4'], ['n2', 'n3'], 'majority'], false],
  ['with n3 back: both majorities', [['n2', 'n3'], ['n2', 'n3', 'n4'], ['n2', 'n3'], 'majority'], true],
  ['a removal in flight: a majority of the new membership but not of the old one', [['a', 'b'], ['a', 'b', 'c'], ['a', 'b', 'c', 'd'], 'majority'], false],
  ['a removal in flight: three of the old four are two of the new three', [['a', 'b', 'd'], ['a', 'b', 'c'], ['a', 'b', 'c', 'd'], 'majority'], true],
  ['quorum none: one node of each', [['n2'], ['n2', 'n3', 'n4'], ['n2', 'n3'], 'none'], true],
]);
