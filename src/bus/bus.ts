import { GlupError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import {
  createReassembler,
  DEFAULT_CHUNK_BYTES,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_PARTIALS,
  DEFAULT_MAX_PARTIALS_PER_SENDER,
  DEFAULT_PENDING_MESSAGES_WORTH,
  DEFAULT_REASSEMBLY_TIMEOUT_MS,
  MAX_CHUNK_BYTES,
  reassembledMismatch,
  sliceIntoChunks,
} from './chunks.js';
import { decodeEnvelope, encodeEnvelope, MAX_ENVELOPE_BYTES, type Envelope } from './envelope.js';
import type { Faults } from './faults.js';
import { ENVELOPE_VERSION, type MessageType } from './messageTypes.js';
import type { Subscription, Transport, TransportMessage } from './transport.js';

/**
 * A node's view of the bus: envelopes on subjects. Knows bytes, subjects and envelopes,
 * not roles or machines. The receiving path is the edge of the node:
 *   bytes → decode and validate (invalid: dropped, counted, logged at a rate limit, never thrown)
 *         → fault filter by `from` (drop / duplicate / delay, scheduled on the transport's clock)
 *         → a `chunk` goes to the subscription's reassembler (chunks.ts); a complete message is
 *           decoded and validated like any other, up to `maxMessageBytes`
 *         → handler (a handler that throws is logged; the bus keeps running).
 * The fault filter sees every wire message once, chunks included: a lost chunk loses its
 * message, a delayed one reorders the stream. A reassembled message is not filtered again
 * (that would apply each fault twice to large messages).
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
  /** Published envelopes over this many encoded bytes travel in chunks; default 512 KiB, at most MAX_CHUNK_BYTES. */
  chunkBytes?: number;
  /** Largest message sent or reassembled from chunks; default 64 MiB. */
  maxMessageBytes?: number;
  /** Incomplete chunked messages kept per sender (a newer one evicts the oldest); default 4. */
  maxPartialsPerSender?: number;
  /** An incomplete chunked message is forgotten this long after its first chunk (transport clock); default 30 s. */
  reassemblyTimeoutMs?: number;
  /**
   * Sees every envelope this bus sends (whole, before chunking: publish, request, reply) and
   * every envelope it hands to a handler or returns from request(), after validation and the
   * fault filter: the messages as the node lived them. It must not throw (a throw is logged).
   */
  tap?: BusTap;
}

export type BusTap = (dir: 'send' | 'receive', envelope: Envelope, subject: string) => void;

export type EnvelopeHandler = (envelope: Envelope, raw: TransportMessage) => void;

export interface Bus {
  readonly node: string;
  readonly cluster: string;
  readonly transport: Transport;
  readonly metrics: BusMetrics;
  /**
   * Sends one envelope and returns it; over `chunkBytes` encoded it travels in chunks and
   * arrives whole. Throws INVALID_OP over `maxMessageBytes`.
   */
  publish(subject: string, type: MessageType, body: unknown, opts: { epoch: number; reply?: string }): Envelope;
  subscribe(subject: string, handler: EnvelopeHandler): Subscription;
  /** Resolves with the first valid reply that passes the fault filter; rejects TIMEOUT otherwise. */
  request(subject: string, type: MessageType, body: unknown, opts: { epoch: number; timeoutMs: number }): Promise<Envelope>;
  /** Answers a request; a message without a reply subject gets no answer (returns undefined). Requests and replies are never chunked: over 1 MiB they throw INVALID_OP. */
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
  const tap = (dir: 'send' | 'receive', env: Envelope, subject: string) => {
    if (!opts.tap) return;
    try {
      opts.tap(dir, env, subject);
    } catch (e) {
      logger.error('bus: tap threw', { node, subject, type: env.type, error: String(e) });
    }
  };
  const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (!(Number.isInteger(chunkBytes) && chunkBytes >= 1 && chunkBytes <= MAX_CHUNK_BYTES)) {
    throw new RangeError(`createBus: chunkBytes must be an integer in [1, ${MAX_CHUNK_BYTES}], got ${chunkBytes}`);
  }
  if (!(maxMessageBytes >= MAX_ENVELOPE_BYTES)) {
    throw new RangeError(`createBus: maxMessageBytes must be at least ${MAX_ENVELOPE_BYTES}, got ${maxMessageBytes}`);
  }
  const reassemblyLimits = {
    maxMessageBytes,
    maxPartialsPerSender: opts.maxPartialsPerSender ?? DEFAULT_MAX_PARTIALS_PER_SENDER,
    maxPartials: DEFAULT_MAX_PARTIALS,
    maxPendingBytes: DEFAULT_PENDING_MESSAGES_WORTH * maxMessageBytes,
    timeoutMs: opts.reassemblyTimeoutMs ?? DEFAULT_REASSEMBLY_TIMEOUT_MS,
  };

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

