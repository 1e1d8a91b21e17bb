import { closeInterval, hearsMajority, silentFor, type Missed } from '../../src/machines/rules/liveness.js';
import type { QuorumMode } from '../../src/machines/rules/majority.js';
import { table } from '../helpers/table.js';

table('closeInterval', ([missed, heard, peers]: [Missed, string[] | Set<string>, string[]]) => closeInterval(missed, heard, peers), [
  ['a peer heard in the interval is back at 0', [{ n2: 3 }, ['n2'], ['n2']], { n2: 0 }],
  ['a silent peer counts one more interval', [{ n2: 1, n3: 0 }, ['n3'], ['n2', 'n3']], { n2: 2, n3: 0 }],
  ['a new silent peer starts at one', [{}, [], ['n4']], { n4: 1 }],
  ['a node no longer a peer is forgotten', [{ n2: 5, gone: 7 }, [], ['n2']], { n2: 6 }],
  ['a node heard that is not a peer adds nothing', [{}, ['x'], ['n2']], { n2: 1 }],
  ['heard may be a Set', [{ n2: 2 }, new Set(['n2']), ['n2']], { n2: 0 }],
]);

table('silentFor', ([missed, peers, intervals]: [Missed, string[], number]) => silentFor(missed, peers, intervals), [
  ['silent exactly M intervals counts', [{ n2: 3, n3: 2 }, ['n2', 'n3'], 3], ['n2']],
  ['a peer never counted is not silent', [{}, ['n2'], 1], []],
  ['only the peers asked about', [{ n2: 9, n3: 9 }, ['n3'], 3], ['n3']],
]);

table('hearsMajority', ([missed, members, self, intervals, mode]: [Missed, string[], string, number, QuorumMode]) => hearsMajority(missed, members, self, intervals, mode), [
  ['itself and one of two others', [{ n2: 0, n3: 5 }, ['n1', 'n2', 'n3'], 'n1', 2, 'majority'], true],
  ['itself alone of three', [{ n2: 2, n3: 5 }, ['n1', 'n2', 'n3'], 'n1', 2, 'majority'], false],
  ['silent for fewer intervals than the limit still counts as heard', [{ n2: 1, n3: 1 }, ['n1', 'n2', 'n3'], 'n1', 2, 'majority'], true],
  ['a peer never counted counts as heard (it just joined)', [{}, ['n1', 'n2', 'n3'], 'n1', 2, 'majority'], true],
  ['itself counts even with a stale count of its own', [{ n1: 9, n2: 0 }, ['n1', 'n2', 'n3'], 'n1', 2, 'majority'], true],
  ['quorum none: itself is enough', [{ n2: 9, n3: 9 }, ['n1', 'n2', 'n3'], 'n1', 2, 'none'], true],
]);
