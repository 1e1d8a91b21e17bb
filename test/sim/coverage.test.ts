import test from 'ava';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assign, createActor, setup, SimulatedClock } from 'xstate';
import { repoRoot, runGlup } from '../helpers/cli.js';
import { createCoverageCollector, activeIds } from '../../src/sim/coverage/collect.js';
import { loadMachines, machineList } from '../../src/sim/coverage/machines.js';
import { enumerateTransitions, describeTransition } from '../../src/sim/coverage/transitions.js';
import type { CoverageReport } from '../../src/sim/coverage/report.js';

// a small chart with every kind of transition: event, guarded alternatives, actions only, after, always
const door = setup({
  types: { context: {} as { opens: number }, events: {} as { type: 'OPEN' } | { type: 'KNOCK' } | { type: 'CLOSE'; force?: boolean } },
  guards: { forced: ({ event }) => event.type === 'CLOSE' && !!event.force },
}).createMachine({
  id: 'door',
  context: { opens: 0 },
  initial: 'closed',
  states: {
    closed: { on: { OPEN: 'opening', KNOCK: { actions: assign({ opens: ({ context }) => context.opens }) } } },
    opening: { always: { target: 'open', actions: assign({ opens: ({ context }) => context.opens + 1 }) } },
    open: {
      after: { 1000: 'closed' },
      on: { CLOSE: [{ guard: 'forced', target: 'locked' }, { target: 'closed' }] },
    },
    locked: {},
  },
});

test('every transition of a chart is enumerated, guarded alternatives and actions-only ones apart', (t) => {
  const lines = enumerateTransitions('door', door).map(describeTransition);
  t.deepEqual(lines.sort(), [
    'door.closed --KNOCK--> (actions only)',
    'door.closed --OPEN--> door.opening',
    'door.open --CLOSE [forced]--> door.locked',
    'door.open --CLOSE--> door.closed',
    'door.open --after 1000--> door.closed',
    'door.opening --always--> door.open',
  ]);
});

test("XState's microstep events count every transition taken exactly, actions-only ones included", (t) => {
  const collector = createCoverageCollector([{ name: 'door', machine: door }]);
  const clock = new SimulatedClock();
  const actor = createActor(door, { clock, inspect: (e) => collector.observe(e) });
  actor.start();
  actor.send({ type: 'KNOCK' });
  actor.send({ type: 'OPEN' });
  clock.increment(1000);
  actor.send({ type: 'OPEN' });
  actor.send({ type: 'CLOSE', force: true });
  t.true(collector.sawMicrosteps());
  const taken = [...collector.taken()].sort();
  t.deepEqual(
    taken,
    ['door:door.closed|KNOCK|0', 'door:door.closed|OPEN|0', 'door:door.open|CLOSE|0', 'door:door.open|xstate.after.1000.door.open|0', 'door:door.opening|always|0'].sort(),
  );
  t.deepEqual(collector.drain().sort(), taken, 'drain hands out what is new');
  t.deepEqual(collector.drain(), []);
});

test('reduced transition events count by event, source and target, through an always transition, by actor name or by state values', (t) => {
  const collector = createCoverageCollector([{ name: 'door', machine: door }]);
  collector.observe({ node: 'n1', actor: 'door', type: 'transition', event: 'OPEN', from: 'closed', to: 'open', t: 1 });
  // no machine named like this actor: its values pick the chart
  collector.observe({ node: 'n1', actor: 'frontDoor', type: 'transition', event: 'CLOSE', from: 'open', to: 'locked', t: 2 });
  // not a state of the chart: ignored
  collector.observe({ node: 'n1', actor: 'other', type: 'transition', event: 'CLOSE', from: 'ajar', to: 'shut', t: 3 });
  t.false(collector.sawMicrosteps());
  t.deepEqual([...collector.taken()].sort(), ['door:door.closed|OPEN|0', 'door:door.open|CLOSE|0', 'door:door.opening|always|0'].sort());
});

test('state values map to the active state nodes of a chart, or to null when they are not its own', (t) => {
  t.deepEqual([...activeIds(door, 'open')!].sort(), ['door', 'door.open']);
  t.is(activeIds(door, 'ajar'), null);
  t.is(activeIds(door, { open: 'inner' }), null);
});

test('the machine list is read from either export shape; glup lists its own machines', async (t) => {
  t.deepEqual(machineList([{ name: 'door', machine: door }, { name: 'x', machine: 42 }]).map((m) => m.name), ['door']);
  t.deepEqual(machineList({ door, nothing: null }).map((m) => m.name), ['door']);
  const names = (await loadMachines()).map((m) => m.name);
  t.true(names.includes('node'), names.join(','));
});

test('glup sim --coverage runs the scenarios and seeds and writes per chart: taken, total and the transitions never taken', async (t) => {
  t.timeout(10 * 60_000, 'virtual-time runs, slow only on a loaded machine');
  const dir = await mkdtemp(join(tmpdir(), 'glup-coverage-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'scenarios'));
  await copyFile(join(repoRoot, 'scenarios', 'manager-failover.yaml'), join(dir, 'scenarios', 'manager-failover.yaml'));
  const r = await runGlup(['sim', '--coverage', 'coverage.json', '--scenarios', 'scenarios', '--seeds', '1', '--steps', '20', '--json'], { cwd: dir });
  const report = JSON.parse(await readFile(join(dir, 'coverage.json'), 'utf8')) as CoverageReport;
  t.deepEqual(report.sources.scenarios, [{ file: join('scenarios', 'manager-failover.yaml'), passed: true }]);
  t.is(report.sources.seeds, 1);
  const machines = await loadMachines();
  t.deepEqual(report.machines.map((m) => m.machine), machines.map((m) => m.name));
  for (const m of report.machines) {
    t.is(m.total, enumerateTransitions(m.machine, machines.find((x) => x.name === m.machine)!.machine).length);
    t.is(m.never.length, m.total - m.covered);
  }
  const node = report.machines.find((m) => m.machine === 'node')!;
  t.true(node.covered > 0);
  t.false(node.never.includes('node.idle --START--> node.active'), 'every node starts');
  t.regex(r.stderr, /node: \d+\/\d+ transitions taken/);
  t.is(JSON.parse(r.stdout.trim().split('\n').at(-1)!).runs, 1);
});
