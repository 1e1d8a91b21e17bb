/**
 * Scale on the memory transport (issue 14, "1,000 simulated nodes"): N nodes in one process
 * on the deterministic memory network in virtual time, heartbeat 1000 ms, memory stores.
 * For each N it reports the wall (and CPU) time to form, simulated seconds per wall second
 * with the cluster idle, failover after a manager kill (simulated ms, and the wall time it
 * took), and heap per node after a full GC.
 *
 *   npx tsx bench/scale.ts                       # 50, 200, 500 and 1000 nodes: bench/results/scale.json
 *   npx tsx bench/scale.ts --sizes 50,200        # other sizes
 *   npx tsx bench/scale.ts --nodes 200 [--idle-s 20] [--form-timeout-s 600]   # one size, one JSON line, no file
 *
 * Each size runs in a child process of its own (a fresh heap, so heap per node is its own).
 * CPU seconds are reported next to wall seconds: on a shared machine the wall figure also
 * measures the other load.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { NodeRuntime } from '../src/actors/runtime.js';
import { simCluster } from '../test/helpers/simCluster.js';
import { isMain, writeBenchResults } from './run.js';
import { round } from './stats.js';

const DEFAULT_SIZES = [50, 200, 500, 1000];

const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string' },
    sizes: { type: 'string' },
    'idle-s': { type: 'string', default: '20' },
    'form-timeout-s': { type: 'string', default: '600' },
  },
});

const gc = (globalThis as { gc?: () => void }).gc;
const heapUsed = () => {
  gc?.();
  return process.memoryUsage().heapUsed;
};

/**
 * Role counts kept up to date by each node's 'role' event: the run loop's conditions are
 * checked after every simulated event, so they must not look at every node (that alone made
 * forming N nodes cost N × events).
 */
function roleCounts(nodes: Iterable<NodeRuntime>) {
  const roleOf = new Map<NodeRuntime, string>();
  const counts = new Map<string, number>();
  const set = (n: NodeRuntime, role: string) => {
    const old = roleOf.get(n);
    if (old) counts.set(old, (counts.get(old) ?? 0) - 1);
    roleOf.set(n, role);
    counts.set(role, (counts.get(role) ?? 0) + 1);
  };
  for (const n of nodes) {
    set(n, n.role);
    n.on('role', (r) => set(n, r as string));
  }
  const count = (role: string) => counts.get(role) ?? 0;
  return { count, members: () => count('manager') + count('backup') + count('client') };
}

async function runOne(N: number, idleS: number, formTimeoutS: number): Promise<Record<string, unknown>> {
  const ids = Array.from({ length: N }, (_, i) => `n${String(i + 1).padStart(4, '0')}`);
  const heapBefore = heapUsed();
  const c = simCluster(ids, { heartbeatMs: 1000 });
  const roles = roleCounts(c.nodes.values());
  const out: Record<string, unknown> = { nodes: N, heartbeatMs: 1000 };
  const wall = () => performance.now();
  let cpu = process.cpuUsage();
  const cpuS = () => {
    const u = process.cpuUsage(cpu);
    return (u.user + u.system) / 1e6;
  };
  let t = wall();
  let sim = c.net.clock.now();
  try {
    for (const n of c.nodes.values()) void n.start().catch(() => {});
    await c.net.runUntil(() => roles.members() === N && roles.count('manager') === 1 && roles.count('backup') === 1, { timeoutMs: formTimeoutS * 1000 });
    out.formWallS = round((wall() - t) / 1000, 2);
    out.formCpuS = round(cpuS(), 2);
    out.formSimS = round((c.net.clock.now() - sim) / 1000, 2);
    out.heapPerNodeMb = round((heapUsed() - heapBefore) / N / 2 ** 20, 3);
    t = wall();
    cpu = process.cpuUsage();
    sim = c.net.clock.now();
    await c.net.advance(idleS * 1000);
    const idleCpuS = cpuS();
    out.idleSimS = idleS;
    out.idleSimSPerWallS = round((c.net.clock.now() - sim) / (wall() - t), 2);
    out.idleSimSPerCpuS = round((c.net.clock.now() - sim) / 1000 / idleCpuS, 2);
    const old = c.managers()[0]!;
    t = wall();
    cpu = process.cpuUsage();
    sim = c.net.clock.now();
    await old.kill();
    await c.net.runUntil(() => roles.count('manager') === 1 && old.role === 'stopped', { timeoutMs: 60_000 });
    out.failoverSimMs = round(c.net.clock.now() - sim, 1);
    out.failoverWallS = round((wall() - t) / 1000, 2);
    out.failoverCpuS = round(cpuS(), 2);
  } catch (e) {
    out.error = String((e as Error).message ?? e).slice(0, 300);
    out.wallSAtError = round((wall() - t) / 1000, 2);
    out.membersAtError = roles.members();
  }
  return out;
}

/** Every size in a child process of its own; the results go to bench/results/scale.json. */
function runAll(sizes: number[]): void {
  const results: Record<string, unknown>[] = [];
  for (const N of sizes) {
    // heap per node grows with the cluster (every node holds the whole membership): room for 1,000
    const r = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=12288', '--import=tsx', 'bench/scale.ts', '--nodes', String(N), '--idle-s', args['idle-s']!, '--form-timeout-s', args['form-timeout-s']!], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 2 ** 20,
    });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      parsed = { nodes: N, error: `child exited ${r.status ?? r.signal}: ${line.slice(0, 200)}` };
    }
    console.error(JSON.stringify(parsed));
    results.push(parsed);
  }
  writeBenchResults('scale', { args: process.argv.slice(2), transport: 'memory (virtual time)', store: 'memory', sizes: results });
}

if (isMain(import.meta.url)) {
  if (args.nodes) {
    console.log(JSON.stringify(await runOne(Number(args.nodes), Number(args['idle-s']), Number(args['form-timeout-s']))));
  } else {
    runAll(args.sizes ? args.sizes.split(',').map(Number) : DEFAULT_SIZES);
  }
  // the nodes' timers live on the virtual clock; nothing is left to wait for
  process.exit(0);
}
