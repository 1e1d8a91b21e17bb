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
import { encodeEnvelope, MAX_ENVELOPE_BYTES, type Envelope } from './envelope.js';
import type { Faults } from './faults.js';
import { ENVELOPE_VERSION, type MessageType } from './messageTypes.js';
import { identityProblem, replyProblem } from './identity.js';
import { decodeFrozen, decodeShared } from './sharedDecode.js';
import type { Subscription, Transport, TransportMessage } from './transport.js';

/**
 * A node's view of the bus: envelopes on subjects. Knows bytes, subjects and envelopes,
 * not roles or machines. The receiving path is the edge of the node:
 *   bytes → decode and validate (invalid: dropped, counted, logged at a rate limit, never thrown)
 *         → identity: the envelope's `from` must be the subject's last token (identity.ts); a
 *           reply on an inbox must come from the node the request addressed
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
  /** Delivers envelopes whose `from` is the subject's last token (the sender); others are invalid. */
  subscribe(subject: string, handler: EnvelopeHandler): Subscription;
  /**
   * Asks node `to` (the request should travel on a subject only `to` receives, such as
   * `glup.C.node.<to>.<me>`): resolves with the first valid reply from `to` that passes the
   * fault filter; a reply from anyone else is invalid (dropped, counted) and the wait goes on.
   * Rejects TIMEOUT after `timeoutMs`, STOPPED when the bus closes.
   */
  request(subject: string, type: MessageType, body: unknown, opts: { epoch: number; timeoutMs: number; to: string }): Promise<Envelope>;
  /**
   * A request to many (a status request on the admin subject): every reply until `timeoutMs`,
   * or until `onReply` calls `finish`. Replies cannot be checked against an addressee (there
   * is none), so treat their content as the claim of whoever answered.
   */
  gather(
    subject: string,
    type: MessageType,
    body: unknown,
    opts: { epoch: number; timeoutMs: number; onReply?: (env: Envelope, finish: () => void) => void },
  ): Promise<Envelope[]>;
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
  /** Requests and gathers still waiting; close() ends them (requests with STOPPED). */
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
    const result = transport.sharesPayloads ? decodeShared(msg.data, cluster, maxBytes) : decodeFrozen(msg.data, cluster, maxBytes);
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

  /** One subscription through the edge; `check` says why an envelope may not arrive here. */
  const listen = (subject: string, handler: EnvelopeHandler, check: (env: Envelope, raw: TransportMessage) => string | undefined): Subscription => {
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
      const problem = check(env, raw);
      if (problem !== undefined) return countInvalid(raw, problem);
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
  };

  let inboxes = 0;
  /** A reply subject nobody else listens on: the transport's own, or one named after this node. */
  const newInbox = () => transport.inbox?.() ?? `_INBOX.${idPrefix}.${++inboxes}`;

  return {
    node,
    cluster,
    transport,
    metrics,
    publish,
    subscribe: (subject, handler) => listen(subject, handler, (env, raw) => identityProblem(raw.subject, env)),
    async request(subject, type, body, { epoch, timeoutMs, to }) {
      if (closed) throw new GlupError('STOPPED', `request on ${subject}: the bus of ${node} is closed`);
      const sent = envelope(type, body, epoch);
      const data = encode(sent, subject);
      tap('send', sent, subject);
      return new Promise<Envelope>((resolve, reject) => {
        const inbox = newInbox();
        const end = () => {
          sub.unsubscribe();
          clock.clearTimeout(timer);
          waiting.delete(stopped);
        };
        const stopped = () => {
          end();
          reject(new GlupError('STOPPED', `request on ${subject}: the bus of ${node} closed while waiting`));
        };
        // a reply the filter drops (or an invalid one) is a lost reply: the caller sees the timeout it would see
        const sub = listen(inbox, (env) => {
          end();
          resolve(env);
        }, (env) => replyProblem(to, env));
        const timer = clock.setTimeout(() => {
          end();
          reject(new GlupError('TIMEOUT', `request on ${subject}: no reply from ${to} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.add(stopped);
        transport.publish(subject, data, { reply: inbox });
        metrics.messagesSent++;
      });
    },
    async gather(subject, type, body, { epoch, timeoutMs, onReply }) {
      if (closed) throw new GlupError('STOPPED', `request on ${subject}: the bus of ${node} is closed`);
      const sent = envelope(type, body, epoch);
      const data = encode(sent, subject);
      tap('send', sent, subject);
      return new Promise<Envelope[]>((resolve) => {
        const inbox = newInbox();
        const replies: Envelope[] = [];
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          sub.unsubscribe();
          clock.clearTimeout(timer);
          waiting.delete(finish);
          resolve(replies);
        };
        const sub = listen(inbox, (env) => {
          if (done) return;
          replies.push(env);
          onReply?.(env, finish);
        }, () => undefined);
        const timer = clock.setTimeout(finish, timeoutMs);
        waiting.add(finish);
        transport.publish(subject, data, { reply: inbox });
        metrics.messagesSent++;
      });
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
