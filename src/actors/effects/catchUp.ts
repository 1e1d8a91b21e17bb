/**
 * Catching up before a ballot (docs/protocol.md 4.2, 4.3): a candidate or a backup that is
 * behind a node that answered it fetches the records it lacks, from its own commit point
 * on, and appends them with the same log-matching rule a follower uses.
 */
import type { Body } from '../../bus/bodies.js';
import type { UpdateRecord } from '../../db/types.js';
import { compareLogs, epochAt, matchAppend, type LogPosition } from '../../machines/rules/log.js';
import type { SnapshotRecord } from '../../persistence/store.js';
import type { NodeHost } from '../host.js';

/** Replies to this node's fetches, by the node asked. */
export class FetchReplies {
  private readonly waiting = new Map<string, (b: Body<'fetch-reply'>) => void>();

  wait(host: NodeHost, node: string, ms: number): Promise<Body<'fetch-reply'> | null> {
    return new Promise((resolve) => {
      const timer = host.clock.setTimeout(() => {
        this.waiting.delete(node);
        resolve(null);
      }, ms);
      this.waiting.set(node, (b) => {
        host.clock.clearTimeout(timer);
        this.waiting.delete(node);
        resolve(b);
      });
    });
  }

  /** A fetch-reply is accepted only from the node this node asked. */
  deliver(from: string, body: Body<'fetch-reply'>): void {
    this.waiting.get(from)?.(body);
  }
}

export async function fetchLog(host: NodeHost, replies: FetchReplies, target: { node: string; position: LogPosition }): Promise<LogPosition> {
  const deadline = host.clock.now() + host.settings.updateTimeoutMs;
  while (compareLogs(host.position(), target.position) < 0) {
    if (host.clock.now() >= deadline) throw new Error(`catch-up from ${target.node} timed out`);
    const from = host.replica.committedSeq + 1;
    host.sendTo(target.node, 'fetch', { from, to: target.position.lastSeq });
    const reply = await replies.wait(host, target.node, host.settings.retransmitMs);
    if (reply) await applyFetched(host, reply, from);
  }
  host.toActor('follower', { type: 'RESYNC', log: host.replica.index });
  return host.position();
}

async function applyFetched(host: NodeHost, reply: Body<'fetch-reply'>, from: number): Promise<void> {
  const r = host.replica;
  if (reply.snapshot && reply.snapshot.seq > r.committedSeq) await r.resetTo(reply.snapshot as unknown as SnapshotRecord);
  const records = (reply.records as unknown as UpdateRecord[]).filter((x) => x.seq > r.committedSeq);
  if (!records.length) return;
  const prevSeq = records[0]!.seq - 1;
  if (prevSeq > r.lastSeq || prevSeq < r.committedSeq) return;
  const plan = matchAppend(r.index, { seq: prevSeq, epoch: epochAt(r.index, prevSeq) ?? 0 }, records.map((x) => ({ seq: x.seq, epoch: x.epoch })));
  if (plan.kind !== 'append') return;
  if (plan.truncateAfter !== null) await r.truncateAfter(plan.truncateAfter);
  const fresh = records.slice(plan.held);
  r.stageBatch(fresh);
  await r.persist(fresh);
  // what the node it came from had committed is committed cluster-wide
  const committed = r.commitTo(Math.min(reply.commitSeq, r.lastSeq));
  host.committed(committed, false);
  void from;
}

/** Answers a fetch from this node's log: records from `from` (a snapshot first when compacted away). */
export function answerFetch(host: NodeHost, to: string, b: Body<'fetch'>): void {
  const r = host.replica;
  const last = Math.min(b.to, r.lastSeq, b.from + 4095);
  const body =
    b.from < r.firstHeldSeq
      ? { snapshot: r.committedSnapshot(), records: r.range(r.committedSeq + 1, last), commitSeq: r.committedSeq }
      : { records: r.range(b.from, last), commitSeq: r.committedSeq };
  host.sendTo(to, 'fetch-reply', body);
}
