import { backupToName, nextBatch, nextChange, type BackupFacts, type BatchFacts, type Submission } from '../../src/machines/rules/batch.js';
import type { MemberFacts } from '../../src/machines/rules/membership.js';
import { table } from '../helpers/table.js';

const sub = (id: string): Submission => ({ id, origin: 'n1', op: { set: { path: id, value: 1 } } });
const change = (id: string): Submission => ({ id, origin: 'n1', op: { membership: { remove: [{ id }] } } });
/** Gate open, nothing in flight, window 3, at most 2 batches. */
const facts = (over: Partial<BatchFacts>): BatchFacts => ({
  queue: [],
  changes: [],
  batchesInFlight: 0,
  maxBatches: 2,
  window: 3,
  ownEpochCommitted: true,
  lastChangeSeq: 0,
  commitSeq: 5,
  ...over,
});
const addition = (id: string, priority = 0, qualified = true): Submission => ({ id: `add-${id}`, origin: id, op: { membership: { add: [{ id, priority, qualified, incarnation: 1 }] } } });
const ids = (f: BatchFacts) => nextBatch(f).map((s) => s.id);

table('nextBatch', ids, [
  ['nothing queued: nothing to sequence', facts({}), []],
  ['queued submissions in order', facts({ queue: [sub('a'), sub('b')] }), ['a', 'b']],
  ['up to the window', facts({ queue: [sub('a'), sub('b'), sub('c'), sub('d')] }), ['a', 'b', 'c']],
  ['the pipeline is full: nothing more in flight', facts({ batchesInFlight: 2, queue: [sub('a')] }), []],
  ['a membership change goes first, then submissions (the change counts in the window)', facts({ changes: [change('n3')], queue: [sub('a'), sub('b'), sub('c')] }), ['n3', 'a', 'b']],
  ['one membership change at a time: one per batch', facts({ changes: [change('n3'), change('n4')] }), ['n3']],
  ['one membership change at a time: not while an earlier one is uncommitted', facts({ changes: [change('n3')], lastChangeSeq: 6, commitSeq: 5, queue: [sub('a')] }), ['a']],
  ['the first update of an epoch changes roles only: no change before the own epoch commits', facts({ ownEpochCommitted: false, changes: [change('n3')], queue: [sub('a')] }), ['a']],
  ['a change alone when nothing else is queued', facts({ changes: [change('n3')] }), ['n3']],
]);

table('nextChange', (changes: Submission[]) => nextChange(changes)?.id ?? null, [
  ['nothing pending: none', [], null],
  ['one pending: that one', [change('n3')], 'n3'],
  ['a removal at the head goes first, whatever follows', [change('n3'), addition('n4', 9)], 'n3'],
  ['additions: the highest priority first, not the oldest', [addition('n3', 1), addition('n4', 5), addition('n5', 2)], 'add-n4'],
  ['additions of equal priority: the smallest id in natural order (n2 before n10)', [addition('n10'), addition('n2')], 'add-n2'],
  ['a qualified addition before an unqualified one of higher priority', [addition('n3', 9, false), addition('n4', 0)], 'add-n4'],
  ['an addition at the head passes over a removal behind it (only additions are ranked)', [addition('n4', 1), change('n3')], 'add-n4'],
  ['a replacement (remove and add in one op) is not an addition: first come, first served', [{ id: 'swap', origin: 'n1', op: { membership: { remove: [{ id: 'n3' }], add: [{ id: 'n3', priority: 0, qualified: true, incarnation: 2 }] } } }, addition('n4', 9)], 'swap'],
]);

table('nextBatch picks the change nextChange names', ids, [
  ['the best addition, then submissions', facts({ changes: [addition('n3', 1), addition('n4', 5)], queue: [sub('a')] }), ['add-n4', 'a']],
]);

const m = (qualified = true, priority = 0): MemberFacts => ({ qualified, priority, incarnation: 1 });
const backup = (over: Partial<BackupFacts>): BackupFacts => ({ self: 'n1', backup: null, members: { n1: m(), n2: m(), n3: m(true, 5) }, unfit: [], ...over });

table('backupToName', backupToName, [
  ['a fit backup stays: nothing to name', backup({ backup: 'n2' }), null],
  ['no backup: the best qualified member other than the manager', backup({}), 'n3'],
  ['the backup failed: another one', backup({ backup: 'n3', unfit: ['n3'] }), 'n2'],
  ['the backup is no longer a member: another one', backup({ backup: 'n9' }), 'n3'],
  ['unfit members (failed, not heard lately) are not picked', backup({ unfit: ['n3'] }), 'n2'],
  ['no fit qualified member: none', backup({ members: { n1: m(), n2: m(false), n3: m(false) } }), null],
  ['the manager is never its own backup', backup({ members: { n1: m(true, 9) } }), null],
]);
