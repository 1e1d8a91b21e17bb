/**
 * The dashboard's view of a running cluster: a bus endpoint speaking as the tool's id that
 *   - polls every node's status (`status-request` on the admin subject, replies to an inbox),
 *     so roles, epochs, seqs and reachability are known even for nodes that serve no feed;
 *   - keeps a lease on every node's inspection feed (`inspect-request`, src/actors/inspectFeed.ts)
 *     and turns the batches into the trace's line kinds;
 *   - keeps the databases the feeds send, by seq.
 * The page polls `poll(cursor)` for what is new. Time is the transport clock's (wall time
 * on NATS): the nodes' inspection times and the status times are on one axis.
 */
import type { FeedBatch, FeedEvent } from '../actors/inspectFeed.js';
import { asStatusReply, type StatusReply } from '../admin/client.js';
import { createBus } from '../bus/bus.js';
import type { Envelope } from '../bus/envelope.js';
import { subjects, type Transport } from '../bus/transport.js';
import type { ClusterDb } from '../db/types.js';
import { inspectionLine, type TraceEventLine } from '../scenario/trace.js';
import type { DashboardLine, StatusLine } from './data.js';

export interface LiveOptions {
  transport: Transport;
  cluster: string;
  /** The tool's id: the envelopes' `from` and the last token of its subjects. */
  as: string;
  pollMs?: number;
  /** How long a node keeps feeding without a renewal; renewed every leaseMs / 3. */
  leaseMs?: number;
  /** Lines kept (the oldest go first). */
  maxLines?: number;
}

export interface LivePoll {
  /** Pass it back as `since` next time. */
  cursor: number;
  events: DashboardLine[];
  /** Databases received since `dbSince`, by seq. */
  dbs: Record<string, ClusterDb>;
  dbCursor: number;
  now: number;
}

export interface LiveSource {
  poll(since: number, dbSince: number): LivePoll;
  /** Nodes heard from so far. */
  readonly nodes: string[];
  close(): void;
}

const DEFAULT_POLL_MS = 1000;
const DEFAULT_LEASE_MS = 10_000;
const DEFAULT_MAX_LINES = 50_000;
const MAX_DBS = 200;
/** A node that has not answered this many polls in a row is unreachable. */
const MISSED_POLLS = 3;

