import type { Settings } from './types.js';

/** Defaults of SPEC section 2, derived ones from heartbeatMs. */
export function resolveSettings(opts: Partial<Settings>): Settings {
  const heartbeatMs = opts.heartbeatMs ?? 1000;
  const missedHeartbeats = opts.missedHeartbeats ?? 3;
  if (!(heartbeatMs > 0)) throw new Error(`heartbeatMs must be a positive number, got ${heartbeatMs}`);
  if (!Number.isInteger(missedHeartbeats) || missedHeartbeats < 2) {
    throw new Error(`missedHeartbeats must be an integer of at least 2, got ${missedHeartbeats}`);
  }
  return {
    heartbeatMs,
    missedHeartbeats,
    discoveryMs: opts.discoveryMs ?? 3 * heartbeatMs,
    retransmitMs: opts.retransmitMs ?? heartbeatMs,
    updateTimeoutMs: opts.updateTimeoutMs ?? 10 * heartbeatMs,
    heartbeat: opts.heartbeat ?? 'multicast',
    glup: opts.glup ?? 'multicast',
    quorum: opts.quorum ?? 'majority',
    initialMembers: opts.initialMembers,
    snapshotEvery: opts.snapshotEvery ?? 1000,
    maxUpdateBytes: opts.maxUpdateBytes ?? 256 * 1024,
  };
}

/** The settings a founding manager writes to meta.settings (cluster-wide ones only). */
export function clusterSettings(s: Settings): Record<string, unknown> {
  const { initialMembers: _ignored, ...rest } = s;
  return { ...rest };
}
