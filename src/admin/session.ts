/**
 * A tool's short-lived place on a cluster's bus (glup status, switchover, remove, the data
 * commands): a NATS connection and a bus endpoint that speaks as the tool's id (`--as`), so
 * every subject it publishes on ends in that id (SPEC section 8).
 *
 * - `statuses` asks every node at once (`status-request` on `glup.C.admin.<as>`), replies to
 *   an inbox. Whoever answers is shown; the replies are claims of the nodes that received
 *   the request (a reply on an inbox names no sender the server checked).
 * - `ask` addresses one node: `admin-request` on `glup.C.node.<to>.<as>`, which only `to`
 *   receives, so with `allow_responses` only `to` can answer; the bus also drops a reply
 *   whose `from` is not `to`.
 */
import { randomBytes } from 'node:crypto';
import { createBus, type Bus } from '../bus/bus.js';
import type { Envelope } from '../bus/envelope.js';
import { natsTransport, type NatsTransportOptions } from '../bus/nats.js';
import { subjects, type Transport } from '../bus/transport.js';
import { GlupError, isGlupErrorCode } from '../errors.js';
import type { Logger } from '../log.js';

export interface ToolOptions {
  cluster: string;
  /** NATS URL(s), comma separated, when `connection` is not given. */
  nats?: string;
  /** Everything the connection needs (credentials, TLS); `name` is set to `as`. */
  connection?: NatsTransportOptions;
  /** The id the tool speaks as; default `cli-<random>`. */
  as?: string;
  /** A transport of your own (tests, embedding); the session does not close it. */
  transport?: Transport;
  logger?: Logger;
}

/** The body of a `status-reply`: a node's status() plus its committed tables. */
export interface StatusReply {
  id: string;
  role: string;
  epoch: number;
  manager: string | null;
  backup: string | null;
  committedSeq: number;
  lastSeq: number;
  metrics: Record<string, number>;
  nodes?: Record<string, { role: string; status: string }>;
  groups?: Record<string, string[]>;
  activations?: number;
}

export interface Session {
  readonly bus: Bus;
  readonly cluster: string;
  readonly as: string;
  /**
   * Status replies within `timeoutMs`; `enough` may end the wait early (it sees the replies
   * so far after each one and returns true to stop, or a number of ms to wait at most from now).
   */
  statuses(timeoutMs: number, enough?: (replies: StatusReply[]) => boolean | number): Promise<StatusReply[]>;
  /** One admin-request to node `to`; an `{ok:false, code, message}` answer rejects with that GlupError. */
  ask(to: string, body: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>>;
}

export async function withSession<T>(opts: ToolOptions, fn: (s: Session) => Promise<T>): Promise<T> {
  const as = opts.as ?? `cli-${randomBytes(4).toString('hex')}`;
  let transport = opts.transport;
  const owned = transport === undefined;
  if (!transport) {
    const connection: NatsTransportOptions = { ...(opts.connection ?? { servers: splitServers(opts.nats ?? 'nats://127.0.0.1:4222') }), name: as };
    if (opts.logger) connection.logger = opts.logger;
    try {
      // The first connect fails fast on a dead server or refused credentials; every later wait is bounded.
      transport = await natsTransport(connection);
    } catch (e) {
      const servers = [connection.servers].flat().join(',');
      throw new GlupError('TIMEOUT', `cannot connect to NATS at ${servers}: ${(e as Error).message}`, { cause: e });
    }
  }
  const bus = createBus({ transport, cluster: opts.cluster, node: as, ...(opts.logger && { logger: opts.logger }) });
  const session: Session = {
    bus,
    cluster: opts.cluster,
    as,
    statuses: (timeoutMs, enough) => gatherStatuses(bus, as, timeoutMs, enough),
    ask: (to, body, timeoutMs) => ask(bus, as, to, body, timeoutMs),
  };
  try {
    return await fn(session);
  } finally {
    bus.close();
    if (owned) await transport.close();
  }
}

export function splitServers(nats: string): string[] {
  return nats.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

async function gatherStatuses(bus: Bus, as: string, timeoutMs: number, enough?: (replies: StatusReply[]) => boolean | number): Promise<StatusReply[]> {
  const byNode = new Map<string, StatusReply>();
  const clock = bus.transport.clock;
  let graceTimer: unknown;
  try {
    await bus.gather(subjects.admin(bus.cluster, as), 'status-request', {}, {
      epoch: 0,
      timeoutMs,
      onReply: (env, finish) => {
        if (env.type !== 'status-reply') return;
        const reply = asStatusReply(env.body);
        // a reply must describe its sender: a node answering for another is ignored
        if (!reply || reply.id !== env.from) return;
        byNode.set(reply.id, reply);
        const verdict = enough?.([...byNode.values()]);
        if (verdict === true) finish();
        else if (typeof verdict === 'number' && graceTimer === undefined) graceTimer = clock.setTimeout(finish, verdict);
      },
    });
  } finally {
    if (graceTimer !== undefined) clock.clearTimeout(graceTimer);
  }
  return [...byNode.values()];
}

async function ask(bus: Bus, as: string, to: string, body: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
  const env: Envelope = await bus.request(subjects.node(bus.cluster, to, as), 'admin-request', { ...body, to }, { epoch: 0, timeoutMs, to });
  const reply = (typeof env.body === 'object' && env.body !== null ? env.body : {}) as Record<string, unknown>;
  if (reply.ok === true) return reply;
  const code = isGlupErrorCode(reply.code) ? reply.code : 'INVALID_OP';
  const message = typeof reply.message === 'string' ? reply.message.replace(/^[A-Z_]+: /, '') : 'refused without a reason';
  throw new GlupError(code, `${String(body.action)} refused by ${to}: ${message}`);
}

export function asStatusReply(body: unknown): StatusReply | undefined {
  const b = body as Partial<StatusReply> | null;
  if (typeof b !== 'object' || b === null) return undefined;
  if (typeof b.id !== 'string' || typeof b.role !== 'string' || typeof b.epoch !== 'number') return undefined;
  const record = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  return {
    id: b.id,
    role: b.role,
    epoch: b.epoch,
    manager: typeof b.manager === 'string' ? b.manager : null,
    backup: typeof b.backup === 'string' ? b.backup : null,
    committedSeq: typeof b.committedSeq === 'number' ? b.committedSeq : 0,
    lastSeq: typeof b.lastSeq === 'number' ? b.lastSeq : 0,
    metrics: record(b.metrics) ? b.metrics! : {},
    ...(record(b.nodes) && { nodes: b.nodes }),
    ...(record(b.groups) && { groups: b.groups }),
    ...(typeof b.activations === 'number' && { activations: b.activations }),
  };
}

/** The manager of the highest epoch: a deposed manager that has not noticed yet loses to its successor. */
export function pickManager(replies: StatusReply[]): StatusReply | undefined {
  return replies.filter((r) => r.role === 'manager').sort((a, b) => b.epoch - a.epoch)[0];
}

export const MEMBER_ROLES: readonly string[] = ['manager', 'backup', 'client'];
