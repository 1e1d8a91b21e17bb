/**
 * The GLUP update coordinator (SPEC section 4) as a statechart. It lives on the manager,
 * invoked by the node machine's member.manager state, so it starts with the role and stops
 * with it. Its phases:
 *   recovering — a new manager re-sends the updates it holds beyond its commit point, so
 *                they commit first, in seq order (atomicity across failover);
 *   active     — sequences submissions, ships them backup first, retransmits, commits;
 *   draining   — the manager is handing over: no new sequencing, in-flight updates finish;
 *   done       — handed over (final).
 * Sequencing, acks and retransmission are effects supplied by the runtime through the named
 * actions; the chart says which phase allows what.
 */
import { setup } from 'xstate';

export type CoordinatorEvent =
  /** A submission for the coordinator (opaque to the chart); `front` for system updates. */
  | { type: 'SUBMIT'; submission: unknown; front?: boolean }
  /** A member's acks, with the prefix of this manager's log it holds. */
  | { type: 'ACK'; from: string; acks: unknown; upTo?: number }
  | { type: 'TICK' }
  | { type: 'RECOVERED' }
  | { type: 'DRAIN' }
  | { type: 'DRAINED' };

const noop = () => {};

export const coordinatorMachine = setup({
  types: { events: {} as CoordinatorEvent },
  actions: {
    resendHeldUpdates: noop,
    sequencePending: noop,
    recordAck: noop,
    retransmit: noop,
    holdSubmissions: noop,
    stopSequencing: noop,
    handOver: noop,
  },
}).createMachine({
  id: 'coordinator',
  initial: 'recovering',
  states: {
    recovering: {
      entry: 'resendHeldUpdates',
      on: {
        ACK: { actions: 'recordAck' },
        TICK: { actions: 'retransmit' },
        SUBMIT: { actions: 'holdSubmissions' },
        RECOVERED: 'active',
        DRAIN: 'draining',
      },
    },
    active: {
      entry: 'sequencePending',
      on: {
        SUBMIT: { actions: 'sequencePending' },
        ACK: { actions: ['recordAck', 'sequencePending'] },
        TICK: { actions: 'retransmit' },
        DRAIN: 'draining',
      },
    },
    draining: {
      entry: 'stopSequencing',
      on: {
        ACK: { actions: 'recordAck' },
        TICK: { actions: 'retransmit' },
        SUBMIT: { actions: 'holdSubmissions' },
        DRAINED: 'done',
      },
    },
    done: { type: 'final', entry: 'handOver' },
  },
});

export type CoordinatorMachine = typeof coordinatorMachine;
