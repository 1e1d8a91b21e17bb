/** Plain views of a running node: its status for `glup status`, and what the edge admits by. */
import type { AdmissionView } from '../machines/rules/admission.js';
import type { NodeRuntime } from './runtime.js';
import type { Settings } from './types.js';

export function statusOf(node: NodeRuntime, state: unknown) {
  const health = node.storeHealth;
  return {
    id: node.id,
    role: node.role,
    epoch: node.epoch,
    manager: node.manager,
    backup: node.backup,
    committedSeq: node.replica.committedSeq,
    lastSeq: node.replica.lastSeq,
    state: state === undefined ? 'stopped' : JSON.stringify(state),
    metrics: { ...node.metrics },
    store: { state: health.state, lastError: health.lastError },
  };
}

/** The node chart's facts the epoch authority needs (rules/admission.ts). */
export function admissionViewOf(
  snap: { context: { epoch: number; newest: AdmissionView['members']; followed: { manager: string } | null }; hasTag(tag: string): boolean },
  self: string,
  settings: Settings,
): AdmissionView {
  const c = snap.context;
  const member = snap.hasTag('member');
  return { self, epoch: c.epoch, members: c.newest, initialMembers: settings.initialMembers, member, joining: member ? null : (c.followed?.manager ?? null), quorum: settings.quorum };
}
