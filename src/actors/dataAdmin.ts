/**
 * The node side of the data commands (SPEC section 9: `glup get/put/delete/cas/watch`):
 * `admin-request` actions answered by the member node the tool addressed, through the
 * node's public API only (`db`, `committedSeq`, `update`, `watch`), so they survive any
 * rewrite of the core.
 *
 * - get: the committed value and the seq it was read at. A member answers from its own
 *   committed database (the tool asks the manager when there is one).
 * - put / delete / cas: one `node.update` with the tool's submission id. A tool that got no
 *   answer resends the same id, possibly through another node; the coordinator commits an
 *   id once and answers a repeat with the first result.
 * - watch: a lease. Records touching the prefix go to the tool as `watch-event` unicasts
 *   (`glup.C.node.<tool>.<node>`) while the tool renews the lease; a tool that goes away
 *   costs the node at most one lease of work.
 */
import type { Envelope } from '../bus/envelope.js';
import type { MessageType } from '../bus/messageTypes.js';
import type { Clock } from '../clock.js';
import { getAt, parsePath } from '../db/paths.js';
import type { ClusterDb, DataOp, UpdateRecord } from '../db/types.js';
import { GlupError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Role } from './types.js';

export interface DataHost {
  readonly id: string;
  readonly role: Role;
  readonly db: ClusterDb;
  readonly committedSeq: number;
  readonly clock: Clock;
  readonly logger: Logger;
  update(op: DataOp, opts?: { id?: string }): Promise<{ seq: number; epoch: number }>;
  watch(prefix: string, opts?: { fromSeq?: number }): AsyncIterableIterator<UpdateRecord>;
  sendTo(node: string, type: MessageType, body: unknown): void;
}

export const DATA_ACTIONS = ['get', 'put', 'delete', 'cas', 'watch'] as const;
export type DataAction = (typeof DATA_ACTIONS)[number];

export function isDataAction(a: unknown): a is DataAction {
  return typeof a === 'string' && (DATA_ACTIONS as readonly string[]).includes(a);
}

/** The body of a `watch-event`: one record, or the end of the watch with the reason. */
export type WatchEventBody = { watchId: string; record: UpdateRecord } | { watchId: string; error: { code: string; message: string } };

const DEFAULT_LEASE_MS = 5000;
const MAX_LEASE_MS = 60_000;
/** Watches one node serves at once: each holds a listener and a backlog reader. */
const MAX_WATCHES = 64;

interface Watch {
  leaseUntil: number;
  stop(): void;
}

const watchesOf = new WeakMap<DataHost, Map<string, Watch>>();

type Reply = (type: MessageType, body: unknown) => void;

export function answerData(node: DataHost, env: Envelope, reply: Reply): void {
  const b = env.body as Record<string, unknown>;
  const fail = (e: unknown) => {
    const code = e instanceof GlupError ? e.code : 'INVALID_OP';
    reply('admin-reply', { ok: false, code, message: (e as Error).message.replace(/^[A-Z_]+: /, '') });
  };
  try {
    if (node.role === 'isolated') throw new GlupError('NO_QUORUM', `${node.id} is isolated from the majority`);
    if (node.role !== 'manager' && node.role !== 'backup' && node.role !== 'client') throw new GlupError('NOT_MEMBER', `${node.id} is ${node.role}, not a member`);
    switch (b.action as DataAction) {
      case 'get': {
        const seq = node.committedSeq;
        const value = getAt(node.db.data, parsePath(b.path as string));
        reply('admin-reply', { ok: true, path: b.path, value: value === undefined ? null : value, seq });
        return;
      }
      case 'put':
      case 'delete':
      case 'cas': {
        const id = submissionId(env, b.id);
        const op = dataOp(b);
        node.update(op, { id }).then((r) => reply('admin-reply', { ok: true, seq: r.seq, epoch: r.epoch }), fail);
        return;
      }
      case 'watch':
        return renewWatch(node, env, b, reply);
    }
  } catch (e) {
    fail(e);
  }
}

/** A tool's submission id must start with the tool's own id (its subject's sender), so no tool can replay another's. */
function submissionId(env: Envelope, id: unknown): string {
  if (typeof id !== 'string' || !id.startsWith(`${env.from}:`) || id.length > 200) {
    throw new GlupError('INVALID_OP', `submission id must be a string "${env.from}:<unique>" of at most 200 characters`);
  }
  return id;
}

function dataOp(b: Record<string, unknown>): DataOp {
  const path = b.path as string;
  if (b.action === 'put') return { set: { path, value: b.value } };
  if (b.action === 'delete') return { delete: { path } };
  return { cas: { path, expect: b.expect, value: b.value } };
}

function renewWatch(node: DataHost, env: Envelope, b: Record<string, unknown>, reply: Reply): void {
  const watchId = b.watchId;
  if (typeof watchId !== 'string' || watchId.length === 0 || watchId.length > 64) throw new GlupError('INVALID_OP', 'watch needs a watchId (1 to 64 characters)');
  const leaseMs = Math.min(MAX_LEASE_MS, typeof b.leaseMs === 'number' && b.leaseMs > 0 ? b.leaseMs : DEFAULT_LEASE_MS);
  let watches = watchesOf.get(node);
  if (!watches) watchesOf.set(node, (watches = new Map()));
  const key = `${env.from}/${watchId}`;
  const now = node.clock.now();
  const held = watches.get(key);
  if (held) {
    held.leaseUntil = now + leaseMs;
    reply('admin-reply', { ok: true, watchId });
    return;
  }
  if (watches.size >= MAX_WATCHES) throw new GlupError('INVALID_OP', `${node.id} serves ${MAX_WATCHES} watches already`);
  const prefix = typeof b.prefix === 'string' ? b.prefix : '';
  if (prefix !== '') parsePath(prefix);
  const fromSeq = typeof b.fromSeq === 'number' && Number.isSafeInteger(b.fromSeq) && b.fromSeq >= 1 ? b.fromSeq : undefined;
  // where the watch starts, so a tool that moves to another node resumes without a gap
  const startSeq = fromSeq ?? node.committedSeq + 1;
  const records = node.watch(prefix, { fromSeq: startSeq });
  const send = (body: WatchEventBody) => node.sendTo(env.from, 'watch-event', body);
  let timer: unknown;
  const watch: Watch = {
    leaseUntil: now + leaseMs,
    stop: () => {
      if (watches.get(key) !== watch) return;
      watches.delete(key);
      node.clock.clearTimeout(timer);
      void records.return?.(undefined);
    },
  };
  watches.set(key, watch);
  const checkLease = () => {
    if (node.clock.now() >= watch.leaseUntil) return watch.stop();
    timer = node.clock.setTimeout(checkLease, Math.max(1, watch.leaseUntil - node.clock.now()));
  };
  timer = node.clock.setTimeout(checkLease, leaseMs);
  reply('admin-reply', { ok: true, watchId, startSeq });
  void (async () => {
    try {
      for await (const record of records) send({ watchId, record });
      // the records end when the node stops (or when the lease ran out: then nobody listens)
      if (watches.get(key) === watch) send({ watchId, error: { code: 'STOPPED', message: `${node.id} stopped` } });
    } catch (e) {
      const code = e instanceof GlupError ? e.code : 'INVALID_OP';
      send({ watchId, error: { code, message: (e as Error).message.replace(/^[A-Z_]+: /, '') } });
    } finally {
      watch.stop();
    }
  })();
}
