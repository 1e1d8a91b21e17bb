import test from 'ava';
import { runGlup } from '../helpers/cli.js';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMachine } from 'xstate';
import { machines } from '../../src/index.js';
import { nodeMachine } from '../../src/machines/node.js';
import { renderMachine } from '../../src/viz/export.js';
import { machineGraph, type MachineGraph } from '../../src/viz/graph.js';
import { CHAR_W, layoutMachine, type Box, type MachineLayout, type Point } from '../../src/viz/layout.js';


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

test('json lists every state and every event of the node machine', async (t) => {
  const expected = expectedFromDefinition();
  t.true(expected.events.length >= 15 && expected.keys.length >= 15, 'the walk found the chart');
  const graph = JSON.parse(await renderMachine('node', 'json')) as MachineGraph;
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
  t.deepEqual(byId.get('node.active.electing')!.invokes, ['election']);
  t.deepEqual(byId.get('node.active.leading')!.invokes, ['coordinator', 'liveness']);
  t.deepEqual(byId.get('node.active.discovering')!.entry, ['unfollow', 'lostManager', 'sendHello'], 'the raise XState adds for `after` is not listed');
  t.deepEqual(byId.get('node.active.discovering')!.exit, []);
  t.is(byId.get('node.stopped')!.type, 'final');
  t.deepEqual(
    graph.transitions.filter((tr) => tr.source === 'node.active.discovering' && tr.delay === 'discovery'),
    [{ source: 'node.active.discovering', target: ['node.active.electing'], event: 'after discovery', actions: [], delay: 'discovery' }],
  );
  t.deepEqual(
    graph.transitions.filter((tr) => tr.event === 'xstate.done.actor.election'),
    [
      { source: 'node.active.electing', target: ['node.active.leading'], event: 'xstate.done.actor.election', guard: 'ballotHeld', actions: ['assumeLeadership'] },
      { source: 'node.active.electing', target: ['node.active.discovering'], event: 'xstate.done.actor.election', guard: 'ballotSuperseded', actions: [] },
      { source: 'node.active.electing', target: ['node.active.isolated'], event: 'xstate.done.actor.election', actions: [] },
    ],
  );
  // the one place a manager steps down for an epoch (docs/protocol.md section 3)
  t.deepEqual(
    graph.transitions.find((tr) => tr.source === 'node.active.leading' && tr.event === 'EPOCH_RAISED'),
    { source: 'node.active.leading', target: ['node.active.discovering'], event: 'EPOCH_RAISED', guard: 'isRivalEpoch', actions: ['noteEpoch'] },
  );
});

