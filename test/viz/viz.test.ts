import test from 'ava';
import { runGlup } from '../helpers/cli.js';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeMachine } from '../../src/machines/node.js';
import { renderMachine } from '../../src/viz/export.js';
import { machineGraph, type MachineGraph } from '../../src/viz/graph.js';


const cli = (...args: string[]) => runGlup(args);

interface NodeLike {
  key: string;
  path: string[];
  states: Record<string, NodeLike>;
  transitions: Map<string, Array<{ delay?: string | number }>>;
}

/** Every state key and every (non-delay) event, walked from the machine's own definition tree. */
function expectedFromDefinition(): { keys: string[]; paths: string[]; events: string[]; delays: string[] } {
  const keys: string[] = [];
  const paths: string[] = [];
  const events = new Set<string>();
  const delays = new Set<string>();
  const walk = (n: NodeLike) => {
    for (const [event, ts] of n.transitions) {
      for (const t of ts) if (t.delay !== undefined) delays.add(String(t.delay));
      if (!event.startsWith('xstate.after.')) events.add(event);
    }
    for (const child of Object.values(n.states)) {
      keys.push(child.key);
      paths.push(['node', ...child.path].join('.'));
      walk(child);
    }
  };
  walk(nodeMachine.root as unknown as NodeLike);
  return { keys, paths, events: [...events], delays: [...delays] };
}

test('json lists every state and every event of the node machine', (t) => {
  const expected = expectedFromDefinition();
  t.true(expected.events.length >= 15 && expected.keys.length >= 15, 'the walk found the chart');
  const graph = JSON.parse(renderMachine('node', 'json')) as MachineGraph;
  t.deepEqual(
    graph.states.map((s) => s.id).filter((id) => id !== 'node').sort(),
    [...expected.paths].sort(),
  );
  const events = new Set(graph.transitions.map((tr) => tr.event));
  for (const event of expected.events) t.true(events.has(event), event);
  for (const delay of expected.delays) t.true(events.has(`after ${delay}`), delay);
});

test('json keeps guards, delays, actions, entry, invokes, initial and final states', (t) => {
  const graph = machineGraph(nodeMachine);
  const byId = new Map(graph.states.map((s) => [s.id, s]));
  t.is(byId.get('node')!.initial, 'node.idle');
  t.is(byId.get('node.active')!.initial, 'node.active.discovering');
  t.deepEqual(byId.get('node.active')!.invokes, ['ticker']);
  t.deepEqual(byId.get('node.active.discovering')!.entry, ['sendHello'], 'the raise XState adds for `after` is not listed');
  t.deepEqual(byId.get('node.active.discovering')!.exit, []);
  t.is(byId.get('node.stopped')!.type, 'final');
  t.deepEqual(
    graph.transitions.filter((tr) => tr.source === 'node.active.electing' && tr.delay === 'election'),
    [
      { source: 'node.active.electing', target: ['node.active.electing'], event: 'after election', guard: 'majorityReachable', actions: [], delay: 'election', reenter: true },
      { source: 'node.active.electing', target: ['node.active.isolated'], event: 'after election', actions: [], delay: 'election' },
    ],
  );
  t.deepEqual(
    graph.transitions.find((tr) => tr.event === 'ELECTION_WON'),
    { source: 'node.active.electing', target: ['node.active.member.manager'], event: 'ELECTION_WON', actions: ['becomeElectedManager'] },
  );
  t.deepEqual(graph.transitions.find((tr) => tr.event === 'TICK'), { source: 'node.active', target: [], event: 'TICK', actions: ['onTick'] });
});

test('mermaid names every state and event, labels guards and delays, nests composites', (t) => {
  const expected = expectedFromDefinition();
  const text = renderMachine('node', 'mermaid');
  t.true(text.startsWith('stateDiagram-v2\n'));
  for (const key of expected.keys) t.regex(text, new RegExp(`\\b${key}\\b`), key);
  for (const event of expected.events) t.true(text.includes(` : ${event}`), event);
  t.true(text.includes('discovering --> electing : after discovery'));
  t.true(text.includes('electing --> electing : after election [majorityReachable]'));
  t.true(text.includes('discovering --> manager : JOINED [roleIsManager]'));
  t.true(text.includes('electing --> manager : ELECTION_WON / becomeElectedManager'));
  t.regex(text, /state active \{\n\s+\[\*\] --> discovering/);
  t.regex(text, /state backup \{\n\s+\[\*\] --> watching/);
  t.true(text.includes('  [*] --> idle\n'));
  t.true(text.includes('stopped --> [*]'));
  // Braces balance: every composite is closed.
  t.is((text.match(/\{/g) ?? []).length, (text.match(/\}/g) ?? []).length);
});

test('every format is identical across two exports', (t) => {
  for (const name of ['node', 'coordinator', 'processGroup']) {
    for (const format of ['json', 'mermaid', 'svg'] as const) t.is(renderMachine(name, format), renderMachine(name, format), `${name} ${format}`);
  }
});

test('svg is well-formed XML with one <g> per state and every event in it', (t) => {
  const expected = expectedFromDefinition();
  const svg = renderMachine('node', 'svg');
  t.notThrows(() => checkWellFormed(svg));
  const groups = svg.match(/<g\b/g) ?? [];
  t.is(groups.length, machineGraph(nodeMachine).states.length);
  for (const path of expected.paths) t.true(svg.includes(`<g class="state`) && svg.includes(`id="${path}"`), path);
  for (const event of expected.events) t.true(svg.includes(`>${event}`), event);
  for (const delay of expected.delays) t.true(svg.includes(`>after ${delay}`), delay);
});

test('glup viz --machine nope exits 2 naming the known machines', async (t) => {
  const r = await cli('viz', '--machine', 'nope');
  t.is(r.code, 2);
  t.regex(r.stderr, /nope/);
  for (const name of ['node', 'coordinator', 'processGroup']) t.true(r.stderr.includes(name), name);
});

test('glup viz --format json --out DIR writes one file per machine', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'glup-viz-'));
  const r = await cli('viz', '--format', 'json', '--out', dir);
  t.is(r.code, 0, r.stderr);
  t.deepEqual((await readdir(dir)).sort(), ['coordinator.json', 'node.json', 'processGroup.json']);
  const graph = JSON.parse(await readFile(join(dir, 'node.json'), 'utf8')) as MachineGraph;
  t.is(graph.id, 'node');
});

test('glup viz prints mermaid for one machine on stdout', async (t) => {
  const r = await cli('viz', '--machine', 'coordinator');
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.startsWith('stateDiagram-v2\n'));
  t.true(r.stdout.includes('draining --> done : DRAINED'));
});

/**
 * A small well-formedness check (no XML parser is installed): tags nest and close, attributes
 * are quoted, and only the five predefined entities are used.
 */
function checkWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<!--[\s\S]*?-->/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = tag.exec(body)) !== null) {
    checkText(body.slice(last, m.index));
    last = tag.lastIndex;
    if (m[2] === undefined) continue;
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}> at ${m.index}`);
    } else if (!selfClosing) stack.push(name!);
    if (stack.length === 0 && body.slice(last).trim() !== '') throw new Error('content after the root element');
  }
  checkText(body.slice(last));
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
  function checkText(text: string): void {
    if (/[<>]/.test(text)) throw new Error(`stray markup in text: ${text.slice(0, 40)}`);
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(text)) throw new Error(`bad entity in text: ${text.slice(0, 40)}`);
  }
}
