/**
 * Persistence benchmarks (SPEC section 6): append throughput of the file store under each
 * fsync policy and of the JetStream store, and open() time of a 100,000-record file log.
 *
 *   npx tsx bench/persistence.ts        writes bench/results/persistence.json
 *
 * Records are ~300 bytes encoded (a `set` with its immer patch). "sequential" awaits each
 * append before the next; "64 concurrent" keeps 64 single-record appends in flight, which is
 * what group commit is for. JetStream runs against a local nats-server with its default
 * sync (fsync every 2 minutes), so its figures are not comparable with file `always`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { emptyDb, type UpdateRecord } from '../src/db/types.js';
import { fileStore, jetstreamStore, type FsyncPolicy, type Store } from '../src/persistence/index.js';
import { encodeRecord } from '../src/persistence/record.js';
import { startNatsServer } from '../test/helpers/natsServer.js';

interface ThroughputResult {
  store: string;
  mode: 'sequential' | '64 concurrent';
  records: number;
  seconds: number;
  recordsPerSec: number;
  fsyncs?: number;
}

interface OpenResult {
  case: string;
  logRecords: number;
  recordsReturned: number;
  ms: number;
}

function record(seq: number): UpdateRecord {
  const value = { owner: `node-${seq % 7}`, color: 'blue', weight: seq * 3 };
  return {
    epoch: 1,
    seq,
    ts: 1_700_000_000_000 + seq,
    origin: 'n1',
    id: `n1-1-${seq}`,
    op: { set: { path: `config.items.k${seq}`, value } },
    patches: [{ op: 'add', path: ['data', 'config', 'items', `k${seq}`], value }],
  };
}

/** Appends single records for up to `ms` (or `max` records) with `inFlight` appends outstanding. */
async function appendFor(store: Store, inFlight: number, ms: number, max: number): Promise<{ records: number; seconds: number }> {
  let next = 1;
  const start = performance.now();
  const deadline = start + ms;
  const worker = async () => {
    while (next <= max && performance.now() < deadline) {
      const seq = next++;
      await store.append([record(seq)]);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { records: next - 1, seconds: (performance.now() - start) / 1000 };
}

async function benchFile(policy: FsyncPolicy, inFlight: number): Promise<ThroughputResult> {
  const dir = mkdtempSync(join(tmpdir(), 'glup-bench-'));
  try {
    const store = fileStore(dir, { fsync: policy, intervalMs: 100 });
    await store.open();
    const { records, seconds } = await appendFor(store, inFlight, 3000, 200_000);
    const fsyncs = store.stats.fsyncs;
    await store.close();
    return {
      store: `file fsync=${policy}`,
      mode: inFlight === 1 ? 'sequential' : '64 concurrent',
      records,
      seconds: round(seconds),
      recordsPerSec: Math.round(records / seconds),
      fsyncs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchJetStream(): Promise<ThroughputResult[]> {
  const server = await startNatsServer();
  const out: ThroughputResult[] = [];
  try {
    for (const inFlight of [1, 64]) {
      const store = jetstreamStore({ servers: server.url, cluster: `bench-${inFlight}`, node: 'n1' });
      await store.open();
      const { records, seconds } = await appendFor(store, inFlight, 3000, 50_000);
      await store.destroy();
      out.push({
        store: 'jetstream (nats-server 2.9.10, default sync)',
        mode: inFlight === 1 ? 'sequential' : '64 concurrent',
        records,
        seconds: round(seconds),
        recordsPerSec: Math.round(records / seconds),
      });
    }
  } finally {
    await server.stop();
  }
  return out;
}

/** open() of a 100,000-record log, without a snapshot and with snapshots at 98,000 and 99,000. */
async function benchOpen(): Promise<OpenResult[]> {
  const total = 100_000;
  const dir = mkdtempSync(join(tmpdir(), 'glup-bench-open-'));
  const results: OpenResult[] = [];
  try {
    let store = fileStore(dir, { fsync: 'never' });
    await store.open();
    for (let s = 1; s <= total; s += 1000) {
      await store.append(Array.from({ length: 1000 }, (_, i) => record(s + i)));
    }
    await store.close();

    const timeOpen = async (label: string) => {
      store = fileStore(dir);
      const start = performance.now();
      const state = await store.open();
      const ms = performance.now() - start;
      const held = (await store.readRange(1, total)).length;
      await store.close();
      results.push({ case: label, logRecords: held, recordsReturned: state.records.length, ms: round(ms) });
    };
    await timeOpen('no snapshot');

    // Steady state: two snapshots kept, the log compacted to the records after the older one.
    store = fileStore(dir);
    await store.open();
    for (const at of [98_000, 99_000]) await store.writeSnapshot(snapshotAt(at));
    await store.close();
    await timeOpen('snapshot at 99,000 (log compacted after the older snapshot at 98,000)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/** A database holding what records 1..seq wrote (~10 MB at 99,000). */
function snapshotAt(seq: number) {
  const db = emptyDb('bench');
  db.meta.seq = seq;
  db.meta.epoch = 1;
  const items: Record<string, unknown> = {};
  for (let s = 1; s <= seq; s++) items[`k${s}`] = (record(s).op as { set: { value: unknown } }).set.value;
  db.data = { config: { items } };
  return { seq, epoch: 1, db };
}

const round = (n: number) => Math.round(n * 100) / 100;

export async function benchPersistence() {
  const throughput: ThroughputResult[] = [];
  for (const policy of ['always', 'interval', 'never'] as const) {
    for (const inFlight of [1, 64]) throughput.push(await benchFile(policy, inFlight));
  }
  throughput.push(...(await benchJetStream()));
  const open = await benchOpen();
  const result = {
    command: 'npx tsx bench/persistence.ts',
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    recordBytes: Buffer.byteLength(encodeRecord(record(50_000))) + 1,
    notes: [
      'sequential = each append awaited before the next; 64 concurrent = 64 single-record appends in flight (group commit)',
      'file fsync=interval uses intervalMs 100; jetstream uses the server default sync (fsync every 2 minutes)',
      'each throughput run lasts about 3 s',
    ],
    throughput,
    open,
  };
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'persistence.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchPersistence();
  for (const t of r.throughput) {
    console.log(`${t.store.padEnd(46)} ${t.mode.padEnd(14)} ${String(t.recordsPerSec).padStart(8)} records/s${t.fsyncs !== undefined ? `  (${t.fsyncs} fsyncs)` : ''}`);
  }
  for (const o of r.open) console.log(`open ${o.case}: ${o.ms} ms (${o.logRecords} in log, ${o.recordsReturned} returned)`);
}
