import {
  ClosedConnectionError,
  connect,
  createInbox,
  credsAuthenticator,
  DrainingConnectionError,
  nkeyAuthenticator,
  RequestError,
  TimeoutError,
  type ConnectionOptions,
  type NatsConnection,
  type TlsOptions,
} from '@nats-io/transport-node';
import { realClock } from '../clock.js';
import { GlupError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { Subscription, Transport, TransportMessage } from './transport.js';

/**
 * The NATS transport (SPEC section 8) over the official v3 client. Wall-clock time.
 *
 * A nats-server restart costs only a delay: the client reconnects forever and
 * re-subscribes by itself, and buffers what is published while disconnected. A request
 * that times out, finds no responders or is cut by a disconnect rejects with GlupError
 * TIMEOUT (callers retry); on a closed transport with STOPPED.
 */
export interface NatsTransportOptions {
  servers: string | string[];
  /** Endpoint (node) name, also the NATS connection name; default "glup". */
  name?: string;
  user?: string;
  pass?: string;
  token?: string;
  /** An nkey seed (the text `SU…`, not a file name: the CLI reads the file). */
  nkeySeed?: string | Uint8Array;
  /** The contents of a `.creds` file (user JWT and nkey seed), not its name: the CLI reads the file. */
  creds?: string | Uint8Array;
  /** Each entry is a PEM file path, or the PEM text itself when it starts with "-----BEGIN". */
  tls?: { ca?: string; cert?: string; key?: string };
  /** Wait between reconnect attempts; default 250 ms. */
  reconnectTimeWaitMs?: number;
  /** Connection state changes (disconnect, reconnect) are logged here. */
  logger?: Logger;
}

export interface NatsTransport extends Transport {
  /** The underlying connection, for the JetStream store. */
  readonly connection: NatsConnection;
}

export async function natsTransport(opts: NatsTransportOptions): Promise<NatsTransport> {
  const name = opts.name ?? 'glup';
  const logger = opts.logger ?? silentLogger();
  const nc = await connect(connectionOptions(opts, name));
  let closed = false;
  void nc.closed().then(() => {
    closed = true;
  });
  void watchStatus(nc, name, logger);

  const subscribe = (subject: string, handler: (msg: TransportMessage) => void): Subscription => {
    if (closed) return { unsubscribe: () => undefined };
    const sub = nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) {
          logger.warn('nats transport: subscription error', { node: name, subject, error: err.message });
          return;
        }
        // The client calls back from its protocol parser: an exception here would break the connection.
        try {
          handler(msg.reply ? { subject: msg.subject, data: msg.data, reply: msg.reply } : { subject: msg.subject, data: msg.data });
        } catch (e) {
          logger.error('nats transport: subscriber threw', { node: name, subject: msg.subject, error: String(e) });
        }
      },
    });
    return {
      unsubscribe: () => {
        if (!sub.isClosed() && !closed) sub.unsubscribe();
      },
    };
  };

  return {
    name,
    clock: realClock,
    connection: nc,
    publish(subject, data, publishOpts) {
      if (closed) return;
      nc.publish(subject, data, publishOpts?.reply ? { reply: publishOpts.reply } : undefined);
    },
    subscribe,
    inbox: () => createInbox(),
    async request(subject, data, { timeoutMs }) {
      if (closed) throw new GlupError('STOPPED', `request on ${subject}: transport ${name} is closed`);
      try {
        const msg = await nc.request(subject, data, { timeout: timeoutMs });
        return { subject: msg.subject, data: msg.data };
      } catch (e) {
        throw requestError(e, subject, timeoutMs, name);
      }
    },
    flush: () => (closed ? Promise.resolve() : nc.flush()),
    async close() {
      if (closed) return;
      closed = true;
      await nc.close();
    },
    get closed() {
      return closed;
    },
  };
}

function connectionOptions(opts: NatsTransportOptions, name: string): ConnectionOptions {
  const options: ConnectionOptions = {
    servers: opts.servers,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: opts.reconnectTimeWaitMs ?? 250,
  };
  if (opts.user !== undefined) options.user = opts.user;
  if (opts.pass !== undefined) options.pass = opts.pass;
  if (opts.token !== undefined) options.token = opts.token;
  if (opts.nkeySeed !== undefined && opts.creds !== undefined) throw new Error('natsTransport: give nkeySeed or creds, not both');
  if (opts.nkeySeed !== undefined) {
    const seed = typeof opts.nkeySeed === 'string' ? new TextEncoder().encode(opts.nkeySeed.trim()) : opts.nkeySeed;
    options.authenticator = nkeyAuthenticator(seed);
  }
  if (opts.creds !== undefined) {
    options.authenticator = credsAuthenticator(typeof opts.creds === 'string' ? new TextEncoder().encode(opts.creds) : opts.creds);
  }
  if (opts.tls) options.tls = tlsOptions(opts.tls);
  return options;
}

function tlsOptions(tls: NonNullable<NatsTransportOptions['tls']>): TlsOptions {
  const out: TlsOptions = {};
  const isPem = (s: string) => s.trimStart().startsWith('-----BEGIN');
  if (tls.ca !== undefined) isPem(tls.ca) ? (out.ca = tls.ca) : (out.caFile = tls.ca);
  if (tls.cert !== undefined) isPem(tls.cert) ? (out.cert = tls.cert) : (out.certFile = tls.cert);
  if (tls.key !== undefined) isPem(tls.key) ? (out.key = tls.key) : (out.keyFile = tls.key);
  return out;
}

function requestError(e: unknown, subject: string, timeoutMs: number, name: string): unknown {
  if (e instanceof TimeoutError) return new GlupError('TIMEOUT', `request on ${subject}: no reply within ${timeoutMs} ms`, { cause: e });
  if (e instanceof RequestError) {
    const why = e.isNoResponders() ? 'no responders' : e.message;
    return new GlupError('TIMEOUT', `request on ${subject}: ${why}`, { cause: e });
  }
  if (e instanceof ClosedConnectionError || e instanceof DrainingConnectionError) {
    return new GlupError('STOPPED', `request on ${subject}: transport ${name} is closed`, { cause: e });
  }
  return e;
}

async function watchStatus(nc: NatsConnection, name: string, logger: Logger): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === 'disconnect') logger.warn('nats transport: disconnected, reconnecting', { node: name, server: status.server });
    else if (status.type === 'reconnect') logger.info('nats transport: reconnected', { node: name, server: status.server });
    else if (status.type === 'error') logger.warn('nats transport: server error', { node: name, error: status.error.message });
  }
}
