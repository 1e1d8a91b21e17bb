import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { UpdateRecord } from '../db/types.js';
import { silentLogger, type Logger } from '../log.js';
import { openJetStream, type JetStreamStore, type JetStreamStoreOptions } from './jetstreamConnect.js';
import { publishRecord, replaySubject } from './jetstreamSubject.js';
import { CHUNK_BYTES, purgeOrphanChunks, purgeSnapshotChunks, readMeta, readSnapshotChunks, writeSnapshotChunks, type Meta, type SnapPointer } from './jetstreamBucket.js';
import { decodeRecord, decodeWithCrc, encodeRecord, encodeWithCrc, nextSeqAfter } from './record.js';
import type { RecoveredState, SnapshotRecord } from './store.js';

export type { JetStreamStore, JetStreamStoreOptions } from './jetstreamConnect.js';
/**
 * The log as a JetStream stream, snapshots and meta in a KV bucket (SPEC section 6).
 *
 *   stream GLUP_LOG_<cluster>, subjects glup.<cluster>.log.>   one record per message on
 *                                                             glup.<cluster>.log.<node>
 *   bucket glup_<cluster>_snap:  <node>.meta                  { incarnation, committedSeq, generation, epoch }
 *                                <node>.snap                  pointer { seq, parts }
 *                                <node>.snap.<seq>.<i>        snapshot text (crc'd) in ≤ 900 KiB chunks
 *                                <node>.actors                XState persisted snapshots
 *
 * Every record is published with `expect.lastSubjectSequence`, so a second writer for the
 * same node (a zombie process) is refused instead of interleaving, and with msgID
 * `<node>:<seq>:<epoch>` so a retried publish is stored once. After a truncate or reset the
 * same (seq, epoch) may legitimately be written again within the dedupe window, so from then
 * on the msgID carries the store's `generation` (`<node>:<seq>:<epoch>:g<n>`).
 *
 * Records are published one at a time: the next record's expected subject sequence is the
 * previous one's ack. Durability: JetStream fsyncs on an interval by default (2 minutes); an
 * acked record survives a nats-server crash only with `sync_interval: always`.
 *
 * Tested against nats-server 2.9.10: no filter_subjects arrays, metadata, compression or
 * batch publish.
 */

export function jetstreamStore(opts: JetStreamStoreOptions): JetStreamStore {
  return new JetStreamStoreImpl(opts);
}

class JetStreamStoreImpl implements JetStreamStore {
  readonly kind = 'jetstream' as const;
  readonly streamName: string;
  readonly bucketName: string;
  private readonly subject: string;
  private readonly where: string;
  private readonly logger: Logger;

  private nc: NatsConnection | null = null;
  private ownConnection = false;
  private js!: JetStreamClient;
  private jsm!: JetStreamManager;
  private kv: KV | null = null;

  /** Held records: glup seq of the first, and the stream sequence of each. */
  private firstSeq = 1;
  private streamSeqs: number[] = [];
  /** What `expect.lastSubjectSequence` must say on the next publish (see learnExpectLast). */
  private expectLast = 0;
  private snapshot: SnapPointer | null = null;
  private meta: Meta = { incarnation: 0, committedSeq: 0, generation: 0 };
  private queue: Promise<unknown> = Promise.resolve();
  private metaWrite: Promise<void> = Promise.resolve();

