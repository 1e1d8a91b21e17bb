/**
 * The node chart's guards: each decision of the node life cycle, over the pure rules of
 * ./rules (docs/protocol.md). Kept apart from the chart so the chart reads as the protocol.
 */
import { compareIds } from '../ids.js';
import { outranks } from './rules/admission.js';
import { confirmsManagerLost, holdsOwnPromise, mayGrant, mayPreGrant } from './rules/ballot.js';
import { chooseBackup } from './rules/candidates.js';
import { positionOf, type LogPosition } from './rules/log.js';
import { isMajority, type QuorumMode } from './rules/majority.js';
import type { NodeContext, NodeEvent } from './nodeTypes.js';

type GuardArgs = { context: NodeContext; event: NodeEvent };

export const position = (c: NodeContext): LogPosition => positionOf(c.log);

export const followedIs = (c: NodeContext, id: string) => c.followed?.manager === id;

const memberSets = new WeakMap<readonly string[], ReadonlySet<string>>();
/**
 * Whether `members` lists `id`, through a set made once per committed membership (each
 * commit brings a new list): the role guards run after every event of every node, and a
 * scan of the list each time was N² per heartbeat interval for the cluster (issue 14).
 */
function lists(members: readonly string[], id: string): boolean {
  let set = memberSets.get(members);
  if (!set) memberSets.set(members, (set = new Set(members)));
  return set.has(id);
}

/** The committed database names this node a member under the manager it follows. */
export const memberUnderFollowed = (c: NodeContext) =>
  !!c.followed &&
  // the membership it knows is the manager's: it committed the manager's last change of it
  c.committed.seq >= c.followed.membershipSeq &&
  lists(c.committed.members, c.self.id) &&
  // this incarnation: a restarted node is a member again once its refresh committed
  c.committed.incarnation === c.self.incarnation &&
  c.committed.manager === c.followed.manager &&
  c.committed.epoch >= c.followed.epoch;

export const removedByFollowed = (c: NodeContext) =>
  !!c.followed && c.committed.manager === c.followed.manager && c.committed.members.length > 0 && !lists(c.committed.members, c.self.id);


/** The member a leaving manager hands over to: its backup if live and fit, else the best live qualified member. */
export function successorOf(c: NodeContext): string | null {
  if (c.switchoverTo) return c.switchoverTo;
  const live = (id: string) => !c.silent.includes(id);
  const b = c.committed.backup;
  if (b && b !== c.self.id && c.newest[b]?.qualified && live(b)) return b;
  return chooseBackup(Object.entries(c.newest).filter(([id]) => live(id)).map(([id, m]) => ({ id, ...m })), c.self.id);
}

