import { commitNoticeTargets, commitPoint, type CommitFacts } from '../../src/machines/rules/commit.js';
import { table } from '../helpers/table.js';

/**
 * The commit rule (docs/protocol.md 4.4). Manager n1 of epoch 2 whose first own record is
 * seq 4; its log ends at 6, committed to 3; members n1–n3 unless a row says otherwise.
 */
const base: CommitFacts = {
  epoch: 2,
  ownFirstSeq: 4,
  lastSeq: 6,
  commitSeq: 3,
  members: ['n1', 'n2', 'n3'],
  previous: null,
  failed: [],
  match: { n1: 6, n2: 6, n3: 6 },
  quorum: 'majority',
};
const facts = (over: Partial<CommitFacts>): CommitFacts => ({ ...base, ...over });

table('commitPoint', commitPoint, [
  ['every member holds the log: all of it commits', base, 6],
  ['every member not failed must hold it: a slow member holds the point back', facts({ match: { n1: 6, n2: 6, n3: 4 } }), 4],
  ['a member declared failed is not waited for', facts({ failed: ['n3'], match: { n1: 6, n2: 6, n3: 0 } }), 6],
  ['acks of failed members still count towards the majority', facts({ failed: ['n2', 'n3'], match: { n1: 6, n2: 5, n3: 0 } }), 5],
  ['no majority holds anything new: nothing commits, even with the rest failed', facts({ failed: ['n2', 'n3'], match: { n1: 6, n2: 0, n3: 0 } }), 3],
  ['the manager counts only what its own store holds', facts({ match: { n1: 4, n2: 6, n3: 6 } }), 4],
  ['a node outside the newest membership does not count', facts({ failed: ['n2', 'n3'], match: { n1: 6, x: 6, y: 6 } }), 3],
  ['earlier epochs wait for a record of the own epoch (Raft 5.4.2)', facts({ ownFirstSeq: 7 }), 3],
  ['no own record sequenced yet (Infinity, as the coordinator passes it)', facts({ ownFirstSeq: Infinity }), 3],
  ['a majority holding earlier records only is not enough', facts({ ownFirstSeq: 5, match: { n1: 6, n2: 4, n3: 4 } }), 3],
  ['the first own record carries the earlier ones with it', facts({ ownFirstSeq: 5, match: { n1: 6, n2: 5, n3: 5 } }), 5],
  ['never goes backwards', facts({ commitSeq: 5, match: { n1: 6, n2: 4, n3: 4 } }), 5],
  ['an ack beyond the log counts up to the log only', facts({ match: { n1: 6, n2: 99, n3: 99 } }), 6],
  ['a new member that has not acked holds commits back (it is not failed)', facts({ members: ['n1', 'n2', 'n3', 'n4'] }), 3],
  ['the same member listed twice counts once', facts({ members: ['n1', 'n2', 'n2', 'n3'], match: { n1: 6, n2: 6, n3: 0 }, failed: ['n3'] }), 6],
  ['a lone manager commits what it wrote', facts({ members: ['n1'], match: { n1: 6 } }), 6],
  ['no members at all: nothing commits', facts({ members: [], match: {} }), 3],
  ['quorum none: the manager alone commits once the rest are failed', facts({ quorum: 'none', failed: ['n2', 'n3'], match: { n1: 6, n2: 0, n3: 0 } }), 6],
  ['a removal in flight: a manager cut off with one node cannot commit it (the previous majority must hold too)', facts({ previous: ['n1', 'n2', 'n3', 'n4'], failed: ['n3'], match: { n1: 6, n2: 6, n3: 0, n4: 0 } }), 3],
  ['a removal in flight commits once both majorities hold it', facts({ previous: ['n1', 'n2', 'n3', 'n4'], match: { n1: 6, n2: 6, n3: 6, n4: 0 } }), 6],
  ['the previous majority holds less: the point stops there', facts({ previous: ['n1', 'n2', 'n3', 'n4'], failed: ['n3'], match: { n1: 6, n2: 6, n3: 5, n4: 0 } }), 5],
  ['an empty previous membership adds no condition', facts({ previous: [] }), 6],
  ['quorum none: a live member is still waited for', facts({ quorum: 'none', match: { n1: 6, n2: 6, n3: 4 } }), 4],
]);

/** Manager n1 of n1–n3 (n4 removed at seq 5 when a row says so): who hears the commit point move from `before` to `after`. */
table('commitNoticeTargets', ([lastChangeSeq, before, after]: [number, number, number]) =>
  commitNoticeTargets({ self: 'n1', members: ['n1', 'n2', 'n3'], previous: ['n1', 'n2', 'n3', 'n4'], lastChangeSeq, before, after }), [
  ['no change committed by this advance: the members', [5, 5, 7], ['n2', 'n3']],
  ['the advance commits the removal of n4: n4 hears it too', [5, 4, 5], ['n2', 'n3', 'n4']],
  ['the advance passes the removal: n4 hears it too', [5, 3, 8], ['n2', 'n3', 'n4']],
  ['the change is still uncommitted after the advance: the members', [5, 2, 4], ['n2', 'n3']],
]);
