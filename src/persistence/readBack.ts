import type { Patch } from 'immer';
import { applyRecordPatches } from '../db/ops.js';
import { emptyDb, type ClusterDb } from '../db/types.js';
import type { Store } from './store.js';

/**
 * A stopped node's data read back offline, as a restarted node would recover it: the newest
 * snapshot plus every record of the log after it, applied in seq order. Used to check that
 * nodes hold the same data (the chaos script, tests) without running them.
 */
export interface NodeData {
  /** Highest seq in the log (or the snapshot's, when the log is empty after it). */
  lastSeq: number;
  /** The commit point the node had written down (best effort: it may lag `lastSeq`). */
  committedSeq: number;
  /** The database with every record up to `lastSeq` applied. */
  db: ClusterDb;
  /** What recovery reported (a torn tail cut back, a stale lock taken over). */
  warnings: string[];
}

/** Opens `store`, rebuilds the database from its snapshot and log, and closes it again. */
export async function readNodeData(store: Store, cluster: string): Promise<NodeData> {
  const state = await store.open();
  try {
    const base = state.snapshot ? state.snapshot.db : emptyDb(cluster);
    let lastSeq = state.snapshot?.seq ?? 0;
    const patches: Patch[] = [];
    for (const r of state.records) {
      if (r.seq !== lastSeq + 1) throw new Error(`${store.kind} store: record seq ${r.seq} does not follow ${lastSeq}`);
      patches.push(...r.patches);
      lastSeq = r.seq;
    }
    // one pass: applied record by record, each would copy the containers it writes in (issue 14)
    return { lastSeq, committedSeq: state.committedSeq, db: applyRecordPatches(base, patches), warnings: state.warnings };
  } finally {
    await store.close();
  }
}
