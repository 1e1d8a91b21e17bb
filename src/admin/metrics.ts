/**
 * The HTTP face of a `glup node --metrics-port N [--metrics-host H]` process:
 *   GET /metrics   Prometheus text (prom-client): node gauges, counters, histograms, and the
 *                  default process and Node.js metrics, all labelled cluster and node
 *   GET /livez     200 while the process serves requests (its event loop runs)
 *   GET /readyz    200 when the node is a member (manager, backup, client) with quorum, else 503
 *   GET /status    node.status() as JSON
 * No authentication: it listens on 127.0.0.1 unless told otherwise.
 *
 * Everything is read from the node's public surface (status(), role, db, metrics, events)
 * and, for heartbeat timings, from the heartbeat subject on the node's transport (wire.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../clock.js';
import type { ClusterDb, UpdateRecord } from '../db/types.js';
import type { Transport } from '../bus/transport.js';
import { observeHeartbeats } from './wire.js';

/** What the metrics need of a node: its public surface. */
export interface MetricsSource {
  readonly cluster: string;
  readonly id: string;
  readonly role: string;
  readonly epoch: number;
  readonly committedSeq: number;
  readonly db: ClusterDb;
  readonly metrics: Record<string, number>;
  readonly clock: Clock;
  /** Its store's health: a failing store makes the node not ready. */
  readonly storeHealth?: { state: 'ok' | 'failing'; failures: number };
  /** Hosted actors, when the node has them. */
  readonly actors?: { list(): unknown[]; readonly metrics?: object };
  status(): { lastSeq: number } & Record<string, unknown>;
  on(event: string, fn: (...args: any[]) => void): () => void;
}

export interface MetricsOptions {
  /** The node's transport, for heartbeat gaps, manager changes and lag (multicast heartbeats only). */
  transport?: Transport;
  /** Process and Node.js metrics (default true; one registry per process is enough of them). */
  defaultMetrics?: boolean;
}

/** node.metrics counters: Prometheus name and HELP. Everything in node.metrics only grows. */
const COUNTERS: Record<string, [string, string]> = {
  invalidMessages: ['glup_invalid_messages_total', 'Messages dropped at the bus edge: malformed, oversized, too deep, wrong cluster, unknown type, or a from that is not the subject sender.'],
  messagesSent: ['glup_messages_sent_total', 'Envelopes this node published (a chunked message counts once).'],
  messagesReceived: ['glup_messages_received_total', 'Envelopes handed to handlers after validation and the fault filter.'],
  handlerErrors: ['glup_handler_errors_total', 'Message handlers that threw (the bus logged and went on).'],
  updatesCommitted: ['glup_updates_committed_total', 'GLUP updates committed on this node.'],
  conflicts: ['glup_conflicts_total', 'Updates discarded when two sides of a split met again (quorum: none).'],
  fencedMessages: ['glup_fenced_messages_total', 'Manager messages ignored because their epoch was older than the highest seen.'],
  refusedSubmissions: ['glup_refused_submissions_total', 'Membership changes the manager refused from other nodes (only one removal, of a member, may be asked for).'],
  pausesDiscounted: ['glup_pauses_discounted_total', 'Late ticks (this process was paused) whose delay was not counted as silence of the other nodes.'],
};

/** node.actors.metrics counters (hosted actors, docs/actors.md). */
const ACTOR_COUNTERS: Record<string, [string, string]> = {
  activations: ['glup_actor_activations_total', 'Hosted actor activations started on this node.'],
  reactivations: ['glup_actor_reactivations_total', 'Activations that restored a committed state (after passivation, a move or a failover).'],
  messages: ['glup_actor_messages_total', 'Events processed by hosted actors on this node.'],
  commits: ['glup_actor_commits_total', 'Hosted actor states committed from this node.'],
  staleActivations: ['glup_actor_stale_activations_total', 'Activations stopped because another activation of the actor committed first.'],
};

const ROLES = ['manager', 'backup', 'client', 'joining', 'isolated', 'stopped'] as const;
const MEMBER = new Set(['manager', 'backup', 'client']);

export interface NodeMetricsRegistry {
  readonly registry: Registry;
  /** Ready: a member with quorum (what /readyz answers). */
  ready(): { ready: boolean; reason: string };
  close(): void;
}

