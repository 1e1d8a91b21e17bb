/**
 * One life of a `glup node` process: a NATS connection, the store, the node on them and its
 * inspection feed. A store failure ends a life (the node hands over or leaves and stops, see
 * the node chart's STORE_FAILED); the process then probes its data directory with growing
 * pauses and starts the next life on the same data once writes succeed (issue 15: a failing
 * disk never stalls the cluster, and the node comes back by itself).
 */
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createNode } from '../actors/createNode.js';
import { serveInspectionFeed, type InspectionFeed } from '../actors/inspectFeed.js';
import type { NodeRuntime } from '../actors/runtime.js';
import { natsTransport, type NatsTransport, type NatsTransportOptions } from '../bus/nats.js';
import type { Logger } from '../log.js';
import { fileStore } from '../persistence/file.js';
import { monitoredStore, type MonitoredStore, type StoreFault } from '../persistence/health.js';
import { jetstreamStore } from '../persistence/jetstream.js';
import { memoryStore } from '../persistence/memory.js';
import type { Store } from '../persistence/store.js';
import { out } from './common.js';
import type { NodeCommandOptions } from './nodeFlags.js';

export interface Life {
  transport: NatsTransport;
  store: MonitoredStore;
  node: NodeRuntime;
  feed: InspectionFeed;
  /** Resolves with the failure that ended this life (the node is stopping by then). */
  storeFailed: Promise<StoreFault>;
}

export async function startLife(opts: NodeCommandOptions, connect: NatsTransportOptions, logger: Logger): Promise<Life> {
  const transport = await natsTransport(connect);
  const store = monitoredStore(openStore(opts, transport), { clock: transport.clock });
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
  const storeFailed = new Promise<StoreFault>((resolve) => {
    const off = node.on('store', (s) => {
      if (s.state !== 'failing') return;
      off();
      resolve(s.fault ?? { op: 'append', code: 'ERROR', message: 'store failed', at: transport.clock.now() });
    });
  });
  // what `glup dashboard` shows of this node: its machines' states and its traffic, on request
  const feed = serveInspectionFeed(node, { transport, logger });
  return { transport, store, node, feed, storeFailed };
}

/** Ends a life: a graceful leave (handover when manager) or a kill, then store and connection closed. */
export async function endLife(life: Life, logger: Logger, { graceful, boundMs }: { graceful: boolean; boundMs: number }): Promise<void> {
  try {
    if (graceful) await withTimeout(life.node.leave(), boundMs);
    else await life.node.kill();
  } catch (e) {
    logger.warn('graceful leave failed; stopping abruptly', { error: String(e) });
    await life.node.kill().catch(() => undefined);
  }
  life.feed.close();
  await life.store.close().catch((e) => logger.warn('closing the store failed', { error: String(e) }));
  await life.transport.close().catch(() => undefined);
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

/**
 * Whether the data directory takes a durable write again: a small file written, fsynced and
 * removed (other stores: true, their server reports its own faults). Throws nothing.
 */
export function storeWritable(opts: NodeCommandOptions): boolean {
  if (opts.persistence !== 'file' || !opts.data) return true;
  const probe = join(opts.data, '.write-probe');
  try {
    const fd = openSync(probe, 'w');
    try {
      writeSync(fd, Buffer.alloc(64 * 1024));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { force: true });
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}