  constructor(private readonly opts: JetStreamStoreOptions) {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(opts.cluster)) throw new Error(`jetstreamStore: invalid cluster name ${JSON.stringify(opts.cluster)}`);
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(opts.node)) throw new Error(`jetstreamStore: invalid node id ${JSON.stringify(opts.node)}`);
    this.streamName = `GLUP_LOG_${opts.cluster}`;
    this.bucketName = `glup_${opts.cluster}_snap`;
    this.subject = `glup.${opts.cluster}.log.${opts.node}`;
    this.where = `jetstreamStore(${this.streamName} ${this.subject})`;
    this.logger = opts.logger ?? silentLogger();
  }

  // ---------------------------------------------------------------- Store interface

  async open(): Promise<RecoveredState> {
    await this.queue.catch(() => {});
    await this.connect();
    return this.recover();
  }

  append(records: UpdateRecord[]): Promise<void> {
    const data = records.map((r) => ({ seq: r.seq, epoch: r.epoch, text: encodeRecord(r) }));
    return this.run(async () => {
      let expected = nextSeqAfter(this.streamSeqs.length ? this.lastSeq() : null, this.snapshot?.seq ?? null);
      for (const r of data) {
        if (r.seq !== expected) {
          throw new Error(`${this.where}: append out of order: seq ${r.seq}, expected ${expected} (the log must stay gapless)`);
        }
        const msgID = `${this.opts.node}:${r.seq}:${r.epoch}${this.meta.generation ? `:g${this.meta.generation}` : ''}`;
        const streamSeq = await publishRecord(this.subjectTarget(), r.seq, r.text, msgID);
        if (!this.streamSeqs.length) this.firstSeq = r.seq;
        this.streamSeqs.push(streamSeq);
        this.expectLast = streamSeq;
        expected++;
      }
    });
  }

  truncateAfter(seq: number): Promise<void> {
    return this.run(async () => {
      if (this.streamSeqs.length && this.lastSeq() > seq) {
        // The same (seq, epoch) may be written again within the dedupe window.
        this.meta.generation++;
        await this.saveMeta();
        await this.cutBack(Math.max(0, seq - this.firstSeq + 1));
      }
      if (this.snapshot && this.snapshot.seq > seq) {
        await this.kv!.purge(this.key('snap'));
        await purgeSnapshotChunks(this.kv!, this.keyOf, this.snapshot);
        this.snapshot = null;
      }
    });
  }

  readRange(from: number, to: number): Promise<UpdateRecord[]> {
    return this.run(async () => {
      this.requireOpen();
      const lo = Math.max(from, this.firstSeq);
      const hi = Math.min(to, this.lastSeq());
      if (!this.streamSeqs.length || lo > hi) return [];
      const out: UpdateRecord[] = [];
      await this.replay(this.streamSeqs[lo - this.firstSeq], this.streamSeqs[hi - this.firstSeq], (text, streamSeq) => {
        try {
          out.push(decodeRecord(text));
        } catch (e) {
          throw new Error(`${this.where}: ${(e as Error).message} at stream seq ${streamSeq}`);
        }
      });
      return out.filter((r) => r.seq >= lo && r.seq <= hi);
    });
  }

  writeSnapshot(snap: SnapshotRecord): Promise<void> {
    const text = Buffer.from(encodeWithCrc(snap));
    return this.run(async () => {
      const kv = this.requireOpen();
      // the pointer goes last: a crash mid-way leaves the previous snapshot in force
      const previous = this.snapshot;
      const pointer = await writeSnapshotChunks(kv, this.keyOf, snap.seq, text);
      this.snapshot = pointer;
      if (previous && previous.seq !== snap.seq) await purgeSnapshotChunks(this.kv!, this.keyOf, previous);
      await this.compact(snap.seq);
    });
  }

  setCommitted(seq: number): Promise<void> {
    this.meta.committedSeq = seq;
    return this.saveMeta();
  }

  setIncarnation(incarnation: number): Promise<void> {
    this.meta.incarnation = incarnation;
    return this.saveMeta();
  }

  setEpoch(epoch: number): Promise<void> {
    if (epoch <= (this.meta.epoch ?? 0)) return Promise.resolve();
    this.meta.epoch = epoch;
    return this.saveMeta();
  }

  saveActorSnapshots(snapshots: Record<string, unknown>): Promise<void> {
    return this.run(async () => {
      const text = JSON.stringify(snapshots);
      if (Buffer.byteLength(text) > CHUNK_BYTES) {
        this.logger.warn(`${this.where}: actor snapshots over ${CHUNK_BYTES} bytes not saved`);
        return;
      }
      await this.requireOpen().put(this.key('actors'), text);
    });
  }

  async loadActorSnapshots(): Promise<Record<string, unknown>> {
    const e = await this.requireOpen().get(this.key('actors'));
    return e && e.operation === 'PUT' ? (JSON.parse(e.string()) as Record<string, unknown>) : {};
  }

  reset(): Promise<void> {
    return this.run(async () => {
      const kv = this.requireOpen();
      this.meta.generation++;
      this.meta.committedSeq = 0;
      await this.saveMeta();
      await this.jsm.streams.purge(this.streamName, { filter: this.subject });
      this.streamSeqs = [];
      this.firstSeq = 1;
      this.expectLast = 0;
      await kv.purge(this.key('snap'));
      if (this.snapshot) await purgeSnapshotChunks(this.kv!, this.keyOf, this.snapshot);
      this.snapshot = null;
      await kv.purge(this.key('actors'));
    });
  }

  async close(): Promise<void> {
    await this.queue.catch(() => {});
    await this.metaWrite;
    if (this.nc && this.ownConnection) await this.nc.close();
    this.nc = null;
    this.kv = null;
  }

  async destroy(): Promise<void> {
    await this.connect();
    await this.queue.catch(() => {});
    await this.metaWrite;
    await this.jsm.streams.delete(this.streamName).catch((e) => {
      if (!/not found/i.test(String(e))) throw e;
    });
    await this.kv!.destroy();
    await this.close();
  }

  // ---------------------------------------------------------------- recovery

  private async recover(): Promise<RecoveredState> {
    const kv = this.requireOpen();
    const warnings: string[] = [];
    const warn = (msg: string) => {
      warnings.push(msg);
      this.logger.warn(msg, { stream: this.streamName, subject: this.subject });
    };

    this.meta = await readMeta(kv, this.keyOf, (why) => warn(`${this.where}: unreadable meta in ${this.bucketName}/${this.key('meta')} (${why})`));

    let snapshot: SnapshotRecord | null = null;
    this.snapshot = null;
    const pointerEntry = await kv.get(this.key('snap'));
    if (pointerEntry && pointerEntry.operation === 'PUT') {
      const pointer = JSON.parse(pointerEntry.string()) as SnapPointer;
      try {
        snapshot = decodeWithCrc(await readSnapshotChunks(kv, this.keyOf, pointer)) as SnapshotRecord;
        this.snapshot = pointer;
      } catch (e) {
        warn(`${this.where}: snapshot ${pointer.seq} in ${this.bucketName} unusable (${(e as Error).message}); ignored`);
      }
    }
    await purgeOrphanChunks(kv, this.keyOf, this.snapshot);
    const base = snapshot?.seq ?? 0;

    const records: UpdateRecord[] = [];
    this.streamSeqs = [];
    let problemAt: number | null = null;
    // Counted through stream info, not `last_by_subj`: after the last message of a subject is
    // deleted, nats-server 2.9.10 loses track of the subject's last message (see expectLast).
    const info = await this.jsm.streams.info(this.streamName, { subjects_filter: this.subject });
    const count = info.state.subjects?.[this.subject] ?? 0;
    if (count > 0) {
      await this.replay(1, Infinity, (text, streamSeq) => {
        if (problemAt !== null) return;
        let problem: string | null = null;
        try {
          const r = decodeRecord(text);
          const prev = records.at(-1)?.seq ?? null;
          if (prev !== null && r.seq !== prev + 1) problem = `seq ${r.seq} does not continue ${prev}`;
          else if (prev === null && r.seq > base + 1) problem = `log starts at seq ${r.seq} but the snapshot is at ${base}`;
          else {
            records.push(r);
            this.streamSeqs.push(streamSeq);
          }
        } catch (e) {
          problem = (e as Error).message;
        }
        if (problem) {
          problemAt = streamSeq;
          warn(`${this.where}: ${problem} at stream seq ${streamSeq}, cut back`);
        }
      });
    }
    this.firstSeq = records[0]?.seq ?? base + 1;
    if (problemAt !== null) await this.deleteFrom(problemAt);
    if (records.length && records[records.length - 1].seq < base) {
      // Wholly behind the snapshot (crash between snapshot and compaction): drop it.
      await this.compact(base);
      records.length = 0;
    }

    await this.learnExpectLast();
    const held = Math.max(base, records.at(-1)?.seq ?? 0);
    if (this.meta.committedSeq > held) {
      warn(`${this.where}: committedSeq ${this.meta.committedSeq} is beyond the recovered log (seq ${held}); using ${held}`);
      this.meta.committedSeq = held;
    }
    return {
      snapshot,
      records: records.filter((r) => r.seq > base),
      committedSeq: this.meta.committedSeq,
      incarnation: this.meta.incarnation,
      epoch: this.meta.epoch ?? 0,
      warnings,
    };
  }

  /** Reads this node's messages with stream seq in [from, to]. */
  private replay(from: number, to: number, onMessage: (text: string, streamSeq: number) => void): Promise<void> {
    return replaySubject(this.subjectTarget(), from, to, onMessage);
  }

  private subjectTarget() {
    const { js, jsm, streamName, subject, where, logger, expectLast, streamSeqs } = this;
    return { js, jsm, streamName, subject, where, logger, expectLast, streamSeqs };
  }

  // ---------------------------------------------------------------- log maintenance

  /** Drops the held records from index `keep` on, newest first, so a crash leaves a gapless prefix. */
  private async cutBack(keep: number): Promise<void> {
    for (let i = this.streamSeqs.length - 1; i >= keep; i--) {
      await this.jsm.streams.deleteMessage(this.streamName, this.streamSeqs[i], false);
      this.streamSeqs.length = i;
    }
    await this.learnExpectLast();
  }

  /** Deletes every message of this node's subject with stream seq in [from, to], newest first. */
  private async deleteFrom(from: number): Promise<void> {
    const doomed: number[] = [];
    await this.replay(from, Infinity, (_text, streamSeq) => {
      doomed.push(streamSeq);
    });
    for (const s of doomed.reverse()) await this.jsm.streams.deleteMessage(this.streamName, s, false);
    await this.learnExpectLast();
  }

  /**
   * The subject sequence the server will expect on the next publish. Normally the stream seq
   * of our last record, but nats-server 2.9.10 forgets a subject's last message once the
   * subject's newest message is deleted, and then expects 0 until the next publish. Asking
   * the server after every cut keeps appends working on both old and fixed servers; the
   * price is that the first publish after a cut is not fenced against a second writer.
   */
  private async learnExpectLast(): Promise<void> {
    const last = await this.jsm.streams.getMessage(this.streamName, { last_by_subj: this.subject });
    this.expectLast = last?.seq ?? 0;
  }

  /** Purges this node's records with seq <= upTo. */
  private async compact(upTo: number): Promise<void> {
    if (!this.streamSeqs.length || upTo < this.firstSeq) return;
    const drop = Math.min(this.streamSeqs.length, upTo - this.firstSeq + 1);
    if (drop === this.streamSeqs.length) {
      await this.jsm.streams.purge(this.streamName, { filter: this.subject });
      this.expectLast = 0;
    } else {
      // `seq`: purge everything on the subject below this stream sequence.
      await this.jsm.streams.purge(this.streamName, { filter: this.subject, seq: this.streamSeqs[drop] });
    }
    this.streamSeqs = this.streamSeqs.slice(drop);
    this.firstSeq += drop;
  }

  // ---------------------------------------------------------------- connection, meta, helpers

  private async connect(): Promise<void> {
    if (this.nc && !this.nc.isClosed()) return;
    ({ nc: this.nc, ownConnection: this.ownConnection, js: this.js, jsm: this.jsm, kv: this.kv } = await openJetStream(this.opts, this.streamName, this.bucketName));
  }

  /** Meta writes are coalesced in order; each writes the latest values. */
  private saveMeta(): Promise<void> {
    const next = this.metaWrite.then(async () => {
      await this.requireOpen().put(this.key('meta'), JSON.stringify(this.meta));
    });
    this.metaWrite = next.catch(() => {});
    return next;
  }

  private run<T>(task: () => Promise<T>): Promise<T> {
    const p = this.queue.then(() => {
      this.requireOpen();
      return task();
    });
    this.queue = p.catch(() => {});
    return p;
  }

  private requireOpen(): KV {
    if (!this.kv || !this.nc || this.nc.isClosed()) throw new Error(`${this.where}: not open (call open() first)`);
    return this.kv;
  }

  private key(suffix: string): string {
    return `${this.opts.node}.${suffix}`;
  }

  private readonly keyOf = (suffix: string) => this.key(suffix);

  private lastSeq(): number {
    return this.firstSeq + this.streamSeqs.length - 1;
  }
}