export function nodeMetrics(node: MetricsSource, opts: MetricsOptions = {}): NodeMetricsRegistry {
  const registry = new Registry();
  registry.setDefaultLabels({ cluster: node.cluster, node: node.id });
  if (opts.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // gauges named *_total break the Prometheus naming rule (promtool check metrics refuses
    // them); each is the sum of its per-type gauge without the suffix, which stays
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  }
  const registers = [registry];
  let quorum = true;
  let managerCommit: number | null = null;

  new Gauge({
    name: 'glup_role',
    help: '1 for the role this node holds now, 0 for the others.',
    labelNames: ['role'],
    registers,
    collect() {
      for (const r of ROLES) this.set({ role: r }, node.role === r ? 1 : 0);
    },
  });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({ name, help, registers, collect() {
      this.set(read());
    } });
  gauge('glup_store_failing', '1 while this node\'s store fails with a disk error (ENOSPC, EIO, EROFS…): the node acks nothing and stops until the store takes writes again.', () => (node.storeHealth?.state === 'failing' ? 1 : 0));
  gauge('glup_store_failures', 'Store operations that failed with a disk error, in this node\'s life.', () => node.storeHealth?.failures ?? 0);
  gauge('glup_epoch', 'Epoch this node is in (a fencing token: it only grows).', () => node.epoch);
  gauge('glup_committed_seq', 'Highest committed GLUP seq applied on this node.', () => node.committedSeq);
  gauge('glup_last_seq', 'Highest seq in this node\'s log, committed or not.', () => node.status().lastSeq);
  gauge('glup_quorum', '1 when this node is a member that sees a majority (or quorum: none), else 0.', () => (MEMBER.has(node.role) && quorum ? 1 : 0));
  gauge('glup_members', 'Members in the committed membership this node holds (0 while not a member).', () => (MEMBER.has(node.role) ? Object.keys(node.db.nodes).length : 0));
  gauge('glup_lag_seqs', 'Committed updates this node has not applied yet: the manager\'s commit point from its last heartbeat minus this node\'s committed seq (0 on the manager, or without multicast heartbeats).', () =>
    node.role === 'manager' || managerCommit === null ? 0 : Math.max(0, managerCommit - node.committedSeq),
  );
  if (node.actors) gauge('glup_activations', 'Hosted actor activations on this node.', () => node.actors!.list().length);

  const counter = (name: string, help: string, read: () => number) => {
    let reported = 0;
    new Counter({
      name,
      help,
      registers,
      collect() {
        const value = read();
        // a counter that went down belongs to a restarted node object: start over
        if (value < reported) {
          this.reset();
          reported = 0;
        }
        this.inc(value - reported);
        reported = value;
      },
    });
  };
  for (const [key, [name, help]] of Object.entries(COUNTERS)) counter(name, help, () => node.metrics[key] ?? 0);
  const actorMetrics = node.actors?.metrics as Record<string, number> | undefined;
  if (actorMetrics) for (const [key, [name, help]] of Object.entries(ACTOR_COUNTERS)) counter(name, help, () => actorMetrics[key] ?? 0);

  const commitLatency = new Histogram({
    name: 'glup_commit_latency_seconds',
    help: 'For updates this node submitted: time from the manager sequencing the update (record ts) to its commit being applied here. Across hosts it includes their clock offset.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const failover = new Histogram({
    name: 'glup_failover_seconds',
    help: 'Seen from this node: time from the last heartbeat of the previous manager to the first heartbeat of its successor (failover, handover or switchover). Multicast heartbeats only.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
    registers,
  });
  const heartbeatGap = new Histogram({
    name: 'glup_heartbeat_gap_seconds',
    help: 'Time between consecutive heartbeats of the same manager or backup as they arrived here (multicast heartbeats only).',
    labelNames: ['role'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10],
    registers,
  });
  const outOfMembership = new Histogram({
    name: 'glup_membership_gap_seconds',
    help: 'Time this node spent out of the member roles (joining or isolated) before it was a member again.',
    buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120],
    registers,
  });

  let leftMembershipAt: number | null = MEMBER.has(node.role) ? null : node.clock.now();
  const offs = [
    node.on('quorum', (q: boolean) => {
      quorum = q;
    }),
    node.on('role', (role: string) => {
      const now = node.clock.now();
      if (MEMBER.has(role)) {
        if (leftMembershipAt !== null) outOfMembership.observe((now - leftMembershipAt) / 1000);
        leftMembershipAt = null;
        quorum = true;
      } else if (leftMembershipAt === null && role !== 'stopped') {
        leftMembershipAt = now;
      }
    }),
    node.on('update', (r: UpdateRecord) => {
      if (r.origin === node.id) commitLatency.observe(Math.max(0, node.clock.now() - r.ts) / 1000);
    }),
  ];
  const wire = opts.transport
    ? observeHeartbeats(opts.transport, node.cluster, {
        gap: (ms, _from, role) => heartbeatGap.observe({ role }, ms / 1000),
        managerChanged: (ms) => failover.observe(ms / 1000),
        managerCommit: (seq) => {
          managerCommit = seq;
        },
      })
    : null;

  return {
    registry,
    ready() {
      if (node.storeHealth?.state === 'failing') return { ready: false, reason: `${node.id}'s store is failing` };
      if (!MEMBER.has(node.role)) return { ready: false, reason: `${node.id} is ${node.role}, not a member` };
      if (!quorum) return { ready: false, reason: `${node.id} has no quorum` };
      return { ready: true, reason: `${node.id} is ${node.role} with quorum` };
    },
    close() {
      for (const off of offs) off();
      wire?.unsubscribe();
      registry.clear();
    },
  };
}

export interface MetricsServer {
  /** The bound port (the OS chooses one when asked for 0). */
  readonly port: number;
  readonly host: string;
  readonly metrics: NodeMetricsRegistry;
  close(): Promise<void>;
}

export function startMetricsServer(node: MetricsSource, listen: { port: number; host?: string }, opts: MetricsOptions = {}): Promise<MetricsServer> {
  const host = listen.host ?? '127.0.0.1';
  const metrics = nodeMetrics(node, opts);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (e) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(e)}\n`),
      );
    } else if (path === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const r = metrics.ready();
      res.writeHead(r.ready ? 200 : 503, { 'content-type': 'text/plain' }).end(`${r.reason}\n`);
    } else if (path === '/status') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(node.status()));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /livez, /readyz or /status\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e) => {
      metrics.close();
      reject(e);
    });
    server.listen(listen.port, host, () => {
      server.removeAllListeners('error');
      resolve({
        port: (server.address() as AddressInfo).port,
        host,
        metrics,
        close: () =>
          new Promise<void>((done) => {
            metrics.close();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
