/**
 * Every statechart of glup, by the name `glup viz --machine` and the dashboard use. This is
 * the one list: the package exports it (`import { machines } from 'glup'`), `glup viz` and
 * the dashboard draw whatever it holds, so a machine added here is drawn everywhere. The
 * node actor invokes the others; each is one concern of the protocol (docs/protocol.md).
 */
import type { AnyStateMachine } from 'xstate';
import { coordinatorMachine } from './coordinator.js';
import { electionMachine } from './election.js';
import { followerMachine } from './follower.js';
import { joiningMachine } from './joining.js';
import { livenessMachine } from './liveness.js';
import { nodeMachine } from './node.js';
import { processGroupMachine } from './processGroup.js';
import { takeoverMachine } from './takeover.js';

export const machines = {
  node: nodeMachine,
  liveness: livenessMachine,
  election: electionMachine,
  takeover: takeoverMachine,
  joining: joiningMachine,
  follower: followerMachine,
  coordinator: coordinatorMachine,
  processGroup: processGroupMachine,
} as const satisfies Record<string, AnyStateMachine>;

export type MachineName = keyof typeof machines;
