import { admit, outranks, type Admission, type AdmissionView, type MessageFacts } from '../../src/machines/rules/admission.js';
import { compareIds } from '../../src/ids.js';
import { table } from '../helpers/table.js';

/** Member n1 at epoch 5 of members n1, n2 (qualified) and n3 (not qualified). */
const view = (over: Partial<AdmissionView> = {}): AdmissionView => ({
  self: 'n1',
  epoch: 5,
  members: { n1: { qualified: true }, n2: { qualified: true }, n3: { qualified: false } },
  member: true,
  joining: null,
  quorum: 'majority',
  ...over,
});
const hb = (from: string, epoch: number, over: Partial<MessageFacts> = {}): MessageFacts => ({ type: 'heartbeat', from, epoch, leaderRole: true, fenceable: true, ...over });
const ack = (from: string, epoch: number): MessageFacts => ({ type: 'update-ack', from, epoch, leaderRole: false, fenceable: false });
const verdict = (v: Admission['verdict']): { verdict: Admission['verdict']; epoch?: number } => ({ verdict: v });

/** The verdict and the epoch to raise to; the reason of an invalid message is checked below. */
function decided([v, m]: [AdmissionView, MessageFacts]): { verdict: Admission['verdict']; epoch?: number } {
  const a = admit(v, m);
  return a.verdict === 'raise' ? { verdict: a.verdict, epoch: a.epoch } : { verdict: a.verdict };
}

table('admit', decided, [
  ['its own message coming back', [view(), hb('n1', 9)], verdict('own')],
  ['a member\'s message of its epoch is delivered', [view(), hb('n2', 5)], verdict('deliver')],
  ['a higher epoch from a qualified member raises the epoch first', [view(), hb('n2', 6)], { verdict: 'raise', epoch: 6 }],
  ['a higher epoch on a plain message from an unqualified member raises too', [view(), ack('n3', 6)], { verdict: 'raise', epoch: 6 }],
  ['a manager heartbeat from an unqualified member is invalid', [view(), hb('n3', 5)], verdict('invalid')],
  ['a heartbeat from a non-member is invalid, whatever its epoch', [view(), hb('x', 2 ** 53 - 1)], verdict('invalid')],
  ['a candidacy from a non-member is invalid', [view(), hb('x', 6, { type: 'candidacy', fenceable: false })], verdict('invalid')],
  ['a plain message from a non-member with a higher epoch may not raise it', [view(), ack('x', 6)], verdict('invalid')],
  ['a plain message from a non-member of an older epoch is delivered (it is told it is no member)', [view(), ack('x', 5)], verdict('deliver')],
  ['a manager\'s message of an older epoch is fenced', [view(), hb('n2', 4)], verdict('fenced')],
  ['an older epoch on a message that is not fenceable is delivered', [view(), ack('n2', 4)], verdict('deliver')],
  ['a promise granted to this node raises nothing here (its own ballot raises its epoch)', [view(), { ...ack('n2', 6), type: 'confirm-reply', grant: true }], verdict('deliver')],
  ['a promise from a non-member with a higher epoch is invalid', [view(), { ...ack('x', 6), type: 'confirm-reply', grant: true }], verdict('invalid')],
  ['a discovering node may follow the manager it wants to join: it raises', [view({ member: false, joining: 'x' }), hb('x', 9)], { verdict: 'raise', epoch: 9 }],
  ['a discovering node hears of a manager it is not joining: a hint, raising nothing', [view({ member: false }), hb('x', 9, { type: 'announce' })], verdict('deliver')],
  ['a discovering node: a candidacy from a non-member may not raise its epoch', [view({ member: false }), hb('x', 9, { type: 'candidacy', fenceable: false })], verdict('invalid')],
  ['a removed node (not a member) is not told off for a non-member heartbeat of its old epoch', [view({ member: false }), hb('x', 5)], verdict('deliver')],
  ['quorum none: a member hears of another side\'s manager: a hint', [view({ quorum: 'none' }), hb('x', 9)], verdict('deliver')],
  ['before formation, initialMembers may raise the epoch', [view({ members: {}, initialMembers: ['n1', 'n2'], member: false, epoch: 0 }), hb('n2', 1, { type: 'candidacy', fenceable: false })], { verdict: 'raise', epoch: 1 }],
  ['before formation, a node not in initialMembers may not', [view({ members: {}, initialMembers: ['n1', 'n2'], member: false, epoch: 0 }), hb('x', 1, { type: 'candidacy', fenceable: false })], verdict('invalid')],
  ['before formation without initialMembers, anyone may', [view({ members: {}, member: false, epoch: 0 }), hb('x', 1, { type: 'candidacy', fenceable: false })], { verdict: 'raise', epoch: 1 }],
]);

table('admit: invalid verdicts say why', ([v, m]: [AdmissionView, MessageFacts]) => (admit(v, m) as { reason?: string }).reason, [
  ['not qualified', [view(), hb('n3', 5)], 'heartbeat from n3, which is not qualified to lead'],
  ['not a member', [view(), hb('x', 5)], 'heartbeat from x, which is not a member'],
  ['may not raise', [view(), ack('x', 6)], "epoch 6 on update-ack from x, which may not raise this node's epoch 5"],
]);

table('outranks (quorum none: two managers meet)', ([a, b]: [{ epoch: number; id: string }, { epoch: number; id: string }]) => outranks(a, b, compareIds), [
  ['the higher epoch stays', [{ epoch: 4, id: 'n9' }, { epoch: 3, id: 'n1' }], true],
  ['the lower epoch goes', [{ epoch: 3, id: 'n1' }, { epoch: 4, id: 'n9' }], false],
  ['same epoch: the smaller id in natural order stays (n2 before n10)', [{ epoch: 4, id: 'n2' }, { epoch: 4, id: 'n10' }], true],
  ['same epoch: n10 does not outrank n2', [{ epoch: 4, id: 'n10' }, { epoch: 4, id: 'n2' }], false],
  ['itself does not outrank itself', [{ epoch: 4, id: 'n2' }, { epoch: 4, id: 'n2' }], false],
]);
