import type { Clock } from '../clock.js';
import { MAX_ENVELOPE_BYTES, type Envelope } from './envelope.js';

/**
 * Chunking (SPEC section 8: "Snapshots and log suffixes larger than one message travel in
 * chunks"). The sender encodes an envelope once; when the bytes are over the chunk size it
 * sends them as a series of `chunk` envelopes on the same subject, body
 * `{of: <original envelope id>, index, count, data: <base64 slice>}`, all stamped with the
 * original's `ts`. The receiver collects the slices per (from, of, ts), joins the bytes and
 * hands them back to the bus, which validates them like any other message (with a larger
 * size limit) before a handler sees the original envelope.
 *
 * Why bytes and not bodies: the reassembled message goes through the one edge validation
 * (size, depth, schema, forbidden keys), so chunking opens no second way in.
 *
 * Why `ts` is part of a stream's key: envelope ids restart at `<node>-1` when a node
 * restarts, so `of` alone could name two different messages of one sender.
 *
 * Bounded memory, whatever a sender does: at most `maxPartialsPerSender` incomplete messages
 * per sender (a newer one evicts the sender's oldest), at most `maxPartials` and
 * `maxPendingBytes` in all (the oldest go first), each at most `maxMessageBytes`, each forgotten `timeoutMs` after its first chunk (transport
 * clock). Chunks that contradict their stream (count changes, index out of range, bad
 * base64, total over the limit) drop the whole stream and count as one invalid message.
 * A lost chunk loses the message, as a lost message would: the protocol retransmits.
 */
export interface ChunkBody {
  /** Id of the original envelope. */
  of: string;
  index: number;
  count: number;
  /** Base64 of bytes [index × chunkBytes, …) of the encoded original envelope. */
  data: string;
}

export const DEFAULT_CHUNK_BYTES = 512 * 1024;
/** Room in a chunk envelope for everything but `data` (cluster, from, id and `of` are ≤ 256 chars each). */
const CHUNK_ENVELOPE_OVERHEAD = 2048;
/** The largest slice whose base64 still fits one envelope. */
export const MAX_CHUNK_BYTES = Math.floor((MAX_ENVELOPE_BYTES - CHUNK_ENVELOPE_OVERHEAD) / 4) * 3;
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_PARTIALS_PER_SENDER = 4;
export const DEFAULT_MAX_PARTIALS = 64;
/** Bytes held in incomplete messages by one reassembler, in multiples of maxMessageBytes. */
export const DEFAULT_PENDING_MESSAGES_WORTH = 4;
export const DEFAULT_REASSEMBLY_TIMEOUT_MS = 30_000;
/** Streams remembered as finished per sender, so late duplicate chunks do not start them again. */
const COMPLETED_MEMORY_PER_SENDER = 64;
const FINISHED_SENDERS = 1024;

/** Splits encoded envelope bytes into chunk bodies of at most `chunkBytes` bytes each. */
export function sliceIntoChunks(data: Uint8Array, of: string, chunkBytes: number): ChunkBody[] {
  const count = Math.ceil(data.byteLength / chunkBytes);
  const bodies: ChunkBody[] = [];
  for (let index = 0; index < count; index++) {
    const slice = data.subarray(index * chunkBytes, Math.min(data.byteLength, (index + 1) * chunkBytes));
    bodies.push({ of, index, count, data: Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength).toString('base64') });
  }
  return bodies;
}

export interface ReassemblyLimits {
  maxMessageBytes: number;
  maxPartialsPerSender: number;
  maxPartials: number;
  /** Bytes of all incomplete messages together (at least maxMessageBytes); oldest evicted first. */
  maxPendingBytes: number;
  timeoutMs: number;
}

export type ChunkOutcome =
  | { kind: 'partial' }
  /** A copy of a slice already held, or a late chunk of a message already reassembled. */
  | { kind: 'duplicate' }
  /** All slices are in: the original envelope's bytes, still to be validated. */
  | { kind: 'complete'; data: Uint8Array; of: string }
  | { kind: 'invalid'; reason: string };

export interface Reassembler {
  accept(chunk: Envelope): ChunkOutcome;
  /** Incomplete messages held now. */
  readonly pending: number;
  /** Forgets everything and cancels the expiry timers (the bus is closing). */
  clear(): void;
}

