/**
 * A restart's recovery as the database grows (issue 14): a file store holding a snapshot of
 * `--keys` distinct keys under one object and `--records` records after it, each a new key
 * (what a node holds between two snapshots, 1,000 records by default). Times `Replica.open`,
 * what `glup node` does before it answers anything, and the offline read-back
 * (`readNodeData`). Writes bench/results/recovery.json.
 *
 *   npx tsx bench/recovery.ts                       # snapshots of 0, 10,000, 20,000 and 50,000 keys
 *   npx tsx bench/recovery.ts --keys 20000 --records 1000
 *
 * Until 2026-11-29 a restart applied the records one by one, each copying the object of N
 * keys: 32 s for 900 records over 21,000 keys (a chaos run's manager, restarted, answered
 * nothing for over 45 s).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Replica } from '../src/actors/replica.js';
import { realClock } from '../src/clock.js';
import { emptyDb, type ClusterDb, type UpdateRecord } from '../src/db/types.js';
import { fileStore } from '../src/persistence/file.js';
import { readNodeData } from '../src/persistence/readBack.js';
import { isMain, round, writeBenchResults } from './run.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} } as never;

async function measure(keys: number, records: number): Promise<{ keys: number; records: number; openMs: number; readBackMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'glup-recovery-'));
  try {
    const values: Record<string, number> = {};
    for (let i = 0; i < keys; i++) values[`k${i}`] = i;
    const db: ClusterDb = { ...emptyDb('bench'), data: { bench: values } };
    db.meta = { ...db.meta, seq: keys };
    const writer = fileStore(dir, { fsync: 'never' });
    await writer.open();
    await writer.writeSnapshot({ seq: keys, epoch: 1, db });
    const recs: UpdateRecord[] = [];
    for (let i = 0; i < records; i++) {
      const seq = keys + 1 + i;
      const key = `k${keys + i}`;
      recs.push({ epoch: 1, seq, origin: 'n1', id: `n1:1:${seq}`, op: { set: { path: `bench.${key}`, value: seq } }, patches: [{ op: 'add', path: ['data', 'bench', key], value: seq }, { op: 'replace', path: ['meta', 'seq'], value: seq }], ts: 0 });
    }
    await writer.append(recs);
    await writer.setCommitted(keys + records);
    await writer.close();

    const replica = new Replica('bench', fileStore(dir, { fsync: 'never' }), realClock, silent, 1000);
    let t0 = performance.now();
    await replica.open();
    const openMs = performance.now() - t0;
    if (Object.keys(replica.db.data.bench as object).length !== keys + records) throw new Error('recovery lost keys');
    await replica.store.close();
    t0 = performance.now();
    await readNodeData(fileStore(dir, { fsync: 'never' }), 'bench');
    const readBackMs = performance.now() - t0;
    return { keys, records, openMs: round(openMs, 1), readBackMs: round(readBackMs, 1) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const { values: flags } = parseArgs({ options: { keys: { type: 'string' }, records: { type: 'string', default: '1000' } } });
  const sizes = flags.keys ? [Number(flags.keys)] : [0, 10_000, 20_000, 50_000];
  const rows = [];
  for (const keys of sizes) {
    const row = await measure(keys, Number(flags.records));
    console.log(`${row.keys} keys + ${row.records} records: open ${row.openMs} ms, read back ${row.readBackMs} ms`);
    rows.push(row);
  }
  writeBenchResults('recovery', { rows });
}
