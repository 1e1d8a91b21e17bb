import { crc32 } from 'node:zlib';
import type { UpdateRecord } from '../db/types.js';

/**
 * On-disk and on-stream encoding of log records and snapshots (SPEC section 6).
 *
 * A record is one JSON object `{epoch, seq, ts, origin, id, op, patches, crc}` where `crc` is
 * the CRC-32 of the JSON text *without* the crc field, i.e. of the exact bytes that precede
 * `,"crc":`. Checking the bytes as written (rather than re-serialising the parsed object)
 * keeps the check independent of key order and number formatting.
 *
 * The file log frames records as one line each (newline-terminated). We chose lines over a
 * length prefix because JSON.stringify never emits a raw newline, so '\n' is an unambiguous
 * terminator: a torn write shows up as a last line without '\n', the log stays readable with
 * `tail` and `jq`, and recovery needs no trust in a possibly corrupt length field.
 */

const CRC_SUFFIX = /,"crc":(\d{1,10})}$/;

export class RecordDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordDecodeError';
  }
}

/** Appends `"crc"` to the JSON text of `body` (which must serialise to a non-empty object). */
export function encodeWithCrc(body: object): string {
  const json = JSON.stringify(body);
  if (json === undefined || !json.startsWith('{') || json === '{}') {
    throw new TypeError('encodeWithCrc: body must be a non-empty JSON object');
  }
  return `${json.slice(0, -1)},"crc":${crc32(json)}}`;
}

/** Parses text written by `encodeWithCrc`; throws RecordDecodeError on a bad crc or bad JSON. */
export function decodeWithCrc(text: string): unknown {
  const m = CRC_SUFFIX.exec(text);
  if (!m) throw new RecordDecodeError('missing crc field');
  const body = `${text.slice(0, m.index)}}`;
  const expected = Number(m[1]);
  const actual = crc32(body);
  if (actual !== expected) throw new RecordDecodeError(`bad crc (stored ${expected}, computed ${actual})`);
  try {
    return JSON.parse(body);
  } catch (e) {
    throw new RecordDecodeError(`bad JSON: ${(e as Error).message}`);
  }
}

/** The record's JSON text with crc, no line terminator (one JetStream message, one log line). */
export function encodeRecord(r: UpdateRecord): string {
  // A fixed field order so the same record always produces the same bytes.
  return encodeWithCrc({ epoch: r.epoch, seq: r.seq, ts: r.ts, origin: r.origin, id: r.id, op: r.op, patches: r.patches });
}

/** One framed line of the file log. */
export function encodeRecordLine(r: UpdateRecord): string {
  return `${encodeRecord(r)}\n`;
}

/** Decodes and shape-checks one record (without its line terminator). */
export function decodeRecord(text: string): UpdateRecord {
  const v = decodeWithCrc(text) as Record<string, unknown>;
  if (typeof v !== 'object' || v === null) throw new RecordDecodeError('record is not an object');
  for (const k of ['epoch', 'seq', 'ts'] as const) {
    if (typeof v[k] !== 'number' || !Number.isFinite(v[k])) throw new RecordDecodeError(`field ${k} is not a number`);
  }
  if (!Number.isInteger(v.seq) || (v.seq as number) < 1) throw new RecordDecodeError(`field seq is not a positive integer`);
  for (const k of ['origin', 'id'] as const) {
    if (typeof v[k] !== 'string') throw new RecordDecodeError(`field ${k} is not a string`);
  }
  if (typeof v.op !== 'object' || v.op === null) throw new RecordDecodeError('field op is not an object');
  if (!Array.isArray(v.patches)) throw new RecordDecodeError('field patches is not an array');
  return {
    epoch: v.epoch as number,
    seq: v.seq as number,
    ts: v.ts as number,
    origin: v.origin as string,
    id: v.id as string,
    op: v.op as UpdateRecord['op'],
    patches: v.patches as UpdateRecord['patches'],
  };
}

/**
 * The seq a store expects next: one past its last record, or past its snapshot when the log
 * is empty. A store holding nothing expects seq 1 — a node that joins from a snapshot writes
 * that snapshot before appending the suffix, so a log never starts in mid-air.
 */
export function nextSeqAfter(lastRecordSeq: number | null, snapshotSeq: number | null): number {
  return Math.max(lastRecordSeq ?? 0, snapshotSeq ?? 0) + 1;
}

/** Throws unless `records` are consecutive and start at `expected`. `where` names the store. */
export function checkContinues(records: readonly UpdateRecord[], expected: number, where: string): void {
  records.forEach((r, i) => {
    if (r.seq !== expected + i) {
      throw new Error(
        `${where}: append out of order: record ${i} has seq ${r.seq}, expected ${expected + i} (the log must stay gapless)`,
      );
    }
  });
}
