/**
 * CI's simulation run (issue 10): CI_SEEDS seeds of mixed shapes (3, 5, 7 or 9 nodes, 50 to
 * 120 steps), every fault and every workload (data, churn, process groups), spread over 2
 * worker processes, must break no invariant of SPEC section 12. It runs in the second ava
 * pass (ava.isolated.config.mjs), alone: two busy workers would slow the real-time tests.
 *
 * The seed count is the knob: lower it while a known failure is being fixed, never mark the
 * test as failing. A failure names seed, shape and invariant; `glup sim --seed S --nodes N
 * --steps M` reruns it and writes the shrunk reproduction.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGlup } from '../helpers/cli.js';
import type { SimSummary } from '../../src/sim/options.js';

export const CI_SEEDS = 300;
const WORKERS = 2;

test(`glup sim --seeds ${CI_SEEDS} --workers ${WORKERS}, mixed shapes, all faults and workloads: no invariant violated`, async (t) => {
  t.timeout(60 * 60_000);
  const cwd = await mkdtemp(join(tmpdir(), 'glup-sim-ci-'));
  t.teardown(() => rm(cwd, { recursive: true, force: true }));
  const args = ['sim', '--seeds', String(CI_SEEDS), '--workers', String(WORKERS), '--nodes', '3,5,7,9', '--steps', '50-120', '--shrink-runs', '0', '--json'];
  const r = await runGlup(args, { cwd });
  const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as SimSummary;
  t.is(summary.runs, CI_SEEDS, r.stderr.slice(-2000));
  const failures = summary.failures.map((f) => `seed ${f.seed} (--nodes ${f.nodes} --steps ${f.steps}): invariant ${f.invariant}`);
  t.deepEqual(failures, [], `reproduce one with: glup sim --seed S --nodes N --steps M`);
  // runs whose settle no safe rule could reach are listed (src/sim/settleOwed.ts), not hidden
  if (summary.settleNotOwed?.length) t.log(`no settle owed (docs/simulation.md): seeds ${summary.settleNotOwed.join(', ')}`);
  t.is(r.code, 0);
});
