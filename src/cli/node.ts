/**
 * `glup node`: one long-running cluster node over NATS (SPEC section 9). Logs go to stderr;
 * stdout carries one JSON line per event a supervisor or test waits on:
 *   {"event":"role","node":"n1","role":"manager","epoch":1}   on every role change
 *   {"event":"metrics","node":"n1","port":9464}               once the metrics server listens
 *   {"event":"store","node":"n1","state":"failing","op":"append","code":"ENOSPC","path":…}
 *   {"event":"store","node":"n1","state":"ok"}                 when a store failure stopped the
 *                                                              node, and when it is back after it
 * SIGTERM or SIGINT leaves the cluster gracefully (handover when manager), closes the store
 * and the connection, and exits 0.
 */
import { readFileSync } from 'node:fs';
import { createNode } from '../actors/createNode.js';
import { serveInspectionFeed } from '../actors/inspectFeed.js';
import type { NodeRuntime } from '../actors/runtime.js';
import { startMetricsServer, type MetricsServer, type StatusSource } from '../admin/metrics.js';
import { natsTransport, type NatsTransport, type NatsTransportOptions } from '../bus/nats.js';
import { createLogger, type Logger } from '../log.js';
import { DataDirLockedError } from '../persistence/dirLock.js';
import { fileStore } from '../persistence/file.js';
import { jetstreamStore } from '../persistence/jetstream.js';
import { monitoredStore, type MonitoredStore, type StoreFault } from '../persistence/health.js';
import { memoryStore } from '../persistence/memory.js';
import type { Store } from '../persistence/store.js';
import { DEFAULT_NATS_URL, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, out } from './common.js';
import type { NodeCommandOptions } from './nodeFlags.js';

/** Default heartbeat of SPEC section 2, used to bound the reconnect wait when --heartbeat-ms is not given. */
const DEFAULT_HEARTBEAT_MS = 1000;
const DEFAULT_RECONNECT_WAIT_MS = 250;

export async function runNode(opts: NodeCommandOptions): Promise<number> {
  const logger = createLogger({ bindings: { cluster: opts.cluster, node: opts.id } });
  let connectOptions: NatsTransportOptions;
  try {
    connectOptions = transportOptions(opts, logger);
  } catch (e) {
    process.stderr.write(`error: node ${opts.id}: cannot read the NATS credentials: ${(e as Error).message}\n`);
    return EXIT_FAILED;
  }
  const shutdownRequested = new Promise<string>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve(signal));
  });

  let life: Life;
  try {
    life = await startLife(opts, connectOptions, logger);
  } catch (e) {
    logger.error('cannot connect to NATS', { servers: opts.nats ?? DEFAULT_NATS_URL, error: String(e) });
    process.stderr.write(`error: node ${opts.id}: cannot connect to NATS at ${opts.nats ?? DEFAULT_NATS_URL}: ${(e as Error).message}\n`);
    return EXIT_FAILED;
  }
  const storeStats = { failures: 0 };
  // The metrics server outlives restarts after store failures: it asks whichever life is current.
  const source: StatusSource = {
    cluster: opts.cluster,
    status: () => {
      const s = life.node.status();
      const failing = life.store.health.state === 'failing' || life.node.role === 'stopped' ? 1 : 0;
      return { ...s, metrics: { ...s.metrics, storeFailures: storeStats.failures + life.store.health.failures, storeFailing: failing } };
    },
  };

  let metrics: MetricsServer | null = null;
  try {
    if (opts.metricsPort !== undefined) {
      metrics = await startMetricsServer(source, opts.metricsPort);
      out(JSON.stringify({ event: 'metrics', node: opts.id, port: metrics.port }));
    }
    // start() resolves on joining; a node that cannot join yet keeps trying until a signal.
    const started = life.node.start();
    await Promise.race([started, shutdownRequested]);
    started.catch((e) => logger.warn('node stopped before joining', { error: String(e) }));
  } catch (e) {
    // A data directory held by another process, a corrupt store that cannot be read, a port in use.
    process.stderr.write(`error: node ${opts.id}: ${(e as Error).message}\n`);
    await shutdown(life, metrics, logger, { graceful: false });
    // A data directory held by another process is bad input, like a wrong --data: exit 2.
    return e instanceof DataDirLockedError ? EXIT_BAD_INPUT : EXIT_FAILED;
  }

  for (;;) {
    const why = await Promise.race([shutdownRequested.then((signal) => ({ signal })), life.storeFailed.then((fault) => ({ fault }))]);
    if ('signal' in why) {
      logger.info('leaving the cluster', { signal: why.signal });
      await shutdown(life, metrics, logger, { graceful: true });
      return EXIT_OK;
    }
    // Until the node itself acts on store health (issue 15), a store failure stops the node:
    // it acks nothing more, its peers fail over or remove it, and it comes back on its data
    // (catching up like a restarted process) once its store takes writes again.
    const f = why.fault;
    logger.error('store failed: node stopped, retrying its store with backoff', { file: f.path, errno: f.code, op: f.op, syscall: f.syscall, error: f.message });
    out(JSON.stringify({ event: 'store', node: opts.id, state: 'failing', op: f.op, code: f.code, path: f.path ?? null }));
    storeStats.failures += life.store.health.failures;
    await shutdown(life, null, logger, { graceful: false });
    const next = await restartAfterStoreFailure(opts, connectOptions, logger, shutdownRequested, storeStats);
    if (!next) {
      await metrics?.close();
      return EXIT_OK;
    }
    life = next;
    out(JSON.stringify({ event: 'store', node: opts.id, state: 'ok' }));
  }
}

