import { GlupError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { decodeEnvelope, encodeEnvelope, MAX_ENVELOPE_BYTES, type Envelope } from './envelope.js';
import type { Faults } from './faults.js';
import { ENVELOPE_VERSION, type MessageType } from './messageTypes.js';
import type { Subscription, Transport, TransportMessage } from './transport.js';

/**
 * A node's view of the bus: envelopes on subjects. Knows bytes, subjects and envelopes,
 * not roles or machines. The receiving path is the edge of the node:
 *   bytes → decode and validate (invalid: dropped, counted, logged at a rate limit, never thrown)
 *         → fault filter by `from` (drop / duplicate / delay, scheduled on the transport's clock)
 *         → handler (a handler that throws is logged; the bus keeps running).
 */
export interface BusMetrics {
  /** Messages dropped at the edge because they failed validation. */
  invalidMessages: number;
  messagesSent: number;
  /** Envelopes handed to handlers (after the fault filter; a duplicate counts twice). */
  messagesReceived: number;
  /** Handlers that threw. */
  handlerErrors: number;
}

export interface BusOptions {
  transport: Transport;
  cluster: string;
  /** This node's id: the `from` of everything it sends and the `to` for the fault filter. */
  node: string;
  faults?: Faults;
  logger?: Logger;
  /** Counters to add to (shared across a node's restarts, say); a fresh set otherwise. */
  metrics?: BusMetrics;
  /** Prefix of envelope ids, default the node id: ids are `<prefix>-<counter>`. */
  idPrefix?: string;
}

export type EnvelopeHandler = (envelope: Envelope, raw: TransportMessage) => void;

export interface Bus {
  readonly node: string;
  readonly cluster: string;
  readonly transport: Transport;
  readonly metrics: BusMetrics;
  /** Sends one envelope and returns it. Throws INVALID_OP over 1 MiB (send large payloads in chunks). */
  publish(subject: string, type: MessageType, body: unknown, opts: { epoch: number; reply?: string }): Envelope;
  subscribe(subject: string, handler: EnvelopeHandler): Subscription;
  /** Resolves with the first valid reply that passes the fault filter; rejects TIMEOUT otherwise. */
  request(subject: string, type: MessageType, body: unknown, opts: { epoch: number; timeoutMs: number }): Promise<Envelope>;
  /** Answers a request; a message without a reply subject gets no answer (returns undefined). */
  reply(raw: TransportMessage, type: MessageType, body: unknown, opts: { epoch: number }): Envelope | undefined;
  /** Stops all subscriptions and pending delayed deliveries; the transport is the caller's to close. */
  close(): void;
}

const INVALID_LOG_INTERVAL_MS = 1000;

export function createBus(opts: BusOptions): Bus {
  const { transport, cluster, node, faults } = opts;
  const clock = transport.clock;
  const logger = opts.logger ?? silentLogger();
  const metrics: BusMetrics = opts.metrics ?? { invalidMessages: 0, messagesSent: 0, messagesReceived: 0, handlerErrors: 0 };
  const idPrefix = opts.idPrefix ?? node;
  const subscriptions = new Set<Subscription>();
  const delayed = new Set<unknown>();
  /** Requests waiting out a delay or a lost reply; close() wakes them so they end with STOPPED. */
  const waiting = new Set<() => void>();
  let counter = 0;
  let closed = false;
  let lastInvalidLogAt = -Infinity;
  let invalidSinceLog = 0;

  const envelope = (type: MessageType, body: unknown, epoch: number): Envelope => ({
    v: ENVELOPE_VERSION,
    cluster,
    type,
    from: node,
    epoch,
    id: `${idPrefix}-${++counter}`,
    ts: clock.now(),
    body,
  });

  const encode = (env: Envelope, subject: string): Uint8Array => {
    const data = encodeEnvelope(env);
    if (data.byteLength > MAX_ENVELOPE_BYTES) {
      throw new GlupError('INVALID_OP', `${env.type} message to ${subject} is ${data.byteLength} bytes, over the ${MAX_ENVELOPE_BYTES}-byte limit: send it in chunks`);
    }
    return data;
  };

  /** Validates at the edge; the payload is never logged (it is untrusted and may be huge). */
  const decode = (msg: TransportMessage): Envelope | undefined => {
    const result = decodeEnvelope(msg.data, { cluster });
    if (result.ok) return result.envelope;
    metrics.invalidMessages++;
    invalidSinceLog++;
    const now = clock.now();
    if (now - lastInvalidLogAt >= INVALID_LOG_INTERVAL_MS) {
      logger.warn('bus: invalid message dropped', {
        node,
        subject: msg.subject,
        reason: result.reason,
        bytes: msg.data.byteLength,
        droppedSinceLastWarning: invalidSinceLog,
        invalidMessages: metrics.invalidMessages,
      });
      lastInvalidLogAt = now;
      invalidSinceLog = 0;
    }
    return undefined;
  };

  const route = (env: Envelope): number[] => (faults ? faults.route(node, env.from) : [0]);

  const later = (ms: number, fn: () => void) => {
    const handle = clock.setTimeout(() => {
      delayed.delete(handle);
      fn();
    }, ms);
    delayed.add(handle);
  };

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        waiting.delete(wake);
        resolve();
      };
      waiting.add(wake);
      later(ms, wake);
    });

  const publish: Bus['publish'] = (subject, type, body, publishOpts) => {
    const env = envelope(type, body, publishOpts.epoch);
    const data = encode(env, subject);
    if (closed) return env;
    transport.publish(subject, data, publishOpts.reply === undefined ? undefined : { reply: publishOpts.reply });
    metrics.messagesSent++;
    return env;
  };

  return {
    node,
    cluster,
    transport,
    metrics,
    publish,
    subscribe(subject, handler) {
      let active = !closed;
      const deliver = (env: Envelope, raw: TransportMessage) => {
        if (!active) return;
        metrics.messagesReceived++;
        try {
          handler(env, raw);
        } catch (e) {
          metrics.handlerErrors++;
          logger.error('bus: message handler threw', { node, subject: raw.subject, type: env.type, from: env.from, id: env.id, error: String(e) });
        }
      };
      const inner = transport.subscribe(subject, (raw) => {
        if (!active) return;
        const env = decode(raw);
        if (!env) return;
        for (const delayMs of route(env)) {
          if (delayMs > 0) later(delayMs, () => deliver(env, raw));
          else deliver(env, raw);
        }
      });
      const sub: Subscription = {
        unsubscribe() {
          if (!active) return;
          active = false;
          subscriptions.delete(sub);
          inner.unsubscribe();
        },
      };
      if (active) subscriptions.add(sub);
      else inner.unsubscribe();
      return sub;
    },
    async request(subject, type, body, { epoch, timeoutMs }) {
      if (closed) throw new GlupError('STOPPED', `request on ${subject}: the bus of ${node} is closed`);
      const startedAt = clock.now();
      const data = encode(envelope(type, body, epoch), subject);
      metrics.messagesSent++;
      const raw = await transport.request(subject, data, { timeoutMs });
      const env = decode(raw);
      // A reply the filter drops (or an invalid one) is a lost reply: the caller sees the timeout it would see.
      const delays = env ? route(env) : [];
      const remaining = Math.max(0, timeoutMs - (clock.now() - startedAt));
      const delay = delays.length > 0 ? Math.min(...delays) : Infinity;
      if (delay > remaining) {
        await wait(remaining);
        if (!closed) throw new GlupError('TIMEOUT', `request on ${subject}: no reply within ${timeoutMs} ms`);
      } else if (delay > 0) {
        await wait(delay);
      }
      if (closed) throw new GlupError('STOPPED', `request on ${subject}: the bus of ${node} closed while waiting`);
      metrics.messagesReceived++;
      return env!;
    },
    reply(raw, type, body, { epoch }) {
      if (!raw.reply) {
        logger.debug('bus: reply to a message without a reply subject ignored', { node, subject: raw.subject, type });
        return undefined;
      }
      return publish(raw.reply, type, body, { epoch });
    },
    close() {
      if (closed) return;
      closed = true;
      for (const sub of [...subscriptions]) sub.unsubscribe();
      for (const handle of delayed) clock.clearTimeout(handle);
      delayed.clear();
      for (const wake of [...waiting]) wake();
    },
  };
}
