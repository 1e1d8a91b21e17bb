/**
 * `glup node`: one long-running cluster node over NATS (SPEC section 9). Logs go to stderr;
 * stdout carries one JSON line per event a supervisor or test waits on:
 *   {"event":"role","node":"n1","role":"manager","epoch":1}   on every role change
 *   {"event":"metrics","node":"n1","port":9464,"host":"127.0.0.1"}  once the metrics server listens
 *   {"event":"store","node":"n1","state":"failing","op":"append","code":"ENOSPC","path":"…"}
 *   {"event":"store","node":"n1","state":"ok"}   its store failed (the node stopped) / works again (it restarted)
 * With --actors it hosts actor types (src/cli/nodeActors.ts), defined in each life before it starts.
 * SIGTERM or SIGINT leaves the cluster gracefully (handover when manager), closes the store
 * and the connection, and exits 0.
 */
import type { NodeRuntime } from '../actors/runtime.js';
import { startMetricsServer, type MetricsServer } from '../admin/metrics.js';
import type { NatsTransportOptions } from '../bus/nats.js';
import { chosenLogLevel, createLogger, type Logger } from '../log.js';
import { DataDirLockedError } from '../persistence/dirLock.js';
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, out } from './common.js';
import { connectionOptions } from './connection.js';
import { CurrentNode } from './currentNode.js';
import { defineNodeActors } from './nodeActors.js';
import type { NodeCommandOptions } from './nodeFlags.js';
import { endLife, startLife, storeWritable, type Life } from './nodeLife.js';

/** Default heartbeat of SPEC section 2, used to bound the reconnect wait when --heartbeat-ms is not given. */
const DEFAULT_HEARTBEAT_MS = 1000;
const DEFAULT_RECONNECT_WAIT_MS = 250;

export async function runNode(opts: NodeCommandOptions): Promise<number> {
  // the node and the transport add `node` themselves: given a logger bound to it, pino would repeat the key
  // a long-running node logs what an operator reads its log for (roles, membership, reconnects) at info
  const base = createLogger({ level: chosenLogLevel() ?? 'info', bindings: { cluster: opts.cluster } });
  const logger = base.child({ node: opts.id });
  // an unreadable credentials file is bad input (exit 2, naming the flag)
  const connectOptions: NatsTransportOptions = transportOptions(opts, base);
  let life: Life;
  try {
    life = await startLife(opts, connectOptions, base);
  } catch (e) {
    logger.error('cannot connect to NATS', { servers: opts.nats, error: String(e) });
    process.stderr.write(`error: node ${opts.id}: cannot connect to NATS at ${opts.nats}: ${(e as Error).message}\n`);
    return EXIT_FAILED;
  }
  if (opts.actors !== undefined) {
    try {
      await defineNodeActors(life.node, opts.actors);
    } catch (e) {
      process.stderr.write(`error: node ${opts.id}: ${(e as Error).message}\n`);
      await endLife(life, logger, { graceful: false, boundMs: 0 });
      return EXIT_BAD_INPUT;
    }
  }
  const current = new CurrentNode(life.node);

  const shutdownRequested = new Promise<string>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve(signal));
  });

  let metrics: MetricsServer | null = null;
  try {
    if (opts.metricsPort !== undefined) {
      metrics = await startMetricsServer(current, { port: opts.metricsPort, host: opts.metricsHost }, { transport: life.transport });
      out(JSON.stringify({ event: 'metrics', node: opts.id, port: metrics.port, host: metrics.host }));
    }
    // start() resolves on joining; a node that cannot join yet keeps trying until a signal.
    const started = life.node.start();
    await Promise.race([started, shutdownRequested, life.storeFailed]);
    started.catch((e) => logger.warn('node stopped before joining', { error: String(e) }));
  } catch (e) {
    // A data directory held by another process, a corrupt store that cannot be read, a port in use.
    process.stderr.write(`error: node ${opts.id}: ${(e as Error).message}\n`);
    await endLife(life, logger, { graceful: false, boundMs: 0 });
    await metrics?.close();
    // a data directory held by another process is bad input, like a wrong --data: exit 2
    return e instanceof DataDirLockedError ? EXIT_BAD_INPUT : EXIT_FAILED;
  }

  for (;;) {
    const why = await Promise.race([shutdownRequested.then((signal) => ({ signal })), life.storeFailed.then((fault) => ({ fault }))]);
    if ('signal' in why) {
      logger.info('leaving the cluster', { signal: why.signal });
      // the feed goes on during the leave, so a dashboard sees the handover
      await endLife(life, logger, { graceful: true, boundMs: leaveBoundMs(life.node) });
      await metrics?.close();
      return EXIT_OK;
    }
    const f = why.fault;
    logger.error('store failed: node stopped, retrying its store with backoff', { file: f.path, errno: f.code, op: f.op, syscall: f.syscall, error: f.message });
    out(JSON.stringify({ event: 'store', node: opts.id, state: 'failing', op: f.op, code: f.code, path: f.path ?? null }));
    await endLife(life, logger, { graceful: false, boundMs: 0 });
    const next = await nextLife(opts, connectOptions, base, logger, shutdownRequested);
    if (!next) {
      await metrics?.close();
      return EXIT_OK;
    }
    life = next;
    current.replace(life.node);
    out(JSON.stringify({ event: 'store', node: opts.id, state: 'ok' }));
  }
}

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 10_000;

/**
 * After a store failure: waits with growing pauses until the data directory takes a durable
 * write, then starts a new life on the same data (it recovers its log from disk and rejoins,
 * catching up from the manager). Null when a signal comes first.
 */
async function nextLife(
  opts: NodeCommandOptions,
  connect: NatsTransportOptions,
  base: Logger,
  logger: Logger,
  shutdownRequested: Promise<string>,
): Promise<Life | null> {
  for (let delay = RETRY_FIRST_MS; ; delay = Math.min(2 * delay, RETRY_MAX_MS)) {
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([new Promise<'retry'>((r) => (timer = setTimeout(() => r('retry'), delay))), shutdownRequested]);
    clearTimeout(timer);
    if (waited !== 'retry') return null;
    if (!storeWritable(opts)) continue;
    try {
      const life = await startLife(opts, connect, base);
      if (opts.actors !== undefined) await defineNodeActors(life.node, opts.actors);
      life.node.start().catch((e) => logger.warn('node stopped before joining', { error: String(e) }));
      await life.node.opened;
      logger.info('store works again: node restarted on its data', { retryAfterMs: delay });
      return life;
    } catch (e) {
      logger.warn('store still failing', { error: String(e), nextRetryMs: Math.min(2 * delay, RETRY_MAX_MS) });
    }
  }
}

/** The machine's own leave timeout is updateTimeoutMs; past twice that something is stuck and the process must still exit. */
function leaveBoundMs(node: NodeRuntime): number {
  return 2 * node.settings.updateTimeoutMs + 1000;
}

function transportOptions(opts: NodeCommandOptions, logger: Logger): NatsTransportOptions {
  const heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  return {
    ...connectionOptions(opts, opts.id),
    logger,
    // A reconnect wait longer than a heartbeat would turn a short server blip into a failover.
    reconnectTimeWaitMs: Math.min(DEFAULT_RECONNECT_WAIT_MS, heartbeatMs),
  };
}
