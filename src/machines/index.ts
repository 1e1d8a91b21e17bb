/**
 * Every statechart of glup, by the name `glup viz --machine` and the dashboard use. This is
 * the one list: the package exports it (`import { machines } from 'glup'`), `glup viz` and
 * the dashboard draw whatever it holds, so a machine added here is drawn everywhere.
 */
import type { AnyStateMachine } from 'xstate';
import { coordinatorMachine } from './coordinator.js';
import { nodeMachine } from './node.js';
import { processGroupMachine } from './processGroup.js';

export const machines = {
  node: nodeMachine,
  coordinator: coordinatorMachine,
  processGroup: processGroupMachine,
} as const satisfies Record<string, AnyStateMachine>;

export type MachineName = keyof typeof machines;
