import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseScenario, parseScenarioFile, ScenarioError, validateScenarioValue } from '../../src/scenario/parse.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const glup = join(root, 'bin', 'glup.js');

const GOOD = `name: ok
cluster:
  nodes: 3
  heartbeatMs: 100
steps:
  - start: all
  - waitFor: { manager: n1, members: 3, timeoutMs: 2000 }
`;

/** Parses `text` expecting a ScenarioError; returns it. */
function parseError(t: import('ava').ExecutionContext, text: string, file = 'scenarios/x.yaml'): ScenarioError {
  const err = t.throws(() => parseScenario(text, file), { instanceOf: ScenarioError });
  return err as ScenarioError;
}

function at(t: import('ava').ExecutionContext, err: ScenarioError, line: number, column: number, pattern: RegExp): void {
  t.is(err.file, 'scenarios/x.yaml');
  t.is(err.line, line, err.message);
  t.is(err.column, column, err.message);
  t.regex(err.message, pattern);
  t.true(err.message.startsWith(`scenarios/x.yaml:${line}:${column}: `), err.message);
}

test('broken YAML names the line of the syntax error', (t) => {
  const err = parseError(t, 'name: x\ncluster:\n  nodes: [n1, n2\nsteps:\n  - start: all\n');
  t.is(err.file, 'scenarios/x.yaml');
  t.true(err.line >= 3, err.message);
  t.regex(err.message, /invalid YAML/);
});

test('missing name is reported', (t) => {
  const err = parseError(t, 'cluster:\n  nodes: 2\nsteps:\n  - start: all\n');
  at(t, err, 1, 1, /scenario is missing "name"/);
});

test('unknown step kind lists the kinds and suggests the nearest', (t) => {
  const err = parseError(t, `${GOOD}  - kil: n1\n`);
  at(t, err, 8, 5, /unknown step kind "kil" \(expected one of start, kill, stop, .*expect, ask, tell\); did you mean "kill"\?/);
});

test('a step with two keys is refused', (t) => {
  const err = parseError(t, `${GOOD}  - kill: n1\n    wait: 100\n`);
  at(t, err, 8, 5, /step has 2 keys \(kill, wait\); each step takes exactly one/);
});

test('unknown expectation and condition keys are refused at the key', (t) => {
  const e1 = parseError(t, `${GOOD}  - expect: { manager: n1, membres: 3 }\n`);
  at(t, e1, 8, 28, /unknown key "membres" in expect .*did you mean "members"/);
  const e2 = parseError(t, `${GOOD}  - waitFor:\n      converged: true\n      timeout: 100\n`);
  at(t, e2, 10, 7, /unknown key "timeout" in waitFor/);
});

test('wrong value types name the field', (t) => {
  const e1 = parseError(t, GOOD.replace('heartbeatMs: 100', 'heartbeatMs: fast'));
  at(t, e1, 4, 16, /cluster\.heartbeatMs must be an integer, got the string "fast"/);
  const e2 = parseError(t, `${GOOD}  - wait: soon\n`);
  at(t, e2, 8, 11, /wait \(milliseconds\) must be a number/);
  const e3 = parseError(t, `${GOOD}  - expect: { converged: false }\n`);
  at(t, e3, 8, 26, /converged takes only true/);
});

test('unknown node ids in steps and conditions are refused', (t) => {
  const e1 = parseError(t, `${GOOD}  - kill: n9\n`);
  at(t, e1, 8, 11, /unknown node id "n9" in kill \(known here: n1, n2, n3\)/);
  const e2 = parseError(t, `${GOOD}  - expect: { roles: { n4: down } }\n`);
  at(t, e2, 8, 24, /unknown node id "n4"/);
  const e3 = parseError(t, `${GOOD}  - update: { node: n7, set: { path: a, value: 1 } }\n`);
  at(t, e3, 8, 21, /unknown node id "n7" in update\.node/);
  const e4 = parseError(t, `${GOOD}  - expect: { group: { name: g, members: [p1@n8] } }\n`);
  at(t, e4, 8, 43, /unknown node id "n8"/);
});

test('ids introduced by add are usable after the add step only', (t) => {
  const ok = parseScenario(`${GOOD}  - add: { id: n4, priority: 5 }\n  - waitFor: { roles: { n4: client }, timeoutMs: 1000 }\n`, 'x.yaml');
  t.deepEqual(ok.steps[2], { add: { id: 'n4', priority: 5, qualified: true } });
  const err = parseError(t, `${GOOD}  - kill: n4\n  - add: { id: n4 }\n`);
  at(t, err, 8, 11, /unknown node id "n4"/);
  const dup = parseError(t, `${GOOD}  - add: { id: n2 }\n`);
  at(t, dup, 8, 16, /already in the cluster/);
});

