/**
 * Before/after figures of issue 10 item 7, the same script run in two checkouts in one
 * sitting (it uses only what both cores have: `glup node`'s stdout role events and the
 * embedding API):
 *
 * - failover over NATS at heartbeat 100 and 50 ms (3 missed), one `glup node` process per
 *   node, 3 nodes, one nats-server: SIGKILL of the manager until a live node prints itself
 *   manager of a newer epoch (bench/peers.ts `glupFailover`);
 * - 64 in flight durable updates/s: 3 nodes in this process, one NATS connection each,
 *   fileStore fsync always, 256-byte values on 64 keys, submitted from a client node.
 *
 *   npx tsx bench/coreCompare.ts [--kills N] [--cell-ms N] [--label L]
 *
 * Prints one JSON object (and writes bench/results/coreCompare-<label>.json).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execSync } from 'node:child_process';
import { createNode, fileStore, natsTransport } from '../src/index.js';
import { startNatsServer } from '../test/helpers/natsServer.js';
import { GlupProcCluster } from './glupProcs.js';
import { glupFailover, measurePuts, peersPlan } from './peers.js';
import { round } from './stats.js';

const { values: args } = parseArgs({ options: { kills: { type: 'string', default: '10' }, 'cell-ms': { type: 'string', default: '10000' }, label: { type: 'string', default: 'run' } } });
const plan = { ...peersPlan(false), kills: Number(args.kills), cellMs: Number(args['cell-ms']), warmupMs: 1000 };
const HERE = dirname(fileURLToPath(import.meta.url));
const log = (m: string) => console.error(`[coreCompare ${args.label}] ${m}`);

const server = await startNatsServer();
const out: Record<string, unknown> = {
  label: args.label,
  commit: execSync('git rev-parse --short HEAD', { cwd: HERE, encoding: 'utf8' }).trim(),
  date: new Date().toISOString(),
  loadBefore: loadavg().map((l) => round(l, 2)),
};
for (const hb of [100, 50]) {
  log(`failover hb ${hb} x 3, ${plan.kills} kills`);
  try {
    const c = await GlupProcCluster.start(server.url, { cluster: `cmp-hb${hb}`, heartbeatMs: hb });
    try {
      out[`failoverHb${hb}`] = await glupFailover(c, plan);
    } finally {
      await c.stop();
    }
  } catch (e) {
    out[`failoverHb${hb}`] = { error: String(e) };
  }
}

log(`64 in flight durable, ${plan.cellMs} ms`);
const dir = mkdtempSync(join(tmpdir(), 'glup-cmp-'));
const ids = ['n1', 'n2', 'n3'];
const nodes = await Promise.all(
  ids.map(async (id) =>
    createNode({ cluster: 'cmp-upd', id, transport: await natsTransport({ servers: server.url, name: id }), store: fileStore(join(dir, id), { fsync: 'always' }), heartbeatMs: 100, initialMembers: ids }),
  ),
);
for (const n of nodes) void n.start();
const deadline = Date.now() + 60_000;
while (!(nodes.every((n) => n.isMember()) && nodes.some((n) => n.role === 'client'))) {
  if (Date.now() > deadline) throw new Error('cluster not formed in 60 s');
  await new Promise((r) => setTimeout(r, 20));
}
const client = nodes.find((n) => n.role === 'client')!;
const put = (k: string, v: string) => client.update({ set: { path: k.split('/'), value: v } });
out.inFlight64Durable = await measurePuts(put, 64, plan);
out.sequentialDurable = await measurePuts(put, 1, plan);
await Promise.all(nodes.map((n) => n.kill()));
rmSync(dir, { recursive: true, force: true });
await server.stop();
out.loadAfter = loadavg().map((l) => round(l, 2));
mkdirSync(join(HERE, 'results'), { recursive: true });
writeFileSync(join(HERE, 'results', `coreCompare-${args.label}.json`), JSON.stringify(out, null, 2) + '\n');
console.log(JSON.stringify(out));
process.exit(0);
