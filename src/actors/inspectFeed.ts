/**
 * The node side of the live dashboard: a node's inspection stream, offered to tools that
 * ask for it. A tool (`glup dashboard`, speaking as `--as ID`) publishes an `inspect-request`
 * `{leaseMs}` on the cluster's admin subject; every node that serves a feed then publishes
 * `inspect-feed` batches to the tool's own node subject until the lease runs out (the tool
 * renews it). The first batch carries the recent past (a ring of events), the current state
 * of every actor and the database; later ones carry new events, the status, and the
 * database again only when the committed seq moved (at most once a second).
 *
 * It uses only the node's public API (inspect, on, status, db) and a bus of its own on the
 * node's transport, so it stays out of the node's actors: a slow or absent tool costs the
 * node a ring buffer and nothing else.
 */
import { createBus, type Bus } from '../bus/bus.js';
import type { Envelope } from '../bus/envelope.js';
import { subjects, type Transport } from '../bus/transport.js';
import type { ClusterDb, UpdateRecord } from '../db/types.js';
import { silentLogger, type Logger } from '../log.js';
import type { InspectionEvent, NodeEvents, Role } from './types.js';

/** What the feed needs of a node: its public API. */
export interface FeedNode {
  readonly id: string;
  readonly cluster: string;
  readonly db: ClusterDb;
  readonly epoch: number;
  readonly committedSeq: number;
  inspect(fn: (e: InspectionEvent) => void): () => void;
  on<K extends keyof NodeEvents>(event: K, fn: NodeEvents[K]): () => void;
  status(): Record<string, unknown>;
}

/** One event of a feed batch: an inspection event, a role change or a commit. */
export type FeedEvent =
  | InspectionEvent
  | { type: 'role'; node: string; role: Role; epoch: number; t: number }
  | { type: 'commit'; node: string; seq: number; epoch: number; origin: string; op: unknown; t: number };

export interface FeedBatch {
  node: string;
  /** This feed's id (a restarted node has a new feed): with `offset`, lets a tool drop what it has seen. */
  feed: string;
  /** Position of `events[0]` in everything this feed recorded. */
  offset: number;
  /** The first batch of a lease: `events` is the recent past, `actors` the current states. */
  first: boolean;
  events: FeedEvent[];
  status: Record<string, unknown>;
  actors?: Record<string, unknown>;
  /** The committed database, when it changed since the last batch to this tool. */
  db?: ClusterDb;
  dbSeq?: number;
  /** The database was too large to send (bytes). */
  dbBytes?: number;
}

export interface InspectionFeedOptions {
  transport: Transport;
  logger?: Logger;
  /** Events kept for a tool that connects later; default 2000. */
  history?: number;
  /** How often batches leave; default 250 ms. */
  flushMs?: number;
}

export interface InspectionFeed {
  /** Tools with a live lease. */
  readonly subscribers: string[];
  close(): void;
}

const DEFAULT_HISTORY = 2000;
const DEFAULT_FLUSH_MS = 250;
const MAX_LEASE_MS = 60_000;
const DB_EVERY_MS = 1000;
/** A bigger database is not sent (the page says so); the feed is for watching, not for copying. */
const MAX_DB_BYTES = 4 << 20;

export function serveInspectionFeed(node: FeedNode, opts: InspectionFeedOptions): InspectionFeed {
  const clock = opts.transport.clock;
  const logger = opts.logger ?? silentLogger();
  const history = opts.history ?? DEFAULT_HISTORY;
  const recent: FeedEvent[] = [];
  /** Events dropped from the front of `recent` so far. */
  let dropped = 0;
  const feedId = `${node.id}@${clock.now()}`;
  // the inspection stream's own precision (the node rounds to microseconds)
  const now = () => Math.round(clock.now() * 1000) / 1000;
  const actors = new Map<string, unknown>();
  const tools = new Map<string, { until: number; sent: number; dbSeq: number; dbAt: number; fresh: boolean }>();
  const bus: Bus = createBus({ transport: opts.transport, cluster: node.cluster, node: node.id, idPrefix: `${node.id}-feed`, logger });

  const record = (e: FeedEvent) => {
    if (e.type === 'transition') actors.set(e.actor, e.to);
    recent.push(e);
    // drop from the front in chunks: a shift per event would be quadratic
    if (recent.length > history * 1.25) {
      const cut = recent.length - history;
      recent.splice(0, cut);
      dropped += cut;
      for (const tool of tools.values()) tool.sent = Math.max(0, tool.sent - cut);
    }
  };
  const offs = [
    node.inspect(record),
    node.on('role', (role: Role) => record({ type: 'role', node: node.id, role, epoch: node.epoch, t: now() })),
    node.on('update', (r: UpdateRecord) => record({ type: 'commit', node: node.id, seq: r.seq, epoch: r.epoch, origin: r.origin, op: r.op, t: now() })),
  ];

  const sub = bus.subscribe(subjects.adminAll(node.cluster), (env: Envelope) => {
    if (env.type !== 'inspect-request') return;
    const leaseMs = Math.min(MAX_LEASE_MS, Math.max(0, Number((env.body as { leaseMs?: unknown })?.leaseMs) || 0));
    const tool = tools.get(env.from);
    if (leaseMs === 0) return void tools.delete(env.from);
    if (tool) tool.until = clock.now() + leaseMs;
    else tools.set(env.from, { until: clock.now() + leaseMs, sent: 0, dbSeq: -1, dbAt: -Infinity, fresh: true });
    flushSoon();
  });

  let timer: unknown = null;
  let closed = false;
  const flushSoon = () => {
    if (timer === null && !closed) timer = clock.setTimeout(flush, 0);
  };
  const flush = () => {
    timer = null;
    const now = clock.now();
    for (const [id, tool] of tools) {
      if (tool.until < now) {
        tools.delete(id);
        continue;
      }
      const batch: FeedBatch = { node: node.id, feed: feedId, offset: dropped + tool.sent, first: tool.fresh, events: recent.slice(tool.sent), status: node.status() };
      if (tool.fresh) batch.actors = Object.fromEntries(actors);
      const seq = node.committedSeq;
      if (seq !== tool.dbSeq && (tool.fresh || now - tool.dbAt >= DB_EVERY_MS)) {
        const bytes = Buffer.byteLength(JSON.stringify(node.db));
        if (bytes <= MAX_DB_BYTES) batch.db = node.db;
        else batch.dbBytes = bytes;
        batch.dbSeq = seq;
        tool.dbSeq = seq;
        tool.dbAt = now;
      }
      if (!tool.fresh && batch.events.length === 0 && batch.dbSeq === undefined) continue;
      tool.fresh = false;
      tool.sent = recent.length;
      try {
        bus.publish(subjects.node(node.cluster, id, node.id), 'inspect-feed', batch, { epoch: 0 });
      } catch (e) {
        logger.warn('inspection feed: batch not sent', { tool: id, error: String(e) });
      }
    }
    if (tools.size > 0 && !closed) timer = clock.setTimeout(flush, opts.flushMs ?? DEFAULT_FLUSH_MS);
  };

  return {
    get subscribers() {
      return [...tools.keys()];
    },
    close() {
      closed = true;
      if (timer !== null) clock.clearTimeout(timer);
      for (const off of offs) off();
      sub.unsubscribe();
      bus.close();
    },
  };
}
