/**
 * The demo actor types of `glup node --actors demo`, `glup sim`'s actor workload, the
 * scenarios' `actors:` catalogue and bench/actors.ts: a counter that keeps its count and how
 * many events it took, defined sharded (`counter`) and as a singleton (`singleton-counter`).
 *
 * Events: `{ type: 'INC', by? }` adds `by` (default 1); `{ type: 'GET' }` changes nothing.
 */
import { assign, setup, type AnyStateMachine } from 'xstate';
import type { DefineOptions } from './types.js';

export const counterMachine = setup({
  types: {
    context: {} as { count: number; events: number },
    events: {} as { type: 'INC'; by?: number } | { type: 'GET' },
  },
}).createMachine({
  id: 'counter',
  context: { count: 0, events: 0 },
  initial: 'counting',
  states: {
    counting: {
      on: {
        INC: { actions: assign(({ context, event }) => ({ count: context.count + (typeof event.by === 'number' ? event.by : 1), events: context.events + 1 })) },
        GET: { actions: assign(({ context }) => ({ events: context.events + 1 })) },
      },
    },
  },
});

/** Machines a scenario or `glup node --actors` may name. */
export const DEMO_MACHINES: Record<string, AnyStateMachine> = { counter: counterMachine };

/** The types `glup node --actors demo` defines. */
export const DEMO_TYPES: { type: string; machine: AnyStateMachine; opts: DefineOptions }[] = [
  { type: 'counter', machine: counterMachine, opts: { placement: 'sharded' } },
  { type: 'singleton-counter', machine: counterMachine, opts: { placement: 'singleton' } },
];