interface Partial {
  from: string;
  key: string;
  count: number;
  slices: Map<number, Uint8Array>;
  bytes: number;
  timer: unknown;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function createReassembler(clock: Clock, limits: ReassemblyLimits): Reassembler {
  /** Insertion order is age order: the first entry of a sender is its oldest. */
  const partials = new Map<string, Partial>();
  const perSender = new Map<string, number>();
  let pendingBytes = 0;
  /** Streams reassembled or dropped: from → stream key → time they may be forgotten. */
  const finished = new Map<string, Map<string, number>>();

  const streamKey = (from: string, key: string) => `${from}\u0000${key}`;

  const forget = (p: Partial) => {
    clock.clearTimeout(p.timer);
    if (!partials.delete(streamKey(p.from, p.key))) return;
    pendingBytes -= p.bytes;
    const left = (perSender.get(p.from) ?? 1) - 1;
    if (left > 0) perSender.set(p.from, left);
    else perSender.delete(p.from);
  };

  const oldestOf = (from?: string): Partial | undefined => {
    for (const p of partials.values()) if (from === undefined || p.from === from) return p;
    return undefined;
  };

  const isFinished = (from: string, key: string): boolean => {
    const done = finished.get(from);
    const until = done?.get(key);
    if (until === undefined) return false;
    if (until > clock.now()) return true;
    done!.delete(key);
    return false;
  };

  const markFinished = (from: string, key: string) => {
    let done = finished.get(from);
    if (!done) {
      // forged senders are many names: keep a bounded number of them
      if (finished.size >= FINISHED_SENDERS) finished.delete(finished.keys().next().value!);
      finished.set(from, (done = new Map()));
    }
    done.set(key, clock.now() + limits.timeoutMs);
    if (done.size > COMPLETED_MEMORY_PER_SENDER) done.delete(done.keys().next().value!);
  };

  /** A stream found bad: its remaining chunks are ignored rather than starting it again. */
  const drop = (p: Partial) => {
    forget(p);
    markFinished(p.from, p.key);
  };

  const start = (from: string, key: string, count: number): Partial => {
    if ((perSender.get(from) ?? 0) >= limits.maxPartialsPerSender) forget(oldestOf(from)!);
    if (partials.size >= limits.maxPartials) forget(oldestOf()!);
    const p: Partial = { from, key, count, slices: new Map(), bytes: 0, timer: undefined };
    p.timer = clock.setTimeout(() => forget(p), limits.timeoutMs);
    partials.set(streamKey(from, key), p);
    perSender.set(from, (perSender.get(from) ?? 0) + 1);
    return p;
  };

  return {
    accept(chunk) {
      const body = checkBody(chunk.body, limits.maxMessageBytes);
      if (typeof body === 'string') return { kind: 'invalid', reason: body };
      const key = `${body.of}@${chunk.ts}`;
      if (isFinished(chunk.from, key)) return { kind: 'duplicate' };
      const p = partials.get(streamKey(chunk.from, key)) ?? start(chunk.from, key, body.count);
      if (body.count !== p.count) {
        drop(p);
        return { kind: 'invalid', reason: `chunk ${body.index} of ${body.of} says ${body.count} chunks, earlier ones said ${p.count}` };
      }
      if (p.slices.has(body.index)) return { kind: 'duplicate' };
      const slice = Buffer.from(body.data, 'base64');
      if (p.bytes + slice.byteLength > limits.maxMessageBytes) {
        drop(p);
        return { kind: 'invalid', reason: `chunks of ${body.of} add up to over ${limits.maxMessageBytes} bytes` };
      }
      while (pendingBytes + slice.byteLength > limits.maxPendingBytes) {
        const oldest = oldestOf()!;
        if (oldest === p) break; // only p is left, and p fits maxMessageBytes ≤ maxPendingBytes
        forget(oldest);
      }
      p.slices.set(body.index, slice);
      p.bytes += slice.byteLength;
      pendingBytes += slice.byteLength;
      if (p.slices.size < p.count) return { kind: 'partial' };
      forget(p);
      markFinished(chunk.from, key);
      const data = new Uint8Array(p.bytes);
      let at = 0;
      for (let i = 0; i < p.count; i++) {
        const s = p.slices.get(i)!;
        data.set(s, at);
        at += s.byteLength;
      }
      return { kind: 'complete', data, of: body.of };
    },
    get pending() {
      return partials.size;
    },
    clear() {
      for (const p of [...partials.values()]) forget(p);
      finished.clear();
    },
  };
}

/** A chunk body, or the reason it is not one. Cheap checks first; no decoding yet. */
function checkBody(body: unknown, maxMessageBytes: number): ChunkBody | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'chunk body is not an object';
  const { of, index, count, data } = body as Record<string, unknown>;
  if (typeof of !== 'string' || of.length === 0 || of.length > 256) return 'chunk field of: not an envelope id';
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > maxMessageBytes) {
    return `chunk field count: ${String(count)} is not a chunk count`;
  }
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count) {
    return `chunk field index: ${String(index)} is not in [0, ${count})`;
  }
  if (typeof data !== 'string' || data.length === 0 || data.length % 4 !== 0 || !BASE64.test(data)) return 'chunk field data: not base64';
  if ((data.length / 4) * 3 - 2 > maxMessageBytes) return `chunk field data: over ${maxMessageBytes} bytes`;
  return { of, index, count, data };
}

/**
 * Why a reassembled envelope does not belong to its chunks, if it does not: it must be the
 * message the chunks named (`of`), from their sender, and not itself a chunk.
 */
export function reassembledMismatch(original: Envelope, chunk: Envelope, of: string): string | undefined {
  if (original.id !== of) return `reassembled envelope has id ${original.id}, its chunks named ${of}`;
  if (original.from !== chunk.from) return `reassembled envelope is from ${original.from}, its chunks from ${chunk.from}`;
  if (original.type === 'chunk') return 'reassembled envelope is itself a chunk';
  return undefined;
}
