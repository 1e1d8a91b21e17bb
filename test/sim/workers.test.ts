/**
 * `glup sim --workers`: seeds spread over child processes give the same summary as one
 * process (runs are deterministic per seed), children are replaced after --worker-seeds,
 * and a child that dies costs one seed, reported as a crash, not the batch.
 */
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGlup } from '../helpers/cli.js';
import { SIM_FAULTS, type SimSummary } from '../../src/sim/options.js';
import { runSim, type SeedResult } from '../../src/sim/run.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'glup-sim-workers-'));
  dirs.push(d);
  return d;
}
test.after.always(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as SimSummary;

test('seeds on 2 worker processes, replaced every 2 seeds, give the summary one process gives', async (t) => {
  t.timeout(10 * 60_000, 'virtual-time runs, slow only on a loaded machine');
  const flags = ['--from', '21', '--seeds', '6', '--nodes', '3,5', '--steps', '15-25', '--shrink-runs', '0', '--json'];
  const [a, b] = [await tempDir(), await tempDir()];
  const pooled = await runGlup(['sim', ...flags, '--workers', '2', '--worker-seeds', '2'], { cwd: a });
  const single = await runGlup(['sim', ...flags], { cwd: b });
  t.is(pooled.code, single.code, pooled.stderr.slice(0, 2000));
  const summary = lastJson(pooled.stdout);
  t.is(summary.runs, 6);
  t.deepEqual(summary, lastJson(single.stdout));
});

test('each worker result arrives once per seed, and a worker runs at most --worker-seeds seeds', async (t) => {
  t.timeout(10 * 60_000, 'virtual-time runs, slow only on a loaded machine');
  const outDir = await tempDir();
  const results: SeedResult[] = [];
  const summary = await runSim(
    { seeds: 5, from: 1, nodes: 3, steps: 10, faults: [...SIM_FAULTS], workloads: ['data'], workers: 2, workerSeeds: 2, shrinkRuns: 0 },
    { outDir, log: () => {}, onResult: (r) => results.push(r) },
  );
  t.is(summary.runs, 5);
  t.deepEqual(results.map((r) => r.seed).sort(), [1, 2, 3, 4, 5]);
  t.true(results.every((r) => r.worker!.rssMb > 0), 'workers report their memory');
  const perProcess = new Map<number, number>();
  for (const r of results) perProcess.set(r.worker!.pid, (perProcess.get(r.worker!.pid) ?? 0) + 1);
  t.true([...perProcess.values()].every((n) => n <= 2), `seeds per process: ${[...perProcess.values()]}`);
  t.true(perProcess.size >= 3, 'five seeds at two per process took at least three processes');
});

test('a worker that dies while running a seed costs that seed (a no-crash violation), and the batch goes on', async (t) => {
  const dir = await tempDir();
  // a stand-in worker: answers seeds like a real one, but exits on seed 3
  const fake = join(dir, 'worker.mjs');
  await writeFile(
    fake,
    `import { createInterface } from 'node:readline';
for await (const line of createInterface({ input: process.stdin })) {
  const seed = Number(line);
  if (seed === 3) { process.stderr.write('boom on seed 3\\n'); process.exit(7); }
  const result = { seed, nodes: 3, steps: 10, violations: [], faults: {}, workload: {}, simulatedMs: 1000, scenarioFile: null, originalFile: null, observed: { managers: 1, commits: 1, acks: 0, crashes: 0, views: 0, memberships: 1 } };
  process.stdout.write(JSON.stringify({ result }) + '\\n');
}
`,
  );
  const logged: string[] = [];
  const summary = await runSim(
    { seeds: 6, nodes: 3, steps: 10, faults: [], workers: 2, shrinkRuns: 0 },
    { log: (l) => logged.push(l), workerCommand: [process.execPath, fake] },
  );
  t.is(summary.runs, 6);
  t.is(summary.violations, 1);
  t.is(summary.failures[0]!.seed, 3);
  t.is(summary.failures[0]!.invariant, '6 no-crash');
  t.regex(logged.join('\n'), /seed 3 .*worker process running it exited \(code 7.*boom on seed 3/);
});
