import type { ClusterDb, UpdateRecord } from '../../src/db/types.js';
import { emptyDb } from '../../src/db/types.js';
import type { SnapshotRecord } from '../../src/persistence/store.js';

/** A realistic update record (~300 bytes encoded): a set with its immer patch. */
export function rec(seq: number, epoch = 1): UpdateRecord {
  const value = { owner: `node-${seq % 7}`, color: 'blue', weight: seq * 3, tags: ['alpha', 'beta', 'gamma'] };
  return {
    epoch,
    seq,
    ts: 1_700_000_000_000 + seq,
    origin: 'n1',
    id: `n1-${epoch}-${seq}`,
    op: { set: { path: `config.items.k${seq}`, value } },
    patches: [{ op: 'add', path: ['data', 'config', 'items', `k${seq}`], value }],
  };
}

export function recs(from: number, to: number, epoch = 1): UpdateRecord[] {
  const out: UpdateRecord[] = [];
  for (let s = from; s <= to; s++) out.push(rec(s, epoch));
  return out;
}

export function snap(seq: number, epoch = 1): SnapshotRecord {
  const db: ClusterDb = emptyDb('c1');
  db.meta.seq = seq;
  db.meta.epoch = epoch;
  db.data = { config: { upTo: seq } };
  return { seq, epoch, db, submissions: [`n1-${epoch}-${seq}`] };
}

export const seqsOf = (rs: UpdateRecord[]) => rs.map((r) => r.seq);
