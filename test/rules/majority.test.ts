import { hasMajority, isMajority, majorityOf, type QuorumMode } from '../../src/machines/rules/majority.js';
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
