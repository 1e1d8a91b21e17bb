/**
 * The process-group actor (SPEC section 7): one per group on each node. It follows the
 * group's committed view and delivers messages to the node's local members. It is pure:
 * it names its effects (`notifyView`, `deliver`) and the host supplies them with
 * `.provide()`, keeping the local members' handler functions itself — context holds only
 * process names, so snapshots stay plain JSON and traces stay replayable.
 *
 * Views come only from committed databases, and every node applies the same commits in
 * the same order, so every node announces the same sequence of views.
 */
import { assign, setup } from 'xstate';
import type { GroupView, JoinGroupOptions } from '../groups/types.js';
import type { ClusterDb } from '../db/types.js';
import { groupViewFromDb } from '../groups/view.js';

export interface ProcessGroupInput {
  group: string;
  node: string;
  /** The committed database when the actor starts: its view is the starting point, not announced. */
  db?: ClusterDb;
}

export interface ProcessGroupContext {
  group: string;
  node: string;
  /** Seq of the change that produced the current view (0: none seen). */
  view: number;
  /** Committed member ids `<process>@<node>`, in id order. */
  members: string[];
  /** Process names on this node that receive messages, in join order. */
  localMembers: string[];
  /** Last committed seq seen; older or repeated commits are ignored. */
  seq: number;
}

export type ProcessGroupEvent =
  | { type: 'DB_COMMITTED'; db: ClusterDb; seq: number }
  /** Handlers may ride along for the host's convenience; the machine never keeps them. */
  | ({ type: 'LOCAL_JOIN'; process: string } & JoinGroupOptions)
  | { type: 'LOCAL_LEAVE'; process: string }
  /** `to` (a member id) addresses one member; without it every local member gets the message. */
  | { type: 'MESSAGE'; msg: unknown; from: string; to?: string }
  | { type: 'STOP' };

export interface NotifyViewParams {
  view: GroupView;
  joined: string[];
  left: string[];
}

export interface DeliverParams {
  process: string;
  msg: unknown;
  from: string;
}

const groupSetup = setup({
  types: {
    context: {} as ProcessGroupContext,
    events: {} as ProcessGroupEvent,
    input: {} as ProcessGroupInput,
  },
  actions: {
    /** The view changed: the host calls each local member's `onView`. */
    notifyView: (_, _params: NotifyViewParams) => {},
    /** Hand `msg` to one local process's `onMessage`. */
    deliver: (_, _params: DeliverParams) => {},
  },
});

const followCommit = groupSetup.enqueueActions(({ context, event, enqueue }) => {
  if (event.type !== 'DB_COMMITTED' || event.seq <= context.seq) return;
  const next = groupViewFromDb(event.db, context.group, context);
  const row = event.db.groups[context.group];
  // Same members but a new view number: a member left and came back between two commits we saw.
  const changed = !sameList(next.members, context.members) || (row !== undefined && row.view !== context.view);
  if (!changed) {
    enqueue.assign({ seq: event.seq });
    return;
  }
  const view: GroupView = { ...next, view: row ? row.view : event.seq };
  enqueue.assign({ seq: event.seq, view: view.view, members: view.members });
  enqueue({ type: 'notifyView', params: { view, joined: view.joined, left: view.left } });
});

const deliverMessage = groupSetup.enqueueActions(({ context, event, enqueue }) => {
  if (event.type !== 'MESSAGE') return;
  let targets = context.localMembers;
  if (event.to !== undefined) {
    const at = event.to.lastIndexOf('@');
    const [process, node] = [event.to.slice(0, at), event.to.slice(at + 1)];
    targets = at > 0 && node === context.node && context.localMembers.includes(process) ? [process] : [];
  }
  for (const process of targets) enqueue({ type: 'deliver', params: { process, msg: event.msg, from: event.from } });
});

export const processGroupMachine = groupSetup.createMachine({
  id: 'processGroup',
  context: ({ input }) => {
    const start = input.db ? groupViewFromDb(input.db, input.group) : undefined;
    return {
      group: input.group,
      node: input.node,
      view: start && input.db!.groups[input.group] ? start.view : 0,
      members: start?.members ?? [],
      localMembers: [],
      seq: input.db?.meta.seq ?? 0,
    };
  },
  initial: 'active',
  states: {
    active: {
      on: {
        DB_COMMITTED: { actions: followCommit },
        LOCAL_JOIN: {
          actions: assign({
            localMembers: ({ context, event }) => (context.localMembers.includes(event.process) ? context.localMembers : [...context.localMembers, event.process]),
          }),
        },
        LOCAL_LEAVE: {
          actions: assign({
            localMembers: ({ context, event }) => context.localMembers.filter((p) => p !== event.process),
          }),
        },
        MESSAGE: { actions: deliverMessage },
        STOP: { target: 'stopped' },
      },
    },
    stopped: { type: 'final' },
  },
});

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
