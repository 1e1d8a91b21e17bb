import test from 'ava';
import { parseScenario } from '../../src/scenario/parse.js';
import { renderReport } from '../../src/scenario/report.js';
import { buildSummary, formatTimeline, percentile } from '../../src/scenario/summary.js';
import { TraceRecorder } from '../../src/scenario/trace.js';
import { healthy } from './views.js';

const scenario = parseScenario(
  'name: manager-failover\nseed: 7\ncluster:\n  nodes: 4\nsteps:\n  - start: all\n  - update: { node: n2, set: { path: a, value: 1 } }\n  - kill: n1\n  - waitFor: { manager: n2, timeoutMs: 1000 }\n',
  'x.yaml',
);

function finalView() {
  return healthy(
    {
      n1: { status: 'killed' },
      n2: { role: 'manager', manager: 'n2', backup: 'n3', epoch: 2, committedSeq: 17 },
      n3: { role: 'backup', manager: 'n2', backup: 'n3', epoch: 2, committedSeq: 17 },
      n4: { role: 'client', manager: 'n2', backup: 'n3', epoch: 2, committedSeq: 17 },
    },
    310,
  );
}

function summary() {
  return buildSummary({
    scenario,
    passed: true,
    seed: 7,
    transport: 'memory',
    steps: scenario.steps.map((step) => ({ step, ok: true })),
    failoverMs: [310],
    updateLatenciesMs: [0.2, 0.4, 0.4, 1.2],
    messages: 1234,
    invalidMessages: 0,
    view: finalView(),
  });
}

test('the --json summary has exactly the shape of SPEC section 9', (t) => {
  const s = summary();
  t.deepEqual(Object.keys(s), ['scenario', 'passed', 'seed', 'transport', 'steps', 'metrics', 'final']);
  t.deepEqual(Object.keys(s.metrics), ['failoverMs', 'updateLatencyMs', 'messages', 'invalidMessages']);
  t.deepEqual(Object.keys(s.final), ['manager', 'backup', 'epoch', 'seq', 'converged', 'nodes']);
  t.deepEqual(s, {
    scenario: 'manager-failover',
    passed: true,
    seed: 7,
    transport: 'memory',
    steps: [
      { i: 0, kind: 'start', ok: true },
      { i: 1, kind: 'update', ok: true },
      { i: 2, kind: 'kill', ok: true },
      { i: 3, kind: 'waitFor', ok: true },
    ],
    metrics: { failoverMs: [310], updateLatencyMs: { p50: 0.4, p99: 1.2 }, messages: 1234, invalidMessages: 0 },
    final: { manager: 'n2', backup: 'n3', epoch: 2, seq: 17, converged: true, nodes: { n1: 'down', n2: 'manager', n3: 'backup', n4: 'client' } },
  });
  t.notThrows(() => JSON.parse(JSON.stringify(s)));
});

test('without an agreed manager the final state says so', (t) => {
  const s = buildSummary({
    scenario, passed: false, seed: 1, transport: 'nats', steps: [], failoverMs: [], updateLatenciesMs: [], messages: 0, invalidMessages: 0,
    view: healthy({ n1: { status: 'killed' } }),
  });
  t.deepEqual(s.final, { manager: null, backup: null, epoch: 0, seq: 0, converged: true, nodes: { n1: 'down', n2: 'backup', n3: 'client' } });
  t.deepEqual(s.metrics.updateLatencyMs, { p50: 0, p99: 0 });
});

test('percentile is nearest-rank', (t) => {
  t.is(percentile([5, 1, 3, 2, 4], 50), 3);
  t.is(percentile([5, 1, 3, 2, 4], 99), 5);
  t.is(percentile([], 50), 0);
});

function trace(): string[] {
  const r = new TraceRecorder();
  r.header({ scenario, seed: 7, overrides: { transport: 'memory', persistence: null, seed: null } });
  r.role('n1', 'manager', 1, 210);
  r.role('n2', 'backup', 1, 212);
  r.step(0, scenario.steps[0]!, true, 300);
  r.step(1, scenario.steps[1]!, true, 301);
  r.step(2, scenario.steps[2]!, true, 400);
  r.role('n2', 'manager', 2, 710);
  r.step(3, scenario.steps[3]!, true, 800);
  return r.lines;
}

test('the timeline shows who was manager when, failovers and updates', (t) => {
  const text = formatTimeline(summary(), trace());
  t.regex(text, /manager-failover {2}seed 7 {2}memory {2}PASSED/);
  t.regex(text, /n1 {7}epoch 1 {3}from 210\.0 ms to 400\.0 ms/);
  t.regex(text, /n2 {7}epoch 2 {3}from 710\.0 ms to the end/);
  t.regex(text, /failovers: 310 ms/);
  t.regex(text, /updates committed: 1 by steps; final seq 17/);
  t.regex(text, /step 2 {3}kill \["n1"\] {2}ok/);
});

test('the HTML report is self-contained: the dashboard page with the run, its steps and its trace inline', async (t) => {
  const html = await renderReport(summary(), trace());
  t.true(html.startsWith('<!doctype html>'));
  t.false(/https?:\/\//.test(html.replaceAll('http://www.w3.org/2000/svg', '')), 'no network references');
  t.false(/<script[^>]+src=|<link (?!rel="icon" href="data:)/.test(html), 'no external script or stylesheet');
  t.regex(html, /data-testid="outcome">passed</);
  t.regex(html, /failover 310 ms/);
  t.regex(html, /<td>kill<\/td><td class="op">\[&quot;n1&quot;\]<\/td>/);
  t.regex(html, /final: manager <b>n2<\/b>, backup <b>n3<\/b>, epoch 2, seq 17, converged/);
  // the timeline and sequence diagram are drawn in the page from the trace it carries
  const data = JSON.parse(html.match(/<script type="application\/json" id="glup-data">([^<]*)<\/script>/)![1]!);
  t.is(data.mode, 'report');
  t.is(data.events.filter((e: { kind: string }) => e.kind === 'role').length, 3);
  t.true(data.charts.some((c: { name: string }) => c.name === 'node'));
  t.false(html.includes('<script>alert'));
});

test('report text is escaped', async (t) => {
  const s = { ...summary(), scenario: '<img src=x onerror=alert(1)>' };
  const html = await renderReport(s, trace());
  t.false(html.includes('<img src=x'));
  t.true(html.includes('&lt;img src=x'));
});
