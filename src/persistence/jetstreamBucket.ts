/**
 * What the JetStream store keeps in its KV bucket besides actor snapshots: its meta under
 * `<node>.meta`, and snapshots — the snapshot text (crc'd) in chunks under
 * `<node>.snap.<seq>.<i>`, then a pointer `<node>.snap` {seq, parts}. The pointer is written
 * last, so a crash mid-way leaves the previous snapshot in force.
 */
import type { KV } from '@nats-io/kv';

/** Snapshot chunk size: below the default 1 MiB max_payload with room for headers. */
export const CHUNK_BYTES = 900 * 1024;

export interface SnapPointer {
  seq: number;
  parts: number;
}

/** `key(suffix)`: the bucket key of this node's `suffix`. */
type KeyOf = (suffix: string) => string;

export interface Meta {
  incarnation: number;
  committedSeq: number;
  generation: number;
  epoch?: number;
}

/** The stored meta, or a fresh one when there is none; an unreadable one is reported and replaced. */
export async function readMeta(kv: KV, key: KeyOf, unreadable: (why: string) => void): Promise<Meta> {
  const meta: Meta = { incarnation: 0, committedSeq: 0, generation: 0 };
  const entry = await kv.get(key('meta'));
  if (entry && entry.operation === 'PUT') {
    try {
      Object.assign(meta, JSON.parse(entry.string()) as Partial<Meta>);
    } catch (e) {
      unreadable((e as Error).message);
    }
  }
  return meta;
}

/** Writes the chunks of snapshot `seq`, then its pointer; returns the pointer. */
export async function writeSnapshotChunks(kv: KV, key: KeyOf, seq: number, text: Buffer): Promise<SnapPointer> {
  const parts = Math.max(1, Math.ceil(text.length / CHUNK_BYTES));
  for (let i = 0; i < parts; i++) {
    await kv.put(key(`snap.${seq}.${i}`), text.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES));
  }
  const pointer: SnapPointer = { seq, parts };
  await kv.put(key('snap'), JSON.stringify(pointer));
  return pointer;
}

/** The snapshot text a pointer names; throws when a chunk is missing. */
export async function readSnapshotChunks(kv: KV, key: KeyOf, pointer: SnapPointer): Promise<string> {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < pointer.parts; i++) {
    const c = await kv.get(key(`snap.${pointer.seq}.${i}`));
    if (!c || c.operation !== 'PUT') throw new Error(`chunk ${i} of ${pointer.parts} missing`);
    chunks.push(c.value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function purgeSnapshotChunks(kv: KV, key: KeyOf, p: SnapPointer): Promise<void> {
  for (let i = 0; i < p.parts; i++) await kv.purge(key(`snap.${p.seq}.${i}`));
}

/** Chunks of a snapshot whose pointer was never written (a crash mid-snapshot). */
export async function purgeOrphanChunks(kv: KV, key: KeyOf, keep: SnapPointer | null): Promise<void> {
  const kept = keep ? `${key('snap')}.${keep.seq}.` : null;
  const orphans: string[] = [];
  for await (const k of await kv.keys(`${key('snap')}.>`)) {
    if (!kept || !k.startsWith(kept)) orphans.push(k);
  }
  for (const k of orphans) await kv.purge(k);
}
