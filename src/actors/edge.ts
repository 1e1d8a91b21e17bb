/**
 * Where every message enters a node (SPEC sections 3 and 8; docs/protocol.md section 3):
 * the one dispatch point. In order: the body's schema for its type, then the one epoch
 * authority (`admit`, a pure rule), then — for a higher epoch from an allowed sender — the
 * epoch is recorded durably before the message is delivered, later messages waiting behind
 * it so order is kept. Invalid messages are dropped and counted, never thrown into an actor.
 */
import type { Envelope } from '../bus/envelope.js';
import { checkBody } from '../bus/bodies.js';
import type { BusMetrics } from '../bus/bus.js';
import { admit, type AdmissionView, type MessageFacts } from '../machines/rules/admission.js';
import type { NodeHost } from './host.js';

/** Types only a manager, backup or candidate sends. */
const LEADER_TYPES = new Set(['announce', 'update', 'commit', 'join-accept', 'handover', 'candidacy', 'confirm-request']);
/** A manager's messages: dropped when older than the receiver's epoch. */
const FENCEABLE = new Set(['announce', 'heartbeat', 'update', 'commit', 'join-accept', 'handover']);

const INVALID_LOG_INTERVAL_MS = 1000;

export interface Edge {
  receive(env: Envelope): void;
}

export interface EdgeOptions {
  host: NodeHost;
  metrics: BusMetrics;
  view(): AdmissionView;
  /** Hands an admitted message to the actors that own it. */
  route(env: Envelope, body: unknown): void;
}

export function createEdge({ host, metrics, view, route }: EdgeOptions): Edge {
  /** Messages wait here while an epoch is being recorded. */
  let tail: Promise<void> | null = null;
  let lastLogAt = -Infinity;
  let droppedSinceLog = 0;

  const invalid = (env: Envelope, reason: string) => {
    metrics.invalidMessages++;
    droppedSinceLog++;
    const now = host.clock.now();
    if (now - lastLogAt >= INVALID_LOG_INTERVAL_MS) {
      host.logger.warn('invalid message dropped', { node: host.id, type: env.type, from: env.from, reason, droppedSinceLastWarning: droppedSinceLog });
      lastLogAt = now;
      droppedSinceLog = 0;
    }
  };

  /** Returns a promise only when the message raised the epoch (delivery waits for the store). */
  const handle = (env: Envelope): Promise<void> | void => {
    const checked = checkBody(env.type, env.body);
    if (!checked.ok) return invalid(env, checked.reason);
    const body = checked.body;
    const role = env.type === 'heartbeat' ? (body as { role: string }).role : null;
    const facts: MessageFacts = {
      type: env.type,
      from: env.from,
      epoch: env.epoch,
      leaderRole: LEADER_TYPES.has(env.type) || role !== null,
      fenceable: FENCEABLE.has(env.type),
      grant: (env.type === 'vote' || env.type === 'confirm-reply') && (body as { granted?: boolean }).granted === true,
    };
    const verdict = admit(view(), facts);
    switch (verdict.verdict) {
      case 'own':
        // a node's own group message reaches its own members; its own protocol messages nothing
        return env.type === 'group-message' ? route(env, body) : undefined;
      case 'invalid':
        return invalid(env, verdict.reason);
      case 'fenced':
        host.counters.fencedMessages++;
        return;
      case 'deliver':
        return route(env, body);
      case 'raise':
        return host.persistEpoch(verdict.epoch).then(
          () => {
            host.toNode({ type: 'EPOCH_RAISED', epoch: verdict.epoch, from: env.from });
            route(env, body);
          },
          (e) => host.storeFailed('epoch', e),
        );
    }
  };

  const wait = (work: Promise<void>) => {
    const settled: Promise<void> = host.clock.track(work).then(
      () => {
        if (tail === settled) tail = null;
      },
      (e) => {
        if (tail === settled) tail = null;
        host.logger.error('message handling failed', { error: String((e as Error)?.stack ?? e) });
      },
    );
    tail = settled;
  };

  return {
    receive(env) {
      if (tail) return wait(tail.then(() => handle(env)));
      const raised = handle(env);
      if (raised) wait(raised);
    },
  };
}