export function connectLive(opts: LiveOptions): LiveSource {
  const clock = opts.transport.clock;
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const maxLines = opts.maxLines ?? DEFAULT_MAX_LINES;
  const bus = createBus({ transport: opts.transport, cluster: opts.cluster, node: opts.as });
  const lines: DashboardLine[] = [];
  let dropped = 0;
  const dbs: { seq: number; db: ClusterDb }[] = [];
  let dbsDropped = 0;
  const replies = new Map<string, { reply: StatusReply; at: number }>();
  /** The manager's table: every member, answering or not. */
  let members: Record<string, { role: string; status: string }> = {};
  let membersEpoch = 0;
  const lastStatus = new Map<string, string>();
  /** Per node: its feed and the position of the next event not taken yet (a renewed lease resends the recent past). */
  const seen = new Map<string, { feed: string; next: number; t: number }>();
  const actorsSeen = new Set<string>();

  const push = (line: DashboardLine) => {
    lines.push(line);
    if (lines.length > maxLines * 1.1) {
      const cut = lines.length - maxLines;
      lines.splice(0, cut);
      dropped += cut;
    }
  };

  const take = (line: TraceEventLine) => {
    if (line.kind === 'transition') actorsSeen.add(`${line.node}\u0000${line.actor}`);
    push(line);
  };

  const onBatch = (env: Envelope) => {
    const b = env.body as Partial<FeedBatch> | null;
    if (!b || typeof b.node !== 'string' || b.node !== env.from || !Array.isArray(b.events) || typeof b.offset !== 'number' || typeof b.feed !== 'string') return;
    const node = b.node;
    let s = seen.get(node);
    if (!s || s.feed !== b.feed) seen.set(node, (s = { feed: b.feed, next: 0, t: -Infinity }));
    b.events.forEach((e, i) => {
      if (b.offset! + i < s!.next) return;
      const line = feedLine(node, e as FeedEvent);
      if (line) {
        take(line);
        s!.t = Math.max(s!.t, line.t);
      }
    });
    s.next = Math.max(s.next, b.offset + b.events.length);
    // A tool that arrives late has not seen the transitions into the current states.
    if (b.first && b.actors && typeof b.actors === 'object') {
      const t = Number.isFinite(s.t) ? s.t : clock.now();
      for (const [actor, value] of Object.entries(b.actors)) {
        if (!actorsSeen.has(`${node}\u0000${actor}`)) take({ kind: 'transition', node, actor, event: '(current)', from: null, to: value, t });
      }
    }
    if (b.db && typeof b.dbSeq === 'number' && !dbs.some((d) => d.seq === b.dbSeq)) {
      dbs.push({ seq: b.dbSeq, db: b.db });
      if (dbs.length > MAX_DBS) {
        dbs.shift();
        dbsDropped++;
      }
    }
  };

  /** A status reply: gathered from the tool's inbox, so only the node's own claim (docs/security.md). */
  const onStatus = (env: Envelope) => {
    if (env.type !== 'status-reply') return;
    const reply = asStatusReply(env.body);
    if (!reply || reply.id !== env.from) return;
    replies.set(reply.id, { reply, at: clock.now() });
    // a deposed manager that has not noticed yet must not overrule its successor's table
    if (reply.role === 'manager' && reply.nodes && reply.epoch >= membersEpoch) {
      members = reply.nodes;
      membersEpoch = reply.epoch;
    }
  };
  const subs = [
    // the feed comes on this tool's node subject, from each node (the sender last)
    bus.subscribe(subjects.nodeAll(opts.cluster, opts.as), (env) => {
      if (env.type === 'inspect-feed') onBatch(env);
    }),
  ];

  /** One status line per node whose view changed since the last poll. */
  const statusLines = () => {
    const now = clock.now();
    const ids = new Set([...replies.keys(), ...Object.keys(members)]);
    for (const node of ids) {
      const r = replies.get(node);
      const reachable = r !== undefined && now - r.at <= MISSED_POLLS * pollMs + pollMs / 2;
      const row = members[node];
      const line: StatusLine = {
        kind: 'status',
        node,
        role: r?.reply.role ?? row?.role ?? 'unknown',
        epoch: r?.reply.epoch ?? 0,
        committedSeq: r?.reply.committedSeq ?? 0,
        lastSeq: r?.reply.lastSeq ?? 0,
        manager: r?.reply.manager ?? null,
        backup: r?.reply.backup ?? null,
        reachable,
        // silent, and the manager's table has dropped it or marks it failed: gone, not just cut off
        down: !reachable && Object.keys(members).length > 0 && (row === undefined || row.status !== 'up'),
        t: now,
      };
      const key = JSON.stringify({ ...line, t: 0 });
      if (lastStatus.get(node) === key) continue;
      lastStatus.set(node, key);
      push(line);
    }
  };

  let closed = false;
  let lastLease = -Infinity;
  let timer: unknown = null;
  const tick = () => {
    if (closed) return;
    statusLines();
    try {
      void bus.gather(subjects.admin(opts.cluster, opts.as), 'status-request', {}, { epoch: 0, timeoutMs: pollMs, onReply: onStatus }).catch(() => undefined);
      if (clock.now() - lastLease >= leaseMs / 3) {
        bus.publish(subjects.admin(opts.cluster, opts.as), 'inspect-request', { leaseMs }, { epoch: 0 });
        lastLease = clock.now();
      }
    } catch {
      // a closed or reconnecting connection: the next tick tries again
    }
    timer = clock.setTimeout(tick, pollMs);
  };
  tick();

  return {
    poll(since, dbSince) {
      statusLines();
      const from = Math.max(0, since - dropped);
      const dbFrom = Math.max(0, dbSince - dbsDropped);
      return {
        cursor: dropped + lines.length,
        events: lines.slice(from),
        dbs: Object.fromEntries(dbs.slice(dbFrom).map((d) => [String(d.seq), d.db])),
        dbCursor: dbsDropped + dbs.length,
        now: clock.now(),
      };
    },
    get nodes() {
      return [...new Set([...replies.keys(), ...Object.keys(members), ...seen.keys()])];
    },
    close() {
      if (closed) return;
      closed = true;
      if (timer !== null) clock.clearTimeout(timer);
      try {
        // end the leases now rather than when they run out
        bus.publish(subjects.admin(opts.cluster, opts.as), 'inspect-request', { leaseMs: 0 }, { epoch: 0 });
      } catch {
        // closing anyway
      }
      for (const s of subs) s.unsubscribe();
      bus.close();
    },
  };
}

/** A feed event as a line of the trace's kinds; null for what the page does not draw. */
function feedLine(node: string, e: FeedEvent): TraceEventLine | null {
  if (typeof e !== 'object' || e === null || typeof e.t !== 'number') return null;
  if (e.type === 'role') return { kind: 'role', node, role: e.role, epoch: e.epoch, t: e.t };
  if (e.type === 'commit') return { kind: 'commit', node, seq: e.seq, epoch: e.epoch, origin: e.origin, op: e.op as never, t: e.t };
  if (e.type === 'transition' || e.type === 'event' || e.type === 'action' || e.type === 'message') return { ...inspectionLine(e), node };
  return null;
}