export const nodeGuards = {
    /**
     * A higher epoch reached a manager or backup: it steps down (docs/protocol.md 3) — unless
     * the manager it follows sent it: a manager raises its own epoch only to hand over, and
     * its notice follows.
     */
    isRivalEpoch: ({ context, event }: GuardArgs) =>
      event.type === 'EPOCH_RAISED' && event.epoch > (context.leadership?.epoch ?? context.followed?.epoch ?? 0) && !(context.followed && event.from === context.followed.manager),
    managerToJoin: ({ context, event }: GuardArgs) => event.type === 'MANAGER_HEARD' && (event.quorate || context.settings.quorum === 'none'),
    newerManager: ({ context, event }: GuardArgs) =>
      // another manager, or the same one leading again in a later epoch
      event.type === 'MANAGER_HEARD' && !!context.followed && event.epoch > context.followed.epoch && event.epoch >= context.epoch,
    /** quorum none: a manager of another side that outranks the one this node follows or is. */
    outranksUnderNone: ({ context, event }: GuardArgs) => {
      if (event.type !== 'MANAGER_HEARD' || context.settings.quorum !== 'none') return false;
      const mine = context.leadership ? { id: context.self.id, epoch: context.leadership.epoch } : context.followed ? { id: context.followed.manager, epoch: context.followed.epoch } : null;
      return !!mine && event.manager !== mine.id && outranks({ id: event.manager, epoch: event.epoch }, mine, compareIds);
    },
    memberUnderFollowed: ({ context }: GuardArgs) => memberUnderFollowed(context),
    newestChanged: ({ context, event }: GuardArgs) => event.type === 'LOG' && event.newest !== context.newest,
    fromFollowed: ({ context, event }: GuardArgs) => event.type === 'NOT_MEMBER' && followedIs(context, event.from),
    backupUnderFollowed: ({ context }: GuardArgs) => memberUnderFollowed(context) && context.committed.backup === context.self.id,
    clientUnderFollowed: ({ context }: GuardArgs) => memberUnderFollowed(context) && context.committed.backup !== context.self.id,
    removed: ({ context }: GuardArgs) => removedByFollowed(context),
    mayPreGrant: ({ context, event }: GuardArgs) =>
      event.type === 'PREVOTE_REQUEST' &&
      mayPreGrant({ epoch: context.epoch, managerLost: context.managerLost, members: Object.keys(context.newest) }, { term: event.term, candidate: event.candidate }),
    mayVote: ({ context, event }: GuardArgs) =>
      event.type === 'VOTE_REQUEST' && context.managerLost &&
      mayGrant({ epoch: context.epoch, promisedTo: context.promisedTo, position: position(context) }, { term: event.term, candidate: event.from, position: event.position }),
    confirmsLost: ({ context, event }: GuardArgs) =>
      event.type === 'CONFIRM_ASK' &&
      confirmsManagerLost(
        { self: context.self.id, epoch: context.epoch, isManager: !!context.leadership, committedBackup: context.committed.backup, managerMissed: context.managerMissed, missedHeartbeats: context.settings.missedHeartbeats },
        { from: event.from, term: event.term },
      ),
    /** A takeover or handover promise: the manager is lost here too, or it handed over to the asker. */
    mayPromise: ({ context, event }: GuardArgs) =>
      event.type === 'PROMISE_REQUEST' && !context.leadership &&
      (context.managerLost || (context.handover?.to === event.from && context.handover.epoch === event.term)) &&
      mayGrant({ epoch: context.epoch, promisedTo: context.promisedTo, position: position(context) }, { term: event.term, candidate: event.from, position: event.position }),
    handoverToOther: ({ context, event }: GuardArgs) =>
      event.type === 'HANDOVER_NOTICE' && followedIs(context, event.from) && event.to !== context.self.id &&
      // the successor holds every committed record: the manager drained (all acked) before the notice
      mayGrant({ epoch: context.epoch, promisedTo: context.promisedTo, position: position(context) }, { term: event.epoch, candidate: event.to, position: position(context) }),
    handoverToSelf: ({ context, event }: GuardArgs) => event.type === 'HANDOVER_NOTICE' && followedIs(context, event.from) && event.to === context.self.id,
    /** The node's promise to itself: the rule of every promise, with its own log (docs/protocol.md 2). */
    mayStandFor: ({ context, event }: GuardArgs) =>
      event.type === 'STAND' &&
      mayGrant({ epoch: context.epoch, promisedTo: context.promisedTo, position: position(context) }, { term: event.term, candidate: context.self.id, position: position(context) }),
    /** A ballot won whose promise this node still holds: it may lead that epoch. */
    ballotHeld: ({ context, event }: GuardArgs) => {
      const out = (event as unknown as { output: { won: boolean; epoch?: number } }).output;
      return out.won && holdsOwnPromise({ epoch: context.epoch, promisedTo: context.promisedTo }, context.self.id, out.epoch!);
    },
    /** A ballot won after this node promised a higher epoch: the win is void (docs/protocol.md 2). */
    ballotSuperseded: ({ context, event }: GuardArgs) => {
      const out = (event as unknown as { output: { won: boolean; epoch?: number } }).output;
      return out.won && !holdsOwnPromise({ epoch: context.epoch, promisedTo: context.promisedTo }, context.self.id, out.epoch!);
    },
    hasSuccessor: ({ context }: GuardArgs) => successorOf(context) !== null,
    isLeaving: ({ context }: GuardArgs) => context.leaving,
    majorityHeard: ({ context }: GuardArgs) => {
      const members = Object.keys(context.newest);
      if (members.length === 0) return false;
      const since = context.now - 2 * context.settings.discoveryMs;
      const heard = Object.values(context.heard).filter((p) => p.at >= since).map((p) => p.id);
      return isMajority([context.self.id, ...heard], members, context.settings.quorum as QuorumMode);
    },
};
