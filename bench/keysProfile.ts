/**
 * Profiling harness for the cost of an update as the database grows (issue 14): three
 * nodes in this one process on the memory network (real time) or NATS, every update a new
 * key. Prints updates/s per window of keys. Run it under `node --cpu-prof` to see where the
 * time goes:
 *
 *   node --import=tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/keysProfile.ts --keys 20000
 *
 * Flags: --keys N (default 20000) --window N (2000) --in-flight N (64) --value-bytes N (256)
 *        --store memory|file (file: fsync never, temp dir) --snapshot-every N (1000)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createNode, fileStore, memoryNetwork, memoryStore } from '../src/index.js';
import { realRunUntil } from '../src/bus/realTime.js';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '20000' },
    window: { type: 'string', default: '2000' },
    'in-flight': { type: 'string', default: '64' },
    'value-bytes': { type: 'string', default: '256' },
    store: { type: 'string', default: 'memory' },
    'snapshot-every': { type: 'string', default: '1000' },
  },
});
const KEYS = Number(args.keys);
const WINDOW = Number(args.window);
const IN_FLIGHT = Number(args['in-flight']);
const VALUE = 'x'.repeat(Number(args['value-bytes']));

const dir = mkdtempSync(join(tmpdir(), 'glup-keys-'));
const net = memoryNetwork({ seed: 1, virtualTime: false });
const ids = ['n1', 'n2', 'n3'];
const nodes = ids.map((id) =>
  createNode({
    cluster: 'keys',
    id,
    transport: net.transport(id),
    store: args.store === 'file' ? fileStore(join(dir, id), { fsync: 'never' }) : memoryStore(),
    heartbeatMs: 1000,
    initialMembers: ids,
    snapshotEvery: Number(args['snapshot-every']),
  }),
);
for (const n of nodes) void n.start();
await realRunUntil(() => nodes.every((n) => n.isMember()) && nodes[0]!.db.meta.backup !== null, { timeoutMs: 30_000 });
const client = nodes.find((n) => n.role === 'client')!;

let next = 0;
let done = 0;
let windowStart = performance.now();
const windows: number[] = [];
const loop = async () => {
  while (next < KEYS) {
    const k = next++;
    await client.update({ set: { path: ['bench', `k${k}`], value: VALUE } });
    if (++done % WINDOW === 0) {
      const now = performance.now();
      const rate = Math.round(WINDOW / ((now - windowStart) / 1000));
      windows.push(rate);
      console.log(`${done} keys: ${rate} updates/s (heap ${Math.round(process.memoryUsage().heapUsed / 1e6)} MB)`);
      windowStart = now;
    }
  }
};
await Promise.all(Array.from({ length: IN_FLIGHT }, loop));
console.log(JSON.stringify({ keys: KEYS, window: WINDOW, inFlight: IN_FLIGHT, windows }));
await Promise.all(nodes.map((n) => n.kill()));
rmSync(dir, { recursive: true, force: true });
process.exit(0);
