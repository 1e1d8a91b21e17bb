/**
 * The tool side of the data commands (SPEC section 9): `glup get/put/delete/cas/watch`.
 * The tool finds a member (the manager when one answers, else the member that has committed
 * the most), addresses it alone (session.ask) and, for a write, keeps one submission id
 * `<as>:<random>` for all its attempts: an attempt that gets no answer, or a node that cannot
 * serve (NO_QUORUM, NOT_MEMBER, STOPPED), is retried with the same id, through another node
 * if need be, until the deadline. The coordinator commits an id once, so a write whose answer
 * was lost is not applied twice.
 */
import { randomBytes } from 'node:crypto';
import type { Envelope } from '../bus/envelope.js';
import { subjects } from '../bus/transport.js';
import type { UpdateRecord } from '../db/types.js';
import { GlupError } from '../errors.js';
import type { WatchEventBody } from '../actors/dataAdmin.js';
import { MEMBER_ROLES, pickManager, withSession, type Session, type ToolOptions } from './session.js';

export interface DataOptions extends ToolOptions {
  /** How long a command keeps trying (default 30 s). */
  timeoutMs?: number;
}

export type WriteAction =
  | { action: 'put'; path: string; value: unknown }
  | { action: 'delete'; path: string }
  | { action: 'cas'; path: string; expect: unknown; value: unknown };

/** How long to look for a member before giving up on this attempt. */
const FIND_MS = 3000;
/** One attempt: a GLUP round trip, or the node's own update timeout answering TIMEOUT first. */
const ATTEMPT_MS = 15_000;
const RETRY_PAUSE_MS = 250;
/** Answers after which another attempt may succeed (elsewhere, or later). */
const RETRYABLE = new Set(['TIMEOUT', 'NO_QUORUM', 'NOT_MEMBER', 'STOPPED']);

export function dataGet(opts: DataOptions, path: string): Promise<{ path: string; value: unknown; seq: number; node: string }> {
  return withSession(opts, (s) =>
    retrying(s, opts, async (node, remaining) => {
      const r = await s.ask(node, { action: 'get', path }, Math.min(remaining, ATTEMPT_MS));
      return { path, value: r.value ?? null, seq: Number(r.seq), node };
    }),
  );
}

export function dataWrite(opts: DataOptions, write: WriteAction): Promise<{ seq: number; epoch: number; node: string }> {
  return withSession(opts, (s) => {
    const id = `${s.as}:${randomBytes(8).toString('hex')}`;
    return retrying(s, opts, async (node, remaining) => {
      const r = await s.ask(node, { ...write, id }, Math.min(remaining, ATTEMPT_MS));
      return { seq: Number(r.seq), epoch: Number(r.epoch), node };
    });
  });
}

/**
 * Streams committed records touching `prefix` to `onRecord`, in seq order without repeats,
 * history first from `fromSeq`, until `signal` aborts. The watch is a lease on one member,
 * renewed every second; when that member stops answering the tool moves to another and
 * resumes at the seq after the last one it printed.
 */
export function dataWatch(opts: DataOptions, prefix: string, fromSeq: number | undefined, onRecord: (r: UpdateRecord) => void, signal: AbortSignal): Promise<void> {
  return withSession(opts, async (s) => {
    const clock = s.bus.transport.clock;
    let next = fromSeq;
    let serving: { node: string; watchId: string } | null = null;
    let failure: GlupError | null = null;
    let wake: (() => void) | null = null;
    const nudge = () => wake?.();
    s.bus.subscribe(subjects.nodeAll(s.cluster, s.as), (env: Envelope) => {
      if (env.type !== 'watch-event' || !serving || env.from !== serving.node) return;
      const b = env.body as WatchEventBody;
      if (b.watchId !== serving.watchId) return;
      if ('error' in b) {
        // the node stopped or cannot serve this seq: a node that stopped is replaced, a compacted seq is final
        if (b.error.code === 'INVALID_OP') failure = new GlupError('INVALID_OP', b.error.message);
        serving = null;
        return nudge();
      }
      if (next !== undefined && b.record.seq < next) return;
      next = b.record.seq + 1;
      onRecord(b.record);
    });
    await s.bus.transport.flush();
    signal.addEventListener('abort', nudge, { once: true });
    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        const t = clock.setTimeout(resolve, ms);
        wake = () => {
          clock.clearTimeout(t);
          resolve();
        };
      });
    while (!signal.aborted) {
      if (failure) throw failure;
      if (!serving) {
        const node = await findMember(s).catch(() => null);
        if (!node) {
          await pause(RETRY_PAUSE_MS * 4);
          continue;
        }
        const watchId = randomBytes(6).toString('hex');
        // serving before the answer: the first records can arrive before the reply is handled
        serving = { node, watchId };
        try {
          const r = await s.ask(node, { action: 'watch', watchId, prefix, leaseMs: 5000, ...(next !== undefined && { fromSeq: next }) }, FIND_MS);
          next ??= Number(r.startSeq);
        } catch (e) {
          serving = null;
          if (e instanceof GlupError && !RETRYABLE.has(e.code)) throw e;
          await pause(RETRY_PAUSE_MS);
          continue;
        }
      } else {
        try {
          await s.ask(serving.node, { action: 'watch', watchId: serving.watchId, prefix }, FIND_MS);
        } catch {
          serving = null;
          continue;
        }
      }
      await pause(1000);
    }
  });
}

/** The member to address: the manager of the highest epoch, else the most advanced member that answered. */
async function findMember(s: Session): Promise<string> {
  const replies = await s.statuses(FIND_MS, (got) => pickManager(got) !== undefined);
  const manager = pickManager(replies);
  if (manager) return manager.id;
  const member = replies.filter((r) => MEMBER_ROLES.includes(r.role)).sort((a, b) => b.committedSeq - a.committedSeq)[0];
  if (member) return member.id;
  const seen = replies.map((r) => `${r.id} (${r.role})`).join(', ');
  throw new GlupError(replies.some((r) => r.role === 'isolated') ? 'NO_QUORUM' : 'TIMEOUT', `no member of cluster ${s.cluster} answered within ${FIND_MS} ms${seen ? `; heard: ${seen}` : ''}`);
}

async function retrying<T>(s: Session, opts: DataOptions, attempt: (node: string, remainingMs: number) => Promise<T>): Promise<T> {
  const clock = s.bus.transport.clock;
  const deadline = clock.now() + (opts.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    const remaining = deadline - clock.now();
    if (remaining <= 0) break;
    try {
      return await attempt(await findMember(s), remaining);
    } catch (e) {
      if (!(e instanceof GlupError) || !RETRYABLE.has(e.code)) throw e;
      last = e;
    }
    await new Promise<void>((resolve) => clock.setTimeout(resolve, RETRY_PAUSE_MS));
  }
  throw last instanceof GlupError ? last : new GlupError('TIMEOUT', `cluster ${s.cluster}: no answer within ${opts.timeoutMs ?? 30_000} ms`);
}