test('a bad cluster name is refused, also when it defaults to the scenario name', (t) => {
  const e1 = parseError(t, GOOD.replace('cluster:\n', 'cluster:\n  name: Demo_1\n'));
  at(t, e1, 3, 9, /cluster\.name "Demo_1" is not a valid cluster name/);
  const e2 = parseError(t, GOOD.replace('name: ok', 'name: My Scenario'));
  at(t, e2, 1, 7, /set cluster\.name/);
});

test('bad settings values are refused', (t) => {
  const e1 = parseError(t, GOOD.replace('heartbeatMs: 100', 'missedHeartbeats: 1'));
  at(t, e1, 4, 21, /cluster\.missedHeartbeats must be at least 2, got 1/);
  const e2 = parseError(t, GOOD.replace('heartbeatMs: 100', 'glup: broadcast'));
  at(t, e2, 4, 9, /cluster\.glup must be one of multicast, unicast/);
  const e3 = parseError(t, GOOD.replace('heartbeatMs: 100', 'quorum: some'));
  at(t, e3, 4, 11, /cluster\.quorum must be one of majority, none/);
  const e4 = parseError(t, GOOD.replace('heartbeatMs: 100', 'heartbeatMss: 100'));
  at(t, e4, 4, 3, /unknown key "heartbeatMss" in cluster/);
  const e5 = parseError(t, GOOD.replace('nodes: 3', 'nodes: [n1, n1]'));
  at(t, e5, 3, 15, /node id "n1" appears twice/);
});

test('update steps take exactly one operation and a known error code', (t) => {
  const e1 = parseError(t, `${GOOD}  - update: { node: n1, set: { path: a, value: 1 }, delete: { path: b } }\n`);
  at(t, e1, 8, 53, /update takes one operation, got set and delete \(use batch\)/);
  const e2 = parseError(t, `${GOOD}  - update: { node: n1, set: { path: a, value: 1 }, expectError: CONFLICT }\n`);
  at(t, e2, 8, 66, /expectError must be one of NO_QUORUM, NOT_MEMBER, TIMEOUT, CAS_FAILED, INVALID_OP, STOPPED/);
  const e3 = parseError(t, `${GOOD}  - update: { node: n1, cas: { path: a, value: 1 } }\n`);
  at(t, e3, 8, 30, /update\.cas is missing "expect"/);
});

test('partition, faults and selectors are checked', (t) => {
  const e1 = parseError(t, `${GOOD}  - partition: [[n1, n2], [n2, n3]]\n`);
  at(t, e1, 8, 28, /node "n2" is on two sides of the partition/);
  const e2 = parseError(t, `${GOOD}  - faults: { drop: 1.5 }\n`);
  at(t, e2, 8, 21, /faults\.drop must be between 0 and 1, got 1\.5/);
  const e3 = parseError(t, `${GOOD}  - start: []\n`);
  at(t, e3, 8, 12, /start needs at least one node id/);
  const e4 = parseError(t, `${GOOD}  - heal: yes\n`);
  at(t, e4, 8, 11, /heal takes only true/);
});

test('every step kind and expectation key of SPEC section 10 parses, normalized', (t) => {
  const s = parseScenario(
    `name: all-kinds
cluster:
  nodes: [n1, { id: n2, priority: 3 }, { id: n3, qualified: false }]
  quorum: none
steps:
  - start: all
  - kill: n1
  - stop: [n2]
  - restart: all
  - add: { id: n4 }
  - wait: 250
  - waitFor: { manager: any, backup: none, epoch: 2, seq: 3, members: 4, converged: true, timeoutMs: 900 }
  - update: { node: n1, set: { path: a.b, value: 1, ephemeral: true } }
  - update: { node: n1, delete: { path: [a, b] } }
  - update: { node: n1, merge: { path: a, value: { x: 1 } } }
  - update: { node: n1, cas: { path: a.x, expect: null, value: 2 }, expectError: CAS_FAILED }
  - update: { node: n1, batch: { ops: [{ set: { path: a, value: 1 } }, { delete: { path: b } }] } }
  - join: { node: n4, process: p1, group: g, expectError: NOT_MEMBER }
  - leave: { node: n4, process: p1, group: g }
  - send: { node: n2, group: g, payload: { hi: 1 }, mode: one, key: k }
  - switchover: { to: n2 }
  - partition: [[n1, n2], [n3, n4]]
  - heal: true
  - faults: { drop: 0.1, duplicate: 0.2, delayMs: [1, 5], between: [[n1, n2]] }
  - faults: none
  - expect:
      manager: none
      roles: { n1: down, n2: joining, n3: isolated, n4: client }
      db: { a.x: 2, missing: null }
      group: { name: g, members: [p1@n4] }
      delivered: { group: g, member: p1@n4, count: 2 }
      failoverMs: { max: 500 }
      logLength: { node: n4, min: 1, max: 9 }
`,
    'all.yaml',
  );
  t.is(s.seed, 1);
  t.is(s.cluster.name, 'all-kinds');
  t.is(s.cluster.persistence, 'memory');
  t.deepEqual(s.cluster.nodes, [
    { id: 'n1', priority: 0, qualified: true },
    { id: 'n2', priority: 3, qualified: true },
    { id: 'n3', priority: 0, qualified: false },
  ]);
  t.deepEqual(s.steps[1], { kill: ['n1'] });
  t.deepEqual(s.steps[3], { restart: 'all' });
  t.is(s.steps.length, 21);
  // The normalized form validates to itself: a trace header is checked by the same code.
  t.deepEqual(validateScenarioValue(JSON.parse(JSON.stringify(s)), 'header'), s);
});

