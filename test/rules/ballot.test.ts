import test from 'ava';
import { confirmsManagerLost, holdsOwnPromise, mayGrant, mayPreGrant, promised, type BallotRequest, type LostAnswerState, type PreVoterState, type VoterState } from '../../src/machines/rules/ballot.js';
import type { Candidate } from '../../src/machines/rules/candidates.js';
import type { LogPosition } from '../../src/machines/rules/log.js';
import { table } from '../helpers/table.js';

const pos = (lastSeq: number, lastEpoch: number): LogPosition => ({ lastSeq, lastEpoch, commitSeq: 0 });
/** A voter at epoch 4 that promised it to nobody, with a log ending at seq 10 of epoch 3. */
const voter = (over: Partial<VoterState> = {}): VoterState => ({ epoch: 4, promisedTo: null, position: pos(10, 3), ...over });
const ask = (term: number, candidate = 'n2', position = pos(10, 3)): BallotRequest => ({ term, candidate, position });

table('mayGrant', ([v, r]: [VoterState, BallotRequest]) => mayGrant(v, r), [
  ['a new epoch to an up-to-date candidate', [voter(), ask(5)], true],
  ['an epoch older than its own: never', [voter(), ask(3)], false],
  ['its own epoch, promised to nobody yet', [voter(), ask(4)], true],
  ['its own epoch, promised to another: one promise per epoch', [voter({ promisedTo: 'n3' }), ask(4)], false],
  ['its own epoch, promised to the same candidate (a retransmission)', [voter({ promisedTo: 'n2' }), ask(4)], true],
  ['its own epoch after a restart (whom it promised is unknown): never', [voter({ promisedTo: { unknown: true } }), ask(4)], false],
  ['a later epoch after a restart', [voter({ promisedTo: { unknown: true } }), ask(5)], true],
  ['a later epoch than the one promised to another', [voter({ promisedTo: 'n3' }), ask(5)], true],
  ['a candidate whose log ends in an older epoch: never, however long', [voter(), ask(5, 'n2', pos(99, 2))], false],
  ['a candidate with a shorter log of the same last epoch: never', [voter(), ask(5, 'n2', pos(9, 3))], false],
  ['a candidate with a longer log of the same last epoch', [voter(), ask(5, 'n2', pos(11, 3))], true],
  ['a candidate whose log ends in a later epoch, even if shorter', [voter(), ask(5, 'n2', pos(2, 4))], true],
]);

table('holdsOwnPromise (may a node lead the term its ballot won?)', ([v, term]: [Pick<VoterState, 'epoch' | 'promisedTo'>, number]) => holdsOwnPromise(v, 'n1', term), [
  ['it promised the term to itself and nothing since', [{ epoch: 5, promisedTo: 'n1' }, 5], true],
  ['it promised a higher epoch to another since (seed 111340): never', [{ epoch: 6, promisedTo: 'n3' }, 5], false],
  ['a higher epoch reached it, promised to nobody: never (a record of 5 after it would break One promise)', [{ epoch: 6, promisedTo: null }, 5], false],
  ['the term went to another candidate: never', [{ epoch: 5, promisedTo: 'n2' }, 5], false],
  ['after a restart whom it promised is unknown: never', [{ epoch: 5, promisedTo: { unknown: true } }, 5], false],
]);

test('promised: the epoch and the one it went to', (t) => {
  t.deepEqual(promised(5, 'n2'), { epoch: 5, promisedTo: 'n2' });
});

const cand = (id: string, priority = 0, qualified = true): Candidate => ({ id, priority, qualified });
/** A member at epoch 4 that lost its manager, in a membership of n1–n3. */
const preVoter = (over: Partial<PreVoterState> = {}): PreVoterState => ({ epoch: 4, managerLost: true, members: ['n1', 'n2', 'n3'], ...over });

table('mayPreGrant', ([v, r]: [PreVoterState, { term: number; candidate: Candidate }]) => mayPreGrant(v, r), [
  ['its manager lost, a new term, a qualified member stands', [preVoter(), { term: 5, candidate: cand('n2') }], true],
  ['an unqualified candidate: never', [preVoter(), { term: 5, candidate: cand('n2', 9, false) }], false],
  ['a term not above its epoch: never (a pre-vote is for a new epoch)', [preVoter(), { term: 4, candidate: cand('n2') }], false],
  ['it still hears its manager: never (a node that cannot win raises no epoch)', [preVoter({ managerLost: false }), { term: 5, candidate: cand('n2') }], false],
  ['a candidate outside its newest membership (removed): never', [preVoter(), { term: 5, candidate: cand('n4', 9) }], false],
  ['before formation (no membership yet) any qualified node may stand', [preVoter({ members: [], epoch: 0 }), { term: 1, candidate: cand('n9') }], true],
  ['a lower-ranked member too: who stands first is the candidates\' part, not the pre-vote\'s', [preVoter(), { term: 5, candidate: cand('n3', 0) }], true],
]);

/** Client n3 at epoch 4 whose committed backup is n2, with M = 4 heartbeats. */
const client = (over: Partial<LostAnswerState> = {}): LostAnswerState => ({ self: 'n3', epoch: 4, isManager: false, committedBackup: 'n2', managerMissed: 3, missedHeartbeats: 4, ...over });

table('confirmsManagerLost', ([v, a]: [LostAnswerState, { from: string; term: number }]) => confirmsManagerLost(v, a), [
  ['the backup asks, its manager silent M − 1 intervals here too: yes', [client(), { from: 'n2', term: 5 }], true],
  ['a backup suspecting its manager asks before it promises: a member that still hears the manager says no', [client({ managerMissed: 2 }), { from: 'n2', term: 5 }], false],
  ['a node that is not the committed backup asks: no', [client(), { from: 'n4', term: 5 }], false],
  ['an epoch not above its own: no', [client(), { from: 'n2', term: 4 }], false],
  ['the manager itself never confirms its own loss', [client({ isManager: true, managerMissed: 99 }), { from: 'n2', term: 5 }], false],
  ['never heard a manager at all (Infinity intervals): yes', [client({ managerMissed: Infinity }), { from: 'n2', term: 5 }], true],
]);