/** One run of the node on its data: the connection, the store and the node built on them. */
interface Life {
  transport: NatsTransport;
  store: MonitoredStore;
  node: NodeRuntime;
  /** Resolves with the first failure of the store; the node is already being killed then. */
  storeFailed: Promise<StoreFault>;
  /** What `glup dashboard` shows of this node: its machines' states and its traffic, on request. */
  feed: { close(): void };
}

async function startLife(opts: NodeCommandOptions, connectOptions: NatsTransportOptions, logger: Logger): Promise<Life> {
  const transport = await natsTransport(connectOptions);
  const store = monitoredStore(openStore(opts, transport));
  const node = createNode({
    cluster: opts.cluster,
    id: opts.id,
    priority: opts.priority,
    qualified: opts.qualified,
    transport,
    store,
    logger,
    ...(opts.heartbeatMs !== undefined && { heartbeatMs: opts.heartbeatMs }),
    ...(opts.missedHeartbeats !== undefined && { missedHeartbeats: opts.missedHeartbeats }),
    ...(opts.glup !== undefined && { glup: opts.glup }),
    ...(opts.quorum !== undefined && { quorum: opts.quorum }),
    ...(opts.initialMembers !== undefined && { initialMembers: opts.initialMembers }),
  });
  node.on('role', (role) => out(JSON.stringify({ event: 'role', node: node.id, role, epoch: node.epoch })));
  let failed!: (fault: StoreFault) => void;
  const storeFailed = new Promise<StoreFault>((resolve) => (failed = resolve));
  store.onHealth((h) => {
    if (h.state !== 'failing' || !h.lastError) return;
    // Killed here, synchronously inside the failed operation, so the node stops before its
    // own code sees the failure: nothing it sends after this can ack or vote.
    node.kill().catch((e) => logger.warn('stopping the node after a store failure', { error: String(e) }));
    failed(h.lastError);
  });
  return { transport, store, node, storeFailed, feed: serveInspectionFeed(node, { transport, logger }) };
}

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;

/** Starts new lives with growing pauses until one joins (the new life) or a signal comes (null). */
async function restartAfterStoreFailure(
  opts: NodeCommandOptions,
  connectOptions: NatsTransportOptions,
  logger: Logger,
  shutdownRequested: Promise<string>,
  stats: { failures: number },
): Promise<Life | null> {
  for (let delay = RETRY_FIRST_MS; ; delay = Math.min(2 * delay, RETRY_MAX_MS)) {
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([new Promise<'retry'>((r) => (timer = setTimeout(() => r('retry'), delay))), shutdownRequested]);
    clearTimeout(timer);
    if (waited !== 'retry') return null;
    let life: Life | undefined;
    try {
      life = await startLife(opts, connectOptions, logger);
      const l = life;
      const outcome = await Promise.race([
        l.node.start().then(() => 'joined' as const),
        l.storeFailed.then((f) => Promise.reject(new Error(`${f.code} on ${f.op}${f.path ? ` (${f.path})` : ''}`))),
        shutdownRequested.then(() => 'signal' as const),
      ]);
      if (outcome === 'joined') return l;
      await shutdown(l, null, logger, { graceful: false });
      return null;
    } catch (e) {
      logger.warn('store still failing, retrying', { error: String(e), retryInMs: Math.min(2 * delay, RETRY_MAX_MS) });
      if (life) {
        stats.failures += life.store.health.failures;
        await shutdown(life, null, logger, { graceful: false });
      }
    }
  }
}

async function shutdown(life: Life, metrics: MetricsServer | null, logger: Logger, { graceful }: { graceful: boolean }): Promise<void> {
  const { node, store, transport } = life;
  try {
    if (graceful) await withTimeout(node.leave(), leaveBoundMs(node));
    else await node.kill();
  } catch (e) {
    logger.warn('graceful leave failed; stopping abruptly', { error: String(e) });
    await node.kill().catch(() => undefined);
  }
  // the feed went on during the leave, so a dashboard saw the handover
  life.feed.close();
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
  const options: NatsTransportOptions = {
    servers: (opts.nats ?? DEFAULT_NATS_URL).split(',').map((s) => s.trim()).filter((s) => s !== ''),
    name: opts.id,
    logger,
    // A reconnect wait longer than a heartbeat would turn a short server blip into a failover.
    reconnectTimeWaitMs: Math.min(DEFAULT_RECONNECT_WAIT_MS, heartbeatMs),
  };
  if (opts.user !== undefined) options.user = opts.user;
  if (opts.pass !== undefined) options.pass = opts.pass;
  if (opts.token !== undefined) options.token = opts.token;
  if (opts.nkeySeed !== undefined) options.nkeySeed = readFileSync(opts.nkeySeed, 'utf8').trim();
  if (opts.tlsCa !== undefined || opts.tlsCert !== undefined) {
    options.tls = {
      ...(opts.tlsCa !== undefined && { ca: opts.tlsCa }),
      ...(opts.tlsCert !== undefined && { cert: opts.tlsCert }),
      ...(opts.tlsKey !== undefined && { key: opts.tlsKey }),
    };
  }
  return options;
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
