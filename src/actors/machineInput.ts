/** The node chart's input at start: this node's facts and settings, and what its store recovered. */
import type { NodeRuntime } from './runtime.js';
import { clusterSettings } from './settings.js';

export function nodeMachineInput(node: NodeRuntime) {
  const s = node.settings;
  return {
    self: node.facts(),
    settings: {
      heartbeatMs: s.heartbeatMs,
      missedHeartbeats: s.missedHeartbeats,
      discoveryMs: s.discoveryMs,
      retransmitMs: s.retransmitMs,
      updateTimeoutMs: s.updateTimeoutMs,
      quorum: s.quorum,
      ...(s.initialMembers ? { initialMembers: s.initialMembers } : {}),
      cluster: clusterSettings(s),
    },
    epoch: Math.max(node.replica.persistedEpoch, node.replica.tentativeShape.meta.epoch),
    log: node.replica.index,
    newest: node.replica.newestMembers(),
    lastChangeSeq: node.replica.lastChangeSeq,
    previousMembers: node.replica.previousMembers,
  };
}
