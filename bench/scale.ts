/**
 * Scale on the memory transport (issue 14, "1,000 simulated nodes"): N nodes in this process
 * on the deterministic memory network in virtual time, heartbeat 1000 ms, memory stores.
 * Reports wall time to form, simulated seconds per wall second with the cluster idle,
 * failover after a manager kill (simulated ms, and the wall time it took), heap per node.
 *
 *   npx tsx bench/scale.ts --nodes 200 [--idle-s 30] [--form-timeout-s 600]
 */
import { parseArgs } from 'node:util';
import { simCluster } from '../test/helpers/simCluster.js';
import { round } from './stats.js';

const { values: args } = parseArgs({ options: { nodes: { type: 'string', default: '50' }, 'idle-s': { type: 'string', default: '30' }, 'form-timeout-s': { type: 'string', default: '600' } } });
const N = Number(args.nodes);
const ids = Array.from({ length: N }, (_, i) => `n${String(i + 1).padStart(4, '0')}`);
const heapBefore = process.memoryUsage().heapUsed;
const c = simCluster(ids, { heartbeatMs: 1000 });
const out: Record<string, unknown> = { nodes: N, heartbeatMs: 1000 };
const wall = () => performance.now();
let t = wall();
let sim = c.net.clock.now();
try {
  await c.startAll(Number(args['form-timeout-s']) * 1000);
  await c.net.runUntil(() => c.managers().length === 1 && c.live().some((n) => n.role === 'backup'), { timeoutMs: 60_000 });
  out.formWallS = round((wall() - t) / 1000, 2);
  out.formSimS = round((c.net.clock.now() - sim) / 1000, 2);
  out.heapPerNodeMb = round((process.memoryUsage().heapUsed - heapBefore) / N / 2 ** 20, 3);
  t = wall();
  sim = c.net.clock.now();
  const idleMs = Number(args['idle-s']) * 1000;
  await c.net.runUntil(() => c.net.clock.now() - sim >= idleMs, { timeoutMs: idleMs + 1000 });
  out.idleSimSPerWallS = round((c.net.clock.now() - sim) / (wall() - t), 2);
  const old = c.managers()[0]!;
  t = wall();
  sim = c.net.clock.now();
  await old.kill();
  await c.net.runUntil(() => c.managers().some((m) => m !== old && m.role === 'manager'), { timeoutMs: 60_000 });
  out.failoverSimMs = round(c.net.clock.now() - sim, 1);
  out.failoverWallS = round((wall() - t) / 1000, 2);
} catch (e) {
  out.error = String((e as Error).message ?? e).slice(0, 300);
  out.wallSAtError = round((wall() - t) / 1000, 2);
}
console.log(JSON.stringify(out));
process.exit(0);
