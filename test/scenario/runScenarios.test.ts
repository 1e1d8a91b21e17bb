import test from 'ava';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenarioFile } from '../../src/scenario/parse.js';
import { runScenario } from '../../src/scenario/run.js';
import { replayTrace } from '../../src/scenario/replay.js';
import { parseTrace } from '../../src/scenario/trace.js';

const dir = 'scenarios';
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

for (const file of files) {
  test(`scenario ${file} passes on the memory transport`, async (t) => {
    const { scenario } = await loadScenarioFile(join(dir, file));
    const { summary, trace } = await runScenario(scenario, { transport: 'memory' });
    const failed = trace.map((l) => JSON.parse(l)).find((l) => l.kind === 'step' && !l.ok);
    t.true(summary.passed, failed ? `step ${failed.i} failed: ${failed.error}` : 'no failing step recorded');
    t.is(summary.steps.length, scenario.steps.length);
  });
}

test('the same seed gives a byte-identical trace; another seed a different one', async (t) => {
  const { scenario } = await loadScenarioFile(join(dir, 'partition-heal.yaml'));
  const a = await runScenario(scenario, { transport: 'memory' });
  const b = await runScenario(scenario, { transport: 'memory' });
  t.is(a.trace.join('\n'), b.trace.join('\n'));
  const c = await runScenario(scenario, { transport: 'memory', seed: scenario.seed + 1 });
  t.not(a.trace.slice(1).join('\n'), c.trace.slice(1).join('\n'));
});

test('file persistence keeps traces byte-identical per seed (I/O is awaited outside virtual time)', async (t) => {
  const { scenario } = await loadScenarioFile(join(dir, 'restart-from-store.yaml'));
  t.is(scenario.cluster.persistence, 'file');
  const a = await runScenario(scenario, { transport: 'memory' });
  const b = await runScenario(scenario, { transport: 'memory' });
  t.true(a.summary.passed);
  t.is(a.trace.join('\n'), b.trace.join('\n'));
});

test('replay of a recorded trace reports identical', async (t) => {
  const { scenario } = await loadScenarioFile(join(dir, 'manager-failover.yaml'));
  const run = await runScenario(scenario, { transport: 'memory' });
  const result = await replayTrace(parseTrace(run.trace.join('\n'), 'recorded.jsonl'));
  t.true(result.identical);
  t.is(result.events, run.trace.length - 1);
  t.is(result.divergence, null);
});

test('replay against a trace recorded by a different machine reports the first divergence', async (t) => {
  const { scenario } = await loadScenarioFile(join(dir, 'manager-failover.yaml'));
  const run = await runScenario(scenario, { transport: 'memory' });
  // The recorded trace says the backup went straight to client after takeover: a changed machine.
  const lines = [...run.trace];
  const at = lines.findIndex((l) => {
    const e = JSON.parse(l);
    return e.kind === 'transition' && e.node === 'n2' && JSON.stringify(e.to).includes('manager');
  });
  t.true(at > 0);
  const changed = JSON.parse(lines[at]!);
  changed.to = { active: { member: 'client' } };
  lines[at] = JSON.stringify(changed);
  const result = await replayTrace(parseTrace(lines.join('\n'), 'recorded.jsonl'));
  t.false(result.identical);
  t.is(result.divergence!.index, at - 1);
  t.deepEqual(result.divergence!.expected, changed);
});
