/**
 * The statecharts `glup viz` draws, by the names users pass to `--machine`. (The lead's
 * src/machines/index.ts may take this over; until then the list lives with its only user.)
 */
import type { AnyStateMachine } from 'xstate';
import { coordinatorMachine } from '../machines/coordinator.js';
import { nodeMachine } from '../machines/node.js';
import { processGroupMachine } from '../machines/processGroup.js';

export const machines: ReadonlyArray<{ name: string; machine: AnyStateMachine }> = [
  { name: 'node', machine: nodeMachine },
  { name: 'coordinator', machine: coordinatorMachine },
  { name: 'processGroup', machine: processGroupMachine },
];
