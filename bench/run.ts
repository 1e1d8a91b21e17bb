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
];

export const round = (x: number, digits = 3) => Number(x.toFixed(digits));

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** p50/p99/max (and count) of a set of durations in ms. */
export function latencySummary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  if (!sorted.length) return { samples: 0 };
  return {
    samples: sorted.length,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1]!),
    minMs: round(sorted[0]!),
  };
}

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

export async function runBench(): Promise<number> {
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
}
