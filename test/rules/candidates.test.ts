import { bestCandidate, chooseBackup, compareCandidates, rankOf, type Candidate } from '../../src/machines/rules/candidates.js';
import { table } from '../helpers/table.js';

const c = (id: string, priority = 0, qualified = true): Candidate => ({ id, priority, qualified });
const sign = (n: number) => Math.sign(n);

table('compareCandidates', ([a, b]: [Candidate, Candidate]) => sign(compareCandidates(a, b)), [
  ['the higher priority comes first', [c('n9', 5), c('n1', 1)], -1],
  ['the lower priority comes after', [c('n1', 1), c('n9', 5)], 1],
  ['equal priority: the smaller id in natural order (n2 before n10)', [c('n2'), c('n10')], -1],
  ['equal priority: n10 after n2', [c('n10'), c('n2')], 1],
  ['the same candidate', [c('n1'), c('n1')], 0],
]);

table('bestCandidate', ([cands, exclude]: [Candidate[], string[]]) => bestCandidate(cands, new Set(exclude))?.id ?? null, [
  ['the highest priority', [[c('n1', 1), c('n2', 3), c('n3', 2)], []], 'n2'],
  ['an unqualified node never', [[c('n1', 9, false), c('n2', 1)], []], 'n2'],
  ['ties by natural id order', [[c('n10'), c('n2'), c('n3')], []], 'n2'],
  ['excluded ids are skipped', [[c('n1', 5), c('n2', 1)], ['n1']], 'n2'],
  ['none qualified: none', [[c('n1', 1, false)], []], null],
  ['no candidates: none', [[], []], null],
]);

table('chooseBackup', ([members, manager]: [Candidate[], string]) => chooseBackup(members, manager), [
  ['the best qualified member other than the manager', [[c('n1', 9), c('n2', 1), c('n3', 2)], 'n1'], 'n3'],
  ['never the manager itself', [[c('n1', 9)], 'n1'], null],
  ['never an unqualified member', [[c('n1'), c('n2', 5, false)], 'n1'], null],
]);

table('rankOf', ([self, others]: [Candidate, Candidate[]]) => rankOf(self, others), [
  ['the best it knows: 0', [c('n1', 5), [c('n2', 1), c('n3', 1)]], 0],
  ['two better ones: 2', [c('n3'), [c('n1'), c('n2'), c('n4')]], 2],
  ['better but unqualified ones do not count', [c('n3'), [c('n1', 0, false), c('n2', 0, false)]], 0],
  ['itself in the list does not count', [c('n2'), [c('n2'), c('n1')]], 1],
]);
