/**
 * `npm run bench` / `glup bench`: runs every benchmark in turn. Each writes its results,
 * with the command and the machine, under bench/results/. The helpers below give every
 * benchmark the same report format (the one bench/bus.ts writes).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BENCHES = [
  'bench/bus.ts',
  'bench/persistence.ts',
  'bench/failover.ts',
  'bench/falseDetections.ts',
  'bench/glup.ts',
  'bench/groups.ts',
  'bench/actors.ts',
  // the cost per update as the database grows, up to 100,000 keys (capped at 15 minutes)
  'bench/keysProfile.ts',
  // a restart's recovery of a snapshot of N keys and 1,000 records after it
  'bench/recovery.ts',
  'bench/scale.ts',
];

// shared with bench/peers.ts, which run.ts imports (a module of its own avoids an import cycle)
export { latencySummary, percentile, round } from './stats.js';
import { round } from './stats.js';

/** Writes bench/results/<name>.json with the command and the machine, and prints it. */
export function writeBenchResults(name: string, results: object): void {
  const report = {
    command: `npx tsx bench/${name}.ts`,
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    // the machine may run other work at the same time: 1, 5 and 15-minute load when the bench ended
    loadAverage: loadavg().map((l) => round(l, 2)),
    results,
  };
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', `${name}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  console.log(JSON.stringify(report, null, 2));
}

/** True when `moduleUrl` is the file node was started with (a bench run standalone). */
export function isMain(moduleUrl: string): boolean {
  return Boolean(process.argv[1]) && moduleUrl === pathToFileURL(process.argv[1]!).href;
}

/**
 * `args`: `--peers` runs etcd and glup side by side (bench/peers.ts: bench/results.json and
 * bench/RESULTS.md); `--quick` shortens it for CI; `--quick` alone runs the glup side only
 * (bench/results/quick.json). With neither, every benchmark above.
 */
export async function runBench(args: string[] = process.argv.slice(2)): Promise<number> {
  const unknown = args.filter((a) => a !== '--peers' && a !== '--quick');
  if (unknown.length) {
    console.error(`glup bench: unknown option ${unknown.join(' ')} (expected --peers, --quick)`);
    return 2;
  }
  if (args.includes('--peers') || args.includes('--quick')) {
    const { runPeers } = await import('./peers.js');
    return runPeers({ quick: args.includes('--quick'), peers: args.includes('--peers') });
  }
  let failed = 0;
  for (const file of BENCHES) {
    console.log(`== ${file}`);
    const r = spawnSync(process.execPath, ['--import=tsx', file], { stdio: 'inherit' });
    if (r.status !== 0) failed++;
  }
  return failed ? 1 : 0;
}

if (isMain(import.meta.url)) {
  process.exitCode = await runBench();
  // NATS connections and child processes are closed; timers of the nodes' libraries may linger
  process.exit(process.exitCode);
}
