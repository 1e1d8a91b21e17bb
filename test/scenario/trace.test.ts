import test from 'ava';
import { parseScenario } from '../../src/scenario/parse.js';
import {
  canonicalLine,
  compareTraces,
  GLUP_VERSION,
  parseTrace,
  TraceRecorder,
} from '../../src/scenario/trace.js';

const scenario = parseScenario('name: t\nseed: 4\ncluster:\n  nodes: 2\nsteps:\n  - start: all\n  - kill: n1\n', 't.yaml');

function record(toState = 'member.manager'): string[] {
  const r = new TraceRecorder();
  r.header({ scenario, seed: 4, overrides: { transport: 'memory', persistence: null, seed: null } });
  r.inspection({ t: 0.5, to: { member: 'manager' }, from: 'electing', event: 'won', type: 'transition', actor: 'node', node: 'n1' });
  r.role('n1', 'manager', 1, 0.5);
  r.step(0, scenario.steps[0]!, true, 1);
  r.inspection({ node: 'n2', actor: 'node', type: 'transition', event: 'announce', from: 'discovering', to: toState, t: 1.25 });
  r.step(1, scenario.steps[1]!, false, 310, 'TIMEOUT: waited 300 ms');
  return r.lines;
}

test('the header holds version, parsed scenario, seed and overrides, and no paths or wall time', (t) => {
  const [header] = record();
  const h = JSON.parse(header!);
  t.deepEqual(Object.keys(h), ['kind', 'glup', 'scenario', 'seed', 'overrides']);
  t.is(h.glup, GLUP_VERSION);
  t.is(h.glup, '0.1.0');
  t.deepEqual(h.scenario, JSON.parse(JSON.stringify(scenario)));
  t.deepEqual(h.overrides, { transport: 'memory', persistence: null, seed: null });
  t.false(header!.includes('t.yaml'));
});

test('event lines are canonical: fixed field order, sorted nested keys, optional fields left out', (t) => {
  const lines = record();
  t.is(lines[1], '{"kind":"transition","node":"n1","actor":"node","event":"won","from":"electing","to":{"member":"manager"},"t":0.5}');
  t.is(lines[2], '{"kind":"role","node":"n1","role":"manager","epoch":1,"t":0.5}');
  t.is(lines[3], '{"kind":"step","i":0,"step":{"start":"all"},"ok":true,"t":1}');
  t.is(lines[5], '{"kind":"step","i":1,"step":{"kill":["n1"]},"ok":false,"t":310,"error":"TIMEOUT: waited 300 ms"}');
  // Same content with keys in another order gives the same line.
  t.is(canonicalLine({ t: 0.5, to: { member: 'manager' }, from: 'electing', event: 'won', actor: 'node', node: 'n1', kind: 'transition' }), lines[1]);
  t.is(canonicalLine({ kind: 'transition', node: 'n1', actor: 'a', event: 'e', to: { b: 1, a: { d: 2, c: 1 } }, t: 0 }), '{"kind":"transition","node":"n1","actor":"a","event":"e","to":{"a":{"c":1,"d":2},"b":1},"t":0}');
});

test('a trace round-trips through parseTrace', (t) => {
  const lines = record();
  const parsed = parseTrace(lines.join('\n') + '\n', 'trace.jsonl');
  t.deepEqual(parsed.header.scenario, scenario);
  t.is(parsed.header.seed, 4);
  t.deepEqual(parsed.lines, lines.slice(1));
  t.is(parsed.events.length, 5);
});

test('a broken trace names the file and line', (t) => {
  const lines = record();
  const e1 = t.throws(() => parseTrace([lines[0], lines[1], '{oops'].join('\n'), 'tr.jsonl'));
  t.is(e1!.message, 'tr.jsonl:3:1: not a JSON line');
  const e2 = t.throws(() => parseTrace(lines[1]!, 'tr.jsonl'));
  t.regex(e2!.message, /^tr\.jsonl:1:1: the first line must be the trace header/);
  const badHeader = lines[0]!.replace('"kill"', '"kil"');
  const e3 = t.throws(() => parseTrace(badHeader, 'tr.jsonl'));
  t.regex(e3!.message, /tr\.jsonl:1 \(header scenario\): steps\[1\]\.kil: unknown step kind "kil"/);
});

test('compareTraces: identical runs', (t) => {
  const r = compareTraces(record(), record());
  t.deepEqual(r, { identical: true, events: 5, divergence: null });
});

test('compareTraces finds the first divergence', (t) => {
  const a = record();
  const b = record('member.client');
  const r = compareTraces(a, b);
  t.false(r.identical);
  t.is(r.events, 5);
  t.is(r.divergence!.index, 3);
  t.deepEqual(r.divergence!.expected, JSON.parse(a[4]!));
  t.deepEqual(r.divergence!.actual, JSON.parse(b[4]!));
});

test('compareTraces reports a trace that ends early', (t) => {
  const a = record();
  const b = a.slice(0, 3);
  const r = compareTraces(a, b);
  t.false(r.identical);
  t.is(r.divergence!.index, 2);
  t.is(r.divergence!.actual, null);
  t.deepEqual(compareTraces(b, a).divergence!.expected, null);
  // Whitespace and key order of a recorded file do not matter.
  const reordered = a.map((l) => JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(l)).reverse()), null, 0));
  t.true(compareTraces(a, reordered).identical);
});