test('waitFor without timeoutMs gets a generous default', (t) => {
  const s = parseScenario(GOOD.replace(', timeoutMs: 2000', ''), 'x.yaml');
  t.deepEqual(s.steps[1], { waitFor: { manager: 'n1', members: 3, timeoutMs: 10_000 } });
});

test('every file in scenarios/ parses', async (t) => {
  const dir = join(root, 'scenarios');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
  t.true(files.length >= 12);
  for (const f of files) {
    const s = await parseScenarioFile(join(dir, f));
    t.is(`${s.name}.yaml`, f, 'file named after its scenario');
  }
  const failover = await parseScenarioFile(join(dir, 'manager-failover.yaml'));
  t.is(failover.cluster.heartbeatMs, 100);
  t.is(failover.cluster.name, 'demo');
  t.is(failover.seed, 7);
});

test('an unreadable file is a ScenarioError naming the file', async (t) => {
  const err = await t.throwsAsync(parseScenarioFile('/nonexistent/x.yaml'), { instanceOf: ScenarioError });
  t.regex(err!.message, /^\/nonexistent\/x\.yaml: cannot read the file \(ENOENT\)/);
});

test('glup run exits 2 on an invalid file, naming file and line, and runs nothing', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'glup-parse-'));
  const good = join(dir, 'good.yaml');
  const bad = join(dir, 'bad.yaml');
  await writeFile(good, GOOD);
  await writeFile(bad, `${GOOD}  - kil: n1\n`);
  const err = await t.throwsAsync(run('node', [glup, 'run', good, bad], { cwd: root }));
  const e = err as unknown as { code: number; stderr: string; stdout: string };
  t.is(e.code, 2);
  t.true(e.stderr.includes(`${bad}:8:5: unknown step kind "kil"`), e.stderr);
  t.is(e.stdout, '', 'no scenario ran');
  t.false(e.stderr.includes('not supported yet'), 'nothing was loaded to run');

  const missing = await t.throwsAsync(run('node', [glup, 'run', join(dir, 'nope.yaml')], { cwd: root }));
  t.is((missing as unknown as { code: number }).code, 2);
  t.regex((missing as unknown as { stderr: string }).stderr, /nope\.yaml: cannot read the file/);
});

test('hosted actor types and ask / tell steps are checked, naming the field', (t) => {
  const withActors = (actors: string, step: string) => `name: ok\ncluster:\n  nodes: 3\n  actors:\n${actors}steps:\n  - start: all\n${step}`;
  const okTypes = '    - { type: counter, machine: counter, placement: sharded }\n';
  const ok = parseScenario(withActors(okTypes, '  - ask: { node: n1, type: counter, key: a, event: { type: INC }, expect: { context: { count: 1 } } }\n  - tell: { node: n2, type: counter, event: { type: INC } }\n'), 'scenarios/x.yaml');
  t.like(ok.steps[1], { ask: { node: 'n1', type: 'counter', key: 'a', event: { type: 'INC' } } });
  t.like(ok.steps[2], { tell: { node: 'n2', type: 'counter', key: 'default' } });
  t.regex(parseError(t, withActors('    - { type: counter, machine: nosuch, placement: sharded }\n', '')).message, /scenarios\/x\.yaml:5:.*cluster\.actors machine/);
  t.regex(parseError(t, withActors('    - { type: counter, machine: counter, placement: sharded, on: n1 }\n', '')).message, /on is for singletons only/);
  t.regex(parseError(t, withActors(okTypes, '  - ask: { node: n9, type: counter, event: { type: INC } }\n')).message, /scenarios\/x\.yaml:8:.*unknown node id "n9" in ask\.node/);
  t.regex(parseError(t, withActors(okTypes, '  - ask: { node: n1, type: counter, event: { by: 2 } }\n')).message, /ask\.event needs a string type/);
  t.regex(parseError(t, withActors(okTypes, '  - ask: { node: n1, type: counter, event: { type: INC }, expectError: NOPE }\n')).message, /expectError/);
});