test('mermaid names every state and event, labels guards and delays, nests composites', async (t) => {
  const expected = expectedFromDefinition();
  const text = await renderMachine('node', 'mermaid');
  t.true(text.startsWith('stateDiagram-v2\n'));
  for (const key of expected.keys) t.regex(text, new RegExp(`\\b${key}\\b`), key);
  for (const event of expected.events) t.true(text.includes(` : ${event}`), event);
  t.true(text.includes('discovering --> electing : after discovery'));
  t.true(text.includes('electing --> leading : xstate.done.actor.election [ballotHeld] / assumeLeadership'));
  t.true(text.includes('discovering --> following : MANAGER_HEARD [managerToJoin] / follow'));
  t.true(text.includes('client --> joining : always [removed]'));
  t.regex(text, /state active \{\n\s+\[\*\] --> discovering/);
  t.regex(text, /state backup \{\n\s+\[\*\] --> watching/);
  t.true(text.includes('  [*] --> idle\n'));
  t.true(text.includes('stopped --> [*]'));
  // Braces balance: every composite is closed.
  t.is((text.match(/\{/g) ?? []).length, (text.match(/\}/g) ?? []).length);
});

test('every format is identical across two exports', async (t) => {
  for (const name of Object.keys(machines)) {
    for (const format of ['json', 'mermaid', 'svg', 'xstate'] as const) t.is(await renderMachine(name, format), await renderMachine(name, format), `${name} ${format}`);
  }
});

test('svg is well-formed XML with one group per state and every event in it', async (t) => {
  const expected = expectedFromDefinition();
  const svg = await renderMachine('node', 'svg');
  t.notThrows(() => checkWellFormed(svg));
  const groups = svg.match(/<g class="state\b/g) ?? [];
  t.is(groups.length, machineGraph(nodeMachine).states.length);
  for (const path of expected.paths) t.true(svg.includes(`data-state-id="${path}"`), path);
  for (const event of expected.events) t.true(svg.includes(`>${event}`), event);
  for (const delay of expected.delays) t.true(svg.includes(`>after ${delay}`), delay);
  t.false(/\sid="node\./.test(svg), 'no element id repeats a state id, so several charts fit in one page');
});

/** Segment a–b (axis-parallel: the routing is orthogonal) runs through the inside of `box`. */
function crosses(a: Point, b: Point, box: Box, inset = 1): boolean {
  const [x1, x2] = [Math.min(a.x, b.x), Math.max(a.x, b.x)];
  const [y1, y2] = [Math.min(a.y, b.y), Math.max(a.y, b.y)];
  return x1 < box.x + box.w - inset && x2 > box.x + inset && y1 < box.y + box.h - inset && y2 > box.y + inset;
}

function layoutProblems(layout: MachineLayout): string[] {
  const parent = new Map(layout.states.map((s) => [s.state.id, s.state.parent]));
  const ancestors = (id: string) => {
    const out = new Set<string>();
    for (let p = parent.get(id); p; p = parent.get(p)) out.add(p);
    return out;
  };
  const problems: string[] = [];
  for (const e of layout.edges) {
    const source = e.source.replace(/\/initial$/, '');
    // an arrow may run inside the states that contain one of its ends, nowhere else
    const inside = new Set([...ancestors(source), ...ancestors(e.target)]);
    if (e.initial || ancestors(e.target).has(source)) inside.add(source);
    const name = `${e.source} -> ${e.target}`;
    if (e.points.length < 2) problems.push(`${name} has no route`);
    for (let i = 1; i < e.points.length; i++) {
      const [a, b] = [e.points[i - 1]!, e.points[i]!];
      if (a.x !== b.x && a.y !== b.y) problems.push(`${name}: segment ${i} is not orthogonal`);
      for (const s of layout.states) {
        if (!inside.has(s.state.id) && crosses(a, b, s)) problems.push(`${name} runs through state ${s.state.id}`);
        // and never through the title and notes of a composite it runs in
        const text = { x: s.x, y: s.y, w: Math.max(...s.lines.map((l) => l.length)) * CHAR_W + 20, h: s.textH };
        if (s.composite && crosses(a, b, text)) problems.push(`${name} runs through the text of ${s.state.id}`);
      }
    }
    if (e.label) {
      const l = e.label;
      for (const s of layout.states) {
        if (!inside.has(s.state.id) && crosses({ x: l.x, y: l.y }, { x: l.x + l.w, y: l.y + l.h }, s)) problems.push(`label of ${name} covers state ${s.state.id}`);
      }
    }
  }
  // children lie inside their parents
  const byId = new Map(layout.states.map((s) => [s.state.id, s]));
  for (const s of layout.states) {
    const p = s.state.parent === null ? undefined : byId.get(s.state.parent);
    if (p && !(s.x >= p.x && s.y >= p.y + p.textH && s.x + s.w <= p.x + p.w && s.y + s.h <= p.y + p.h)) problems.push(`${s.state.id} is not inside ${p.state.id}'s content`);
  }
  return problems;
}

test('ELK layout: no arrow or label runs through a state it does not belong to; children sit inside their parents', async (t) => {
  for (const [name, machine] of Object.entries(machines)) {
    const layout = await layoutMachine(machineGraph(machine));
    t.deepEqual(layoutProblems(layout), [], name);
    t.true(layout.edges.length >= 2, `${name} has arrows`);
  }
});

test('ELK layout: every transition with a target is on an arrow, and every label shows its guard and actions', async (t) => {
  const graph = machineGraph(nodeMachine);
  const layout = await layoutMachine(graph);
  const drawn = new Set(layout.edges.flatMap((e) => e.transitions));
  const inside = new Set(layout.states.flatMap((s) => s.lines));
  for (const tr of graph.transitions.filter((x) => x.target.length > 0)) {
    const label = [tr.event, tr.guard && `[${tr.guard}]`, tr.actions.length > 0 && `/ ${tr.actions.join(', ')}`].filter(Boolean).join(' ');
    t.true(drawn.has(tr) || [...inside].some((l) => l.startsWith(label)), `${tr.source} ${label}`);
  }
  const won = layout.edges.find((e) => e.transitions.some((tr) => tr.event === 'xstate.done.actor.election' && tr.guard === 'ballotHeld'))!;
  t.deepEqual(won.labels, ['xstate.done.actor.election [ballotHeld] / assumeLeadership']);
  t.true(layout.edges.some((e) => e.labels.includes('after discovery')));
});

test('--format xstate round-trips through createMachine: same states, transitions, guards, actions, delays', async (t) => {
  for (const name of Object.keys(machines)) {
    const config = JSON.parse(await renderMachine(name, 'xstate'));
    const graph = machineGraph((machines as Record<string, Parameters<typeof machineGraph>[0]>)[name]!);
    const again = machineGraph(createMachine(config));
    t.deepEqual(again, graph, name);
  }
  const node = JSON.parse(await renderMachine('node', 'xstate'));
  t.is(node.id, 'node');
  t.is(node.initial, 'idle');
  t.deepEqual(node.states.active.states.discovering.after.discovery, [{ target: ['#node.active.electing'] }]);
  t.deepEqual(node.states.active.states.electing.invoke, [{ src: 'election', id: 'election' }]);
});

test('glup viz --format xstate prints one JSON array of machine configs', async (t) => {
  const r = await cli('viz', '--format', 'xstate');
  t.is(r.code, 0, r.stderr);
  const configs = JSON.parse(r.stdout) as { id: string }[];
  t.deepEqual(configs.map((c) => c.id), Object.keys(machines));
});

test("the package exports the machines glup viz draws: import { machines } from 'glup'", (t) => {
  t.is(machines.node, nodeMachine);
  t.true(Object.keys(machines).length >= 3);
});

test('glup viz --machine nope exits 2 naming the known machines', async (t) => {
  const r = await cli('viz', '--machine', 'nope');
  t.is(r.code, 2);
  t.regex(r.stderr, /nope/);
  for (const name of Object.keys(machines)) t.true(r.stderr.includes(name), name);
});

test('glup viz --format json --out DIR writes one file per machine', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'glup-viz-'));
  const r = await cli('viz', '--format', 'json', '--out', dir);
  t.is(r.code, 0, r.stderr);
  t.deepEqual((await readdir(dir)).sort(), Object.keys(machines).map((m) => `${m}.json`).sort());
  const graph = JSON.parse(await readFile(join(dir, 'node.json'), 'utf8')) as MachineGraph;
  t.is(graph.id, 'node');
});

test('glup viz prints mermaid for one machine on stdout', async (t) => {
  const r = await cli('viz', '--machine', 'coordinator');
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.startsWith('stateDiagram-v2\n'));
  t.true(r.stdout.includes('draining --> drained : always [allCommitted]'));
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
