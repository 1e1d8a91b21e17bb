/**
 * The cost of an update as the database grows (issue 14): three nodes in this one process
 * on the memory network (real time), 64 updates in flight, every update a new key under one
 * object (`bench.k0`, `bench.k1`, ...). Prints updates/s per window of keys and writes
 * bench/results/keysProfile.json with every window and `updatesAt100kKeysOverEmpty`: the
 * last window's updates/s over the first's, once the run reaches 100,000 keys (null when the
 * time cap stopped it first: `reached` says how far it got).
 *
 *   npx tsx bench/keysProfile.ts                      # 100,000 keys, windows of 2,000
 *   npx tsx bench/keysProfile.ts --keys 20000 --seconds 120
 *
 * Run it under `node --cpu-prof` to see where the time goes (a profile's shape holds under
 * `nice`, its absolute figures do not):
 *
 *   nice -n 19 node --import=tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/keysProfile.ts --keys 10000 --window 1000
 *
 * Flags: --keys N (100000) --window N (2000) --in-flight N (64) --value-bytes N (100)
 *        --store memory|file (file: fsync never, temp dir) --snapshot-every N (1000)
 *        --seconds N (stop after N s even short of --keys; 900)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createNode, fileStore, memoryNetwork, memoryStore } from '../src/index.js';
import { realRunUntil } from '../src/bus/realTime.js';
import { isMain, round, writeBenchResults } from './run.js';

export interface KeysOptions {
  keys: number;
  window: number;
  inFlight: number;
  valueBytes: number;
  store: 'memory' | 'file';
  snapshotEvery: number;
  seconds: number;
}

export const KEYS_DEFAULTS: KeysOptions = { keys: 100_000, window: 2_000, inFlight: 64, valueBytes: 100, store: 'memory', snapshotEvery: 1000, seconds: 900 };

/** Updates/s per window: the last window's over the first's, when the run reached its key count. */
export function keysRatio(windows: readonly { keys: number; updatesPerSecond: number }[], target: number): number | null {
  const first = windows[0];
  const last = windows.at(-1);
  return first && last && last.keys === target && first.updatesPerSecond > 0 ? round(last.updatesPerSecond / first.updatesPerSecond, 3) : null;
}

export async function benchKeys(o: KeysOptions = KEYS_DEFAULTS) {
  const value = 'x'.repeat(o.valueBytes);
  const dir = mkdtempSync(join(tmpdir(), 'glup-keys-'));
  const net = memoryNetwork({ seed: 1, virtualTime: false });
  const ids = ['n1', 'n2', 'n3'];
  const nodes = ids.map((id) =>
    createNode({
      cluster: 'keys',
      id,
      transport: net.transport(id),
      store: o.store === 'file' ? fileStore(join(dir, id), { fsync: 'never' }) : memoryStore(),
      heartbeatMs: 1000,
      initialMembers: ids,
      snapshotEvery: o.snapshotEvery,
    }),
  );
  try {
    for (const n of nodes) void n.start();
    await realRunUntil(() => nodes.every((n) => n.isMember()) && nodes[0]!.db.meta.backup !== null, { timeoutMs: 30_000 });
    const client = nodes.find((n) => n.role === 'client')!;

    let next = 0;
    let done = 0;
    let errors = 0;
    const startedAt = performance.now();
    const deadline = startedAt + o.seconds * 1000;
    let windowStart = startedAt;
    let cpuStart = process.cpuUsage();
    const windows: { keys: number; updatesPerSecond: number; updatesPerCpuSecond: number }[] = [];
    const loop = async () => {
      while (next < o.keys && performance.now() < deadline) {
        const k = next++;
        try {
          await client.update({ set: { path: ['bench', `k${k}`], value } });
        } catch {
          // a timeout under load: counted, the key is not retried (the windows count done updates)
          errors++;
          continue;
        }
        if (++done % o.window === 0) {
          const now = performance.now();
          const cpu = process.cpuUsage(cpuStart);
          const rate = Math.round(o.window / ((now - windowStart) / 1000));
          // all three nodes run in this process: its CPU time is the whole cost, and unlike
          // the wall clock it does not count time other processes took from it
          const perCpu = Math.round(o.window / ((cpu.user + cpu.system) / 1e6));
          windows.push({ keys: done, updatesPerSecond: rate, updatesPerCpuSecond: perCpu });
          console.log(`${done} keys: ${rate} updates/s, ${perCpu} updates per CPU-second (heap ${Math.round(process.memoryUsage().heapUsed / 1e6)} MB)`);
          windowStart = now;
          cpuStart = process.cpuUsage();
        }
      }
    };
    await Promise.all(Array.from({ length: o.inFlight }, loop));
    const perCpu = windows.map((w) => ({ keys: w.keys, updatesPerSecond: w.updatesPerCpuSecond }));
    return {
      options: o,
      reached: done,
      errors,
      seconds: round((performance.now() - startedAt) / 1000),
      windows,
      /** Updates/s in the window ending at `keys` over the first window's (null: `keys` not reached). */
      lastOverFirst: keysRatio(windows, o.keys),
      /** The same with updates per CPU-second of this process (holds on a busy machine). */
      lastOverFirstCpu: keysRatio(perCpu, o.keys),
      updatesAt100kKeysOverEmpty: o.keys === 100_000 ? keysRatio(windows, o.keys) : null,
    };
  } finally {
    await Promise.all(nodes.map((n) => n.kill()));
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseKeysArgs(argv: string[]): KeysOptions {
  const { values: a } = parseArgs({
    args: argv,
    options: {
      keys: { type: 'string' },
      window: { type: 'string' },
      'in-flight': { type: 'string' },
      'value-bytes': { type: 'string' },
      store: { type: 'string' },
      'snapshot-every': { type: 'string' },
      seconds: { type: 'string' },
    },
  });
  const num = (v: string | undefined, name: string, dflt: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`bench/keysProfile.ts: --${name} must be a positive integer, got ${JSON.stringify(v)}`);
    return n;
  };
  const store = a.store ?? KEYS_DEFAULTS.store;
  if (store !== 'memory' && store !== 'file') throw new Error(`bench/keysProfile.ts: --store must be memory or file, got ${JSON.stringify(store)}`);
  return {
    keys: num(a.keys, 'keys', KEYS_DEFAULTS.keys),
    window: num(a.window, 'window', KEYS_DEFAULTS.window),
    inFlight: num(a['in-flight'], 'in-flight', KEYS_DEFAULTS.inFlight),
    valueBytes: num(a['value-bytes'], 'value-bytes', KEYS_DEFAULTS.valueBytes),
    store,
    snapshotEvery: num(a['snapshot-every'], 'snapshot-every', KEYS_DEFAULTS.snapshotEvery),
    seconds: num(a.seconds, 'seconds', KEYS_DEFAULTS.seconds),
  };
}

if (isMain(import.meta.url)) {
  writeBenchResults('keysProfile', await benchKeys(parseKeysArgs(process.argv.slice(2))));
  process.exit(0);
}
