/**
 * One node's subject of the JetStream log stream: publishing a record exactly once through
 * stream leader elections and server restarts, and reading the subject back in order.
 */
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from '../log.js';

/** How long an append keeps retrying a publish while JetStream recovers (leader election). */
const PUBLISH_RETRY_MS = 30_000;
/** One publish attempt: short, so a stream without a leader is retried soon after it has one. */
const PUBLISH_TIMEOUT_MS = 1000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** What a publish needs of the store: where it writes, and what it holds there. */
export interface PublishTarget {
  js: JetStreamClient;
  jsm: JetStreamManager;
  streamName: string;
  subject: string;
  /** The store, for messages. */
  where: string;
  logger: Logger;
  /** What `expect.lastSubjectSequence` must say (the store's last record's stream seq). */
  expectLast: number;
  /** Stream seqs of the records the store holds. */
  streamSeqs: readonly number[];
}

/**
 * Publishes one record and returns its stream sequence. A failed publish (a stream leader
 * election, a server restart) may or may not have stored the record: before retrying, ask
 * the stream what it holds last on this subject, so the record is stored exactly once and
 * nothing is acked before it is stored. Gives up after PUBLISH_RETRY_MS.
 */
export async function publishRecord(t: PublishTarget, seq: number, text: string, msgID: string): Promise<number> {
  const deadline = Date.now() + PUBLISH_RETRY_MS;
  let delay = 50;
  for (let attempt = 0; ; attempt++) {
    try {
      const ack = await t.js.publish(t.subject, text, { msgID, timeout: PUBLISH_TIMEOUT_MS, expect: { lastSubjectSequence: t.expectLast } });
      if (ack.duplicate) {
        if (attempt > 0) return ack.seq; // our own earlier attempt was stored
        throw new Error(`seq ${seq} was refused as a duplicate of msgID ${msgID}`);
      }
      return ack.seq;
    } catch (e) {
      if (Date.now() >= deadline) {
        throw new Error(`${t.where}: publish of seq ${seq} failed for ${PUBLISH_RETRY_MS} ms (another writer for this node?): ${(e as Error).message}`, { cause: e });
      }
      t.logger.warn('jetstream publish failed, retrying', { subject: t.subject, seq, error: (e as Error).message });
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 250);
      // only a publish that may have reached the stream (no answer in time) is ambiguous;
      // a refusal (no stream leader yet: "jetstream is not enabled") stored nothing
      if (!/timeout|timed out/i.test((e as Error).message)) continue;
      try {
        // bounded like a publish attempt: while the stream has no leader this would hang
        const last = await withTimeout(t.jsm.streams.getMessage(t.streamName, { last_by_subj: t.subject }), PUBLISH_TIMEOUT_MS);
        if (last && last.header?.get('Nats-Msg-Id') === msgID) return last.seq;
        if (last && last.seq > t.expectLast && !t.streamSeqs.includes(last.seq)) {
          // someone else wrote on our subject: that is the other-writer case, not a lost ack
          throw new Error(`${t.where}: another writer for this node wrote stream seq ${last.seq} on ${t.subject}`);
        }
      } catch (inner) {
        if ((inner as Error).message.includes('another writer')) throw inner;
        // the stream is still electing a leader: try again
      }
    }
  }
}

/** Reads `subject`'s messages with stream seq in [from, to] through an ordered consumer. */
export async function replaySubject(
  t: Pick<PublishTarget, 'js' | 'streamName' | 'subject'>,
  from: number,
  to: number,
  onMessage: (text: string, streamSeq: number) => void,
): Promise<void> {
  const consumer = await t.js.consumers.get(t.streamName, {
    filter_subjects: t.subject,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: from,
  });
  const messages = await consumer.consume();
  try {
    for await (const m of messages) {
      onMessage(m.string(), m.seq);
      if (m.seq >= to || m.info.pending === 0) break;
    }
  } finally {
    messages.stop();
  }
}
