/** Effects of the liveness actor (src/machines/liveness.ts): heartbeats. */
import { livenessMachine, type HeartbeatParams } from '../../machines/liveness.js';
import type { NodeHost } from '../host.js';

export function provideLiveness(host: NodeHost) {
  return livenessMachine.provide({
    actions: {
      sendHeartbeat: (_, p: HeartbeatParams) => {
        const r = host.replica;
        const body = { role: p.role, commitSeq: r.committedSeq, lastSeq: r.lastSeq, membershipSeq: r.committedChangeSeq };
        if (p.role === 'manager') host.announcedAt(host.nodeEpoch());
        if (host.settings.heartbeat === 'multicast') host.publish('heartbeat', 'heartbeat', body);
        else for (const m of p.members) if (m !== host.id) host.sendTo(m, 'heartbeat', body);
      },
    },
  });
}