  const encode = (env: Envelope, subject: string, limit = MAX_ENVELOPE_BYTES): Uint8Array => {
    const data = encodeEnvelope(env);
    if (data.byteLength > limit) {
      const hint = limit === MAX_ENVELOPE_BYTES ? ': requests and replies are not chunked' : '';
      throw new GlupError('INVALID_OP', `${env.type} message to ${subject} is ${data.byteLength} bytes, over the ${limit}-byte limit${hint}`);
    }
    return data;
  };

  /** Validates at the edge; the payload is never logged (it is untrusted and may be huge). */
  const decode = (msg: TransportMessage, maxBytes = MAX_ENVELOPE_BYTES): Envelope | undefined => {
    const result = decodeEnvelope(msg.data, { cluster, maxBytes });
    if (result.ok) return result.envelope;
    countInvalid(msg, result.reason);
    return undefined;
  };

  const countInvalid = (msg: TransportMessage, reason: string) => {
    metrics.invalidMessages++;
    invalidSinceLog++;
    const now = clock.now();
    if (now - lastInvalidLogAt >= INVALID_LOG_INTERVAL_MS) {
      logger.warn('bus: invalid message dropped', {
        node,
        subject: msg.subject,
        reason,
        bytes: msg.data.byteLength,
        droppedSinceLastWarning: invalidSinceLog,
        invalidMessages: metrics.invalidMessages,
      });
      lastInvalidLogAt = now;
      invalidSinceLog = 0;
    }
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

  /** One wire message, never chunked (requests' replies: the requester takes the first message only). */
  const publishSingle = (subject: string, type: MessageType, body: unknown, epoch: number): Envelope => {
    const env = envelope(type, body, epoch);
    const data = encode(env, subject);
    if (closed) return env;
    // tapped before it leaves: a transport that delivers at once must not show the receipt first
    tap('send', env, subject);
    transport.publish(subject, data);
    metrics.messagesSent++;
    return env;
  };

  const publish: Bus['publish'] = (subject, type, body, publishOpts) => {
    const env = envelope(type, body, publishOpts.epoch);
    const data = encode(env, subject, maxMessageBytes);
    if (closed) return env;
    const sendOpts = publishOpts.reply === undefined ? undefined : { reply: publishOpts.reply };
    tap('send', env, subject);
    if (data.byteLength <= chunkBytes) {
      transport.publish(subject, data, sendOpts);
    } else {
      // Every chunk carries the original's ts: with `of` it names the stream (ids restart with the node).
      for (const chunk of sliceIntoChunks(data, env.id, chunkBytes)) {
        const piece: Envelope = { ...envelope('chunk', chunk, publishOpts.epoch), ts: env.ts };
        transport.publish(subject, encode(piece, subject), sendOpts);
      }
    }
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
        tap('receive', env, raw.subject);
        try {
          handler(env, raw);
        } catch (e) {
          metrics.handlerErrors++;
          logger.error('bus: message handler threw', { node, subject: raw.subject, type: env.type, from: env.from, id: env.id, error: String(e) });
        }
      };
      const reassembler = createReassembler(clock, reassemblyLimits);
      /** A chunk that completes its message hands the handler the original envelope. */
      const arrive = (env: Envelope, raw: TransportMessage) => {
        if (!active) return;
        if (env.type !== 'chunk') return deliver(env, raw);
        const outcome = reassembler.accept(env);
        if (outcome.kind === 'invalid') return countInvalid(raw, outcome.reason);
        if (outcome.kind !== 'complete') return;
        const whole: TransportMessage = raw.reply ? { subject: raw.subject, data: outcome.data, reply: raw.reply } : { subject: raw.subject, data: outcome.data };
        const original = decode(whole, maxMessageBytes);
        if (!original) return;
        const mismatch = reassembledMismatch(original, env, outcome.of);
        if (mismatch) return countInvalid(whole, mismatch);
        deliver(original, whole);
      };
      const inner = transport.subscribe(subject, (raw) => {
        if (!active) return;
        const env = decode(raw);
        if (!env) return;
        for (const delayMs of route(env)) {
          if (delayMs > 0) later(delayMs, () => arrive(env, raw));
          else arrive(env, raw);
        }
      });
      const sub: Subscription = {
        unsubscribe() {
          if (!active) return;
          active = false;
          subscriptions.delete(sub);
          inner.unsubscribe();
          reassembler.clear();
        },
      };
      if (active) subscriptions.add(sub);
      else inner.unsubscribe();
      return sub;
    },
    async request(subject, type, body, { epoch, timeoutMs }) {
      if (closed) throw new GlupError('STOPPED', `request on ${subject}: the bus of ${node} is closed`);
      const startedAt = clock.now();
      const sent = envelope(type, body, epoch);
      const data = encode(sent, subject);
      metrics.messagesSent++;
      tap('send', sent, subject);
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
      tap('receive', env!, raw.subject);
      return env!;
    },
    reply(raw, type, body, { epoch }) {
      if (!raw.reply) {
        logger.debug('bus: reply to a message without a reply subject ignored', { node, subject: raw.subject, type });
        return undefined;
      }
      return publishSingle(raw.reply, type, body, epoch);
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
