import { jsonEqual } from '../../src/db/ops.js';
import type { NodeData } from '../../src/persistence/readBack.js';

/**
 * The chaos run's verdict from what each node's data directory holds: which acked updates
 * (`<prefix>.u<i>` = i, acked at seq) are missing where, and whether every node holds the same
 * database at the same seq.
 */
export interface Verdict {
  lost: { i: number; seq: number; nodes: string[] }[];
  identical: boolean;
  seqs: Record<string, number>;
}

export function verify(acked: ReadonlyMap<number, number>, data: ReadonlyMap<string, NodeData>, prefix = 'chaos'): Verdict {
  const ids = [...data.keys()];
  const lost: Verdict['lost'] = [];
  for (const [i, seq] of acked) {
    const without = ids.filter((id) => (data.get(id)!.db.data[prefix] as Record<string, unknown> | undefined)?.[`u${i}`] !== i);
    if (without.length) lost.push({ i, seq, nodes: without });
  }
  const first = data.get(ids[0]!);
  const identical = !!first && ids.every((id) => data.get(id)!.lastSeq === first.lastSeq && jsonEqual(data.get(id)!.db, first.db));
  return { lost, identical, seqs: Object.fromEntries(ids.map((id) => [id, data.get(id)!.lastSeq])) };
}
