/**
 * The node's actor system as it runs: the node chart with every child chart, each given its
 * effects (./effects) with `.provide()`. The same charts, unprovided, are what `glup viz`
 * draws and what the pure tests step through.
 */
import { nodeMachine } from '../machines/node.js';
import type { NodeHost } from './host.js';
import { provideLiveness } from './effects/liveness.js';
import { nodeActions } from './effects/node.js';
import { provideElection, provideTakeover } from './effects/ballots.js';
import { provideCoordinator } from './effects/coordinator.js';
import { provideFollower, provideJoining } from './effects/follower.js';
import type { FetchReplies } from './effects/catchUp.js';

export function provideNodeMachine(host: NodeHost, opts: { replies: FetchReplies; stop: () => void; conflict: (from: string, seq: number) => void }) {
  return nodeMachine.provide({
    actors: {
      liveness: provideLiveness(host),
      election: provideElection(host, opts.replies),
      takeover: provideTakeover(host, opts.replies),
      coordinator: provideCoordinator(host),
      follower: provideFollower(host, opts.conflict),
      joining: provideJoining(host),
    },
    actions: nodeActions(host, opts.stop),
  });
}
