import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGlup } from '../helpers/cli.js';
import { SIM_FAULTS, type SimOptions, type SimSummary } from '../../src/sim/options.js';
import { parseScenarioFile } from '../../src/scenario/parse.js';
import { nodesAfter } from '../../src/sim/closing.js';
import { generateRun } from '../../src/sim/generate.js';
import { runSeed, seedsOf } from '../../src/sim/run.js';
import { shapeForSeed } from '../../src/sim/shapes.js';

const cli = (cwd: string, ...args: string[]) => runGlup(args, { cwd });
const lastJson = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').at(-1)!) as T;

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'glup-sim-'));
  dirs.push(d);
  return d;
}
test.after.always(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const defaults: SimOptions = { seeds: 1, nodes: 5, steps: 50, faults: [...SIM_FAULTS], shrinkRuns: 0 };
const shape = { nodes: 5, steps: 50, faults: [...SIM_FAULTS] };

test('glup sim --json prints the SPEC summary as its last line, with seeds per shape and the workload', async (t) => {
  t.timeout(10 * 60_000, 'virtual-time runs, slow only on a loaded machine');
  const cwd = await tempDir();
  const r = await cli(cwd, 'sim', '--seeds', '4', '--steps', '30', '--shrink-runs', '0', '--json');
  const summary = lastJson<SimSummary>(r.stdout);
  for (const key of ['runs', 'violations', 'failures', 'faults', 'simulatedMs']) t.true(key in summary, key);
  t.is(summary.runs, 4);
  t.true(summary.simulatedMs > 4 * 1000, 'each run simulates seconds of cluster time');
  t.deepEqual(summary.shapes, { 5: { runs: 4, violations: summary.violations, steps: [30, 30] } });
  t.true(Object.values(summary.workload!).reduce((a, b) => a + b, 0) > 0, 'churn and group operations were generated');
  t.is(summary.failures.length, summary.violations);
  // a violation exits 1 and leaves a reproduction behind, named in the summary
  t.is(r.code, summary.failures.length ? 1 : 0);
  for (const f of summary.failures) {
    t.true(existsSync(join(cwd, f.scenario)), f.scenario);
    t.regex(f.invariant, /^[1-7] /);
  }
});

test('--from S --seeds N runs seeds S … S+N−1; --seed S runs one', (t) => {
  t.deepEqual(seedsOf({ ...defaults, from: 40, seeds: 3 }), [40, 41, 42]);
  t.deepEqual(seedsOf({ ...defaults, seeds: 2 }), [1, 2]);
  t.deepEqual(seedsOf({ ...defaults, seed: 9, seeds: 100 }), [9]);
});

test('mixed shapes: each seed draws its nodes and steps from the sets, the summary counts seeds per node count', async (t) => {
  t.timeout(10 * 60_000, 'virtual-time runs, slow only on a loaded machine');
  const cwd = await tempDir();
  const r = await cli(cwd, 'sim', '--from', '11', '--seeds', '6', '--nodes', '3,5', '--steps', '10-20', '--shrink-runs', '0', '--json');
  const summary = lastJson<SimSummary>(r.stdout);
  t.is(summary.runs, 6);
  const expected: Record<string, { runs: number; steps: number[] }> = {};
  for (let seed = 11; seed <= 16; seed++) {
    const s = shapeForSeed(seed, [3, 5], Array.from({ length: 11 }, (_, i) => 10 + i));
    const e = (expected[s.nodes] ??= { runs: 0, steps: [] });
    e.runs++;
    e.steps.push(s.steps);
  }
  t.deepEqual(Object.keys(summary.shapes!).sort(), Object.keys(expected).sort());
  for (const [nodes, e] of Object.entries(expected)) {
    t.is(summary.shapes![nodes]!.runs, e.runs);
    t.deepEqual(summary.shapes![nodes]!.steps, [Math.min(...e.steps), Math.max(...e.steps)]);
  }
  t.true(Object.keys(expected).length === 2, 'both node counts were drawn');
});

test('the same seed twice gives the same run, observations and verdict; every checker is fed', async (t) => {
  t.timeout(10 * 60_000, 'virtual-time runs, slow only on a loaded machine');
  const outDir = await tempDir();
  const a = await runSeed(2, defaults, { outDir });
  const b = await runSeed(2, defaults, { outDir });
  t.true(a.observed.commits > 0 && a.observed.acks > 0 && a.observed.managers > 0, 'the data checkers were fed');
  t.true(a.observed.views > 0, 'members were told group views');
  t.is(a.observed.memberships, a.observed.commits, 'every commit gave its membership');
  t.deepEqual(b, a);
  t.deepEqual(generateRun({ seed: 3, ...shape }), generateRun({ seed: 3, ...shape }));
  t.notDeepEqual(generateRun({ seed: 4, ...shape }).scenario.steps, generateRun({ seed: 3, ...shape }).scenario.steps);
});

test('--workload data generates the runs glup sim generated before churn and groups (the seeds reported in issue 10 keep their meaning)', (t) => {
  const digest = (seed: number, nodes: number, steps: number) =>
    createHash('sha1')
      .update(JSON.stringify(generateRun({ seed, nodes, steps, faults: [...SIM_FAULTS], workloads: ['data'] }).scenario.steps))
      .digest('hex');
  // digests of the generator as of commit 0291766
  t.is(digest(5049, 5, 50), 'f014c229de298066c017fa56126433879eca6c76');
  t.is(digest(14016, 9, 60), 'db3c12b98df4b33b220594e55d5606fe05cc302a');
  t.is(digest(31036, 3, 100), '520fb5a223e2895ff0fe18c1e87edfd763c64e81');
  t.is(digest(9002, 5, 50), '598cf49ce3b07e7fecd7bef1c81a2eba8894d12b');
});

test('generated runs keep a majority of the membership up, churn within limits, and end healed with every down node restarted', (t) => {
  let adds = 0;
  let stops = 0;
  let groupSteps = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const gen = generateRun({ seed, ...shape });
    const { scenario, faults } = gen;
    const members = new Set(scenario.cluster.nodes.map((n) => n.id));
    const down = new Set<string>();
    let kills = 0;
    for (const step of scenario.steps.slice(0, gen.closingStart)) {
      if ('kill' in step) for (const id of step.kill as string[]) (down.add(id), kills++);
      if ('restart' in step) for (const id of step.restart as string[]) (down.delete(id), members.add(id));
      if ('add' in step) (members.add(step.add.id), adds++);
      if ('stop' in step) for (const id of step.stop as string[]) (members.delete(id), stops++, t.false(down.has(id), `seed ${seed}: only live nodes leave`));
      if ('join' in step || 'leave' in step || 'send' in step) groupSteps++;
      t.true(down.size <= Math.floor((members.size - 1) / 2), `seed ${seed}: a majority of ${members.size} members up`);
      t.true(members.size >= 3, `seed ${seed}: at least three members`);
    }
    t.true(members.size <= 5 + 3, `seed ${seed}: at most three nodes added`);
    const after = nodesAfter(scenario.cluster.nodes.map((n) => n.id), scenario.steps.slice(gen.bodyStart, gen.closingStart));
    t.deepEqual([...after.down].sort(), [...down].sort());
    const closing = scenario.steps.slice(gen.closingStart);
    t.deepEqual(closing.slice(0, 2), [{ heal: true }, { faults: 'none' }], `seed ${seed}: ends healed`);
    if (down.size) t.deepEqual([...(closing[2] as { restart: string[] }).restart].sort(), [...down].sort(), `seed ${seed}: every down node restarted`);
    t.is((scenario.steps[gen.settleStep] as { waitFor: { members: number } }).waitFor.members, members.size, `seed ${seed}: settles with every member`);
    t.deepEqual(Object.keys(scenario.steps.at(-1)!), ['expect']);
    t.is(kills, faults.kill);
  }
  t.true(adds > 0 && stops > 0 && groupSteps > 0, 'churn and group steps were generated');
});

