/**
 * Joining (SPEC section 3, "joining"): while a node follows a manager it is not yet a
 * member of — or rejoins after a restart, a removal or a step-down — it asks that manager
 * to bring it in, again every retransmitMs. The manager replicates to it (snapshot, then
 * records) and adds it once it is caught up; the node actor sees its own add commit.
 */
import { setup } from 'xstate';
import type { LogPosition } from './rules/log.js';

export interface JoiningInput {
  manager: string;
  position: LogPosition;
  retransmitMs: number;
}

export const joiningMachine = setup({
  types: {
    input: {} as JoiningInput,
    context: {} as JoiningInput,
  },
  actions: {
    /** Effect: `join-request {node, position}` to the manager. */
    sendJoinRequest: (_, _params: { to: string }) => {},
  },
  delays: {
    retransmit: ({ context }) => context.retransmitMs,
  },
}).createMachine({
  id: 'joining',
  context: ({ input }) => input,
  initial: 'requesting',
  states: {
    requesting: {
      entry: { type: 'sendJoinRequest', params: ({ context }) => ({ to: context.manager }) },
      after: { retransmit: { target: 'requesting', reenter: true } },
    },
  },
});

export type JoiningMachine = typeof joiningMachine;
