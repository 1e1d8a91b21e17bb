/**
 * `glup node`: one long-running cluster node over NATS (SPEC section 9). Logs go to stderr;
 * stdout carries one JSON line per event a supervisor or test waits on:
 *   {"event":"role","node":"n1","role":"manager","epoch":1}   on every role change
 *   {"event":"metrics","node":"n1","port":9464,"host":"127.0.0.1"}  once the metrics server listens
 * With --actors it hosts actor types (src/cli/nodeActors.ts), defined before it starts.
 * SIGTERM or SIGINT leaves the cluster gracefully (handover when manager), closes the store
 * and the connection, and exits 0.
 */
import { createNode } from '../actors/createNode.js';
import { serveInspectionFeed } from '../actors/inspectFeed.js';
import type { NodeRuntime } from '../actors/runtime.js';
import { startMetricsServer, type MetricsServer } from '../admin/metrics.js';
import { natsTransport, type NatsTransport, type NatsTransportOptions } from '../bus/nats.js';
import { createLogger, type Logger } from '../log.js';
import { DataDirLockedError } from '../persistence/dirLock.js';
import { fileStore } from '../persistence/file.js';
import { jetstreamStore } from '../persistence/jetstream.js';
import { memoryStore } from '../persistence/memory.js';
import type { Store } from '../persistence/store.js';
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, out } from './common.js';
import { connectionOptions } from './connection.js';
import { defineNodeActors } from './nodeActors.js';
import type { NodeCommandOptions } from './nodeFlags.js';

/** Default heartbeat of SPEC section 2, used to bound the reconnect wait when --heartbeat-ms is not given. */
const DEFAULT_HEARTBEAT_MS = 1000;
const DEFAULT_RECONNECT_WAIT_MS = 250;

export async function runNode(opts: NodeCommandOptions): Promise<number> {
  // the node and the transport add `node` themselves: given a logger bound to it, pino would repeat the key
  const base = createLogger({ bindings: { cluster: opts.cluster } });
  const logger = base.child({ node: opts.id });
  // an unreadable credentials file is bad input (exit 2, naming the flag)
  const connectOptions: NatsTransportOptions = transportOptions(opts, base);
  let transport: NatsTransport;
  try {
    transport = await natsTransport(connectOptions);
  } catch (e) {
    logger.error('cannot connect to NATS', { servers: opts.nats, error: String(e) });
    process.stderr.write(`error: node ${opts.id}: cannot connect to NATS at ${opts.nats}: ${(e as Error).message}\n`);
    return EXIT_FAILED;
  }
  const store = openStore(opts, transport);
  const node = createNode({
    cluster: opts.cluster,
    id: opts.id,
    priority: opts.priority,
    qualified: opts.qualified,
    transport,
    store,
    logger: base,
    ...(opts.heartbeatMs !== undefined && { heartbeatMs: opts.heartbeatMs }),
    ...(opts.missedHeartbeats !== undefined && { missedHeartbeats: opts.missedHeartbeats }),
    ...(opts.glup !== undefined && { glup: opts.glup }),
    ...(opts.quorum !== undefined && { quorum: opts.quorum }),
    ...(opts.initialMembers !== undefined && { initialMembers: opts.initialMembers }),
  });
  node.on('role', (role) => out(JSON.stringify({ event: 'role', node: node.id, role, epoch: node.epoch })));
  if (opts.actors !== undefined) {
    try {
      await defineNodeActors(node, opts.actors);
    } catch (e) {
      process.stderr.write(`error: node ${opts.id}: ${(e as Error).message}\n`);
      await store.close().catch(() => undefined);
      await transport.close().catch(() => undefined);
      return EXIT_BAD_INPUT;
    }
  }
  // what `glup dashboard` shows of this node: its machines' states and its traffic, on request
  const feed = serveInspectionFeed(node, { transport, logger });

  const shutdownRequested = new Promise<string>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve(signal));
  });

  let metrics: MetricsServer | null = null;
  try {
    if (opts.metricsPort !== undefined) {
      metrics = await startMetricsServer(node, { port: opts.metricsPort, host: opts.metricsHost }, { transport });
      out(JSON.stringify({ event: 'metrics', node: node.id, port: metrics.port, host: metrics.host }));
    }
    // start() resolves on joining; a node that cannot join yet keeps trying until a signal.
    const started = node.start();
    await Promise.race([started, shutdownRequested]);
    started.catch((e) => logger.warn('node stopped before joining', { error: String(e) }));
  } catch (e) {
    // A data directory held by another process, a corrupt store that cannot be read, a port in use.
    process.stderr.write(`error: node ${opts.id}: ${(e as Error).message}\n`);
    await shutdown(node, store, transport, metrics, logger, { graceful: false });
    feed.close();
    // a data directory held by another process is bad input, like a wrong --data: exit 2
    return e instanceof DataDirLockedError ? EXIT_BAD_INPUT : EXIT_FAILED;
  }

  const signal = await shutdownRequested;
  logger.info('leaving the cluster', { signal });
  // the feed goes on during the leave, so a dashboard sees the handover
  await shutdown(node, store, transport, metrics, logger, { graceful: true });
  feed.close();
  return EXIT_OK;
}

async function shutdown(
  node: NodeRuntime,
  store: Store,
  transport: NatsTransport,
  metrics: MetricsServer | null,
  logger: Logger,
  { graceful }: { graceful: boolean },
): Promise<void> {
  try {
    if (graceful) await withTimeout(node.leave(), leaveBoundMs(node));
    else await node.kill();
  } catch (e) {
    logger.warn('graceful leave failed; stopping abruptly', { error: String(e) });
    await node.kill().catch(() => undefined);
  }
  await store.close().catch((e) => logger.warn('closing the store failed', { error: String(e) }));
  await transport.close().catch(() => undefined);
  await metrics?.close();
}

/** The machine's own leave timeout is updateTimeoutMs; past twice that something is stuck and the process must still exit. */
function leaveBoundMs(node: NodeRuntime): number {
  return 2 * node.settings.updateTimeoutMs + 1000;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
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

function openStore(opts: NodeCommandOptions, transport: NatsTransport): Store {
  switch (opts.persistence) {
    case 'file':
      return fileStore(opts.data!, { fsync: 'always' });
    case 'jetstream':
      return jetstreamStore({ connection: transport.connection, cluster: opts.cluster, node: opts.id });
    case 'memory':
      return memoryStore();
  }
}