test('a violation writes the shrunk scenario and the original; both parse and glup run fails on both', async (t) => {
  t.timeout(10 * 60_000, 'virtual-time runs, slow only on a loaded machine');
  // provoke invariant 4 deliberately: a settle bound of 1 ms after restarting a down node
  const seed = [...Array(20).keys()]
    .map((i) => i + 1)
    .find((s) => {
      const g = generateRun({ seed: s, ...shape, workloads: ['data'] });
      return g.scenario.steps.slice(g.closingStart).some((st) => 'restart' in st);
    })!;
  t.truthy(seed, 'some seed restarts a node at the end');
  const outDir = await tempDir();
  const r = await runSeed(seed, { ...defaults, workloads: ['data'], shrinkRuns: 25 }, { outDir, settleBoundMs: 1 });
  t.is(r.violations[0]!.invariant, 'settles-after-heal');
  t.is(r.scenarioFile, join(outDir, `sim-failure-${seed}.yaml`));
  t.is(r.originalFile, join(outDir, `sim-failure-${seed}.original.yaml`));
  t.true(r.shrink!.to < r.shrink!.from && r.shrink!.runs <= 25, `shrunk ${JSON.stringify(r.shrink)}`);

  const shrunkText = await readFile(r.scenarioFile!, 'utf8');
  t.regex(shrunkText, new RegExp(`^# glup sim seed ${seed}: invariant 4`));
  t.regex(shrunkText, /Shrunk from 50 to \d+ generated steps/);
  const generated = generateRun({ seed, ...shape, workloads: ['data'], settleBoundMs: 1 });
  const original = await parseScenarioFile(r.originalFile!);
  t.is(original.steps.length, generated.scenario.steps.length);
  t.deepEqual(original.steps.at(generated.settleStep), { waitFor: { manager: 'any', members: 5, converged: true, timeoutMs: 1 } });
  const shrunk = await parseScenarioFile(r.scenarioFile!);
  // formation (2 steps), the shrunk body, and a closing of at most 6 steps
  t.true(shrunk.steps.length <= 2 + r.shrink!.to + 6 && shrunk.steps.length < original.steps.length);

  for (const file of [r.originalFile!, r.scenarioFile!]) {
    const run = await cli(outDir, 'run', file, '--json');
    t.is(run.code, 1, run.stderr);
    const summary = lastJson<{ passed: boolean; steps: { i: number; ok: boolean; kind: string }[] }>(run.stdout);
    // the replay takes the sim's path (failed updates expect their errors) and fails at the settle only
    const failed = summary.steps.filter((s) => !s.ok);
    t.is(failed.length, 1, file);
    t.is(failed[0]!.kind, 'waitFor', file);
  }
  // glup sim --check re-checks the shrunk file with the same invariant
  const check = await cli(outDir, 'sim', '--check', r.scenarioFile!, '--json');
  t.is(check.code, 1);
  t.deepEqual(lastJson<{ invariants: string[] }>(check.stdout).invariants, ['4 settles-after-heal']);
});

test('glup sim --seed runs one seed with the chosen faults only', async (t) => {
  const cwd = await tempDir();
  const r = await cli(cwd, 'sim', '--seed', '2', '--nodes', '3', '--steps', '10', '--faults', 'drop,delay', '--workload', 'data', '--json');
  const summary = lastJson<SimSummary>(r.stdout);
  t.is(summary.runs, 1);
  t.deepEqual(Object.keys(summary.faults).sort(), ['delay', 'drop']);
  t.deepEqual(summary.workload, {});
});

test('bad shape and workload flags are bad input (exit 2) naming the flag', async (t) => {
  const cwd = await tempDir();
  for (const [args, message] of [
    [['--nodes', '3,x'], /"x" is not a number or a range/],
    [['--steps', '120-50'], /ends before it starts/],
    [['--nodes', '0-3'], /outside 1\.\.100/],
    [['--workload', 'data,chaos'], /unknown workload "chaos"/],
  ] as const) {
    const r = await cli(cwd, 'sim', ...args);
    t.is(r.code, 2, args.join(' '));
    t.regex(r.stderr, message);
  }
});
