/**
 * What a node can learn about heartbeats by listening on the wire beside the core, from the
 * multicast heartbeat subject `glup.C.hb.<sender>` (SPEC section 8): when each manager or
 * backup beat arrived, the gap since its previous beat, when the manager changed, and the
 * manager's commit point (for lag). It needs no hook in the core, only the subjects and the
 * heartbeat body's `role` and `commitSeq`. With `heartbeat: unicast` nothing arrives here.
 */
import type { Clock } from '../clock.js';
import { decodeEnvelope } from '../bus/envelope.js';
import { subjects, type Subscription, type Transport } from '../bus/transport.js';

export interface HeartbeatObserver {
  /** ms since the previous beat of the same sender (not called for a sender's first beat). */
  gap?(ms: number, from: string, role: string): void;
  /** A manager beat from a new manager of a higher epoch: ms since the previous manager's last beat. */
  managerChanged?(ms: number, from: string, previous: string, epoch: number): void;
  /** Every manager beat: its commit point. */
  managerCommit?(commitSeq: number, from: string, epoch: number): void;
}

export function observeHeartbeats(transport: Transport, cluster: string, observer: HeartbeatObserver): Subscription {
  const clock: Clock = transport.clock;
  const lastBeat = new Map<string, number>();
  let manager: { id: string; epoch: number; lastAt: number } | null = null;
  return transport.subscribe(subjects.heartbeatAll(cluster), (msg) => {
    const decoded = decodeEnvelope(msg.data, { cluster });
    if (!decoded.ok || decoded.envelope.type !== 'heartbeat') return;
    const env = decoded.envelope;
    // the same rule as the bus: only the subject's sender counts
    if (!msg.subject.endsWith(`.${env.from}`)) return;
    const body = env.body as { role?: unknown; commitSeq?: unknown };
    const role = typeof body?.role === 'string' ? body.role : 'unknown';
    const at = clock.now();
    const prev = lastBeat.get(env.from);
    lastBeat.set(env.from, at);
    if (prev !== undefined) observer.gap?.(at - prev, env.from, role);
    if (role !== 'manager') return;
    if (typeof body.commitSeq === 'number') observer.managerCommit?.(body.commitSeq, env.from, env.epoch);
    if (manager && manager.id !== env.from && env.epoch > manager.epoch) observer.managerChanged?.(at - manager.lastAt, env.from, manager.id, env.epoch);
    if (!manager || manager.id === env.from || env.epoch > manager.epoch) manager = { id: env.from, epoch: env.epoch, lastAt: at };
  });
}
