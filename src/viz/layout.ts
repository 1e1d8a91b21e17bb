/**
 * Lays a machine graph out with ELK (elkjs, the Eclipse Layout Kernel): layered, orthogonal
 * edges, states inside their parents' boxes (hierarchy handled in one pass, so an edge that
 * leaves a composite state is routed around the boxes it does not belong to). Every format
 * that draws a chart (`glup viz --format svg`, the dashboard, the run report) draws this
 * layout, so a chart looks the same everywhere.
 *
 * Text is measured with a fixed monospace advance (the SVG sets a monospace font), so the
 * boxes fit their text without a browser; coordinates are rounded so layouts are stable.
 */
import ElkBundled from 'elkjs/lib/elk.bundled.js';
import type { ELK, ELKConstructorArguments, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import { transitionLabel, type GraphState, type GraphTransition, type MachineGraph } from './graph.js';

// elk.bundled.js is CommonJS whose module.exports is the constructor: that is the default import
// at run time, while its typings describe an ES default export.
const ElkConstructor = ElkBundled as unknown as new (args?: ELKConstructorArguments) => ELK;
/** One ELK instance for the process: it holds no state between layouts. */
let elkInstance: ELK | undefined;

export const FONT_PX = 12;
/** Advance of one character of a 12 px monospace font (DejaVu Sans Mono: 0.602 em), rounded up. */
export const CHAR_W = 7.4;
export const LINE_H = 16;
const BOX_PAD_X = 10;
const BOX_PAD_Y = 8;
const INITIAL_D = 12;

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface StateLayout extends Box {
  state: GraphState;
  /** Title first, then entry/exit/invoke/tags and internal transitions. */
  lines: string[];
  composite: boolean;
  /** Height of the text area at the top of the box (the whole box for a leaf). */
  textH: number;
}

export interface EdgeLayout {
  source: string;
  target: string;
  /** The transitions drawn by this arrow (all between one pair of states), in definition order. */
  transitions: GraphTransition[];
  labels: string[];
  points: Point[];
  /** Where the label box goes; null for the arrow from an initial dot. */
  label: Box | null;
  /** Every transition on it is delayed (`after …`): drawn dashed. */
  delayed: boolean;
  /** The arrow from a composite state's initial dot to its initial child. */
  initial: boolean;
}

export interface MachineLayout {
  graph: MachineGraph;
  width: number;
  height: number;
  /** In drawing order: parents before children. */
  states: StateLayout[];
  edges: EdgeLayout[];
  /** The initial dots: one per composite state with an initial child. */
  initials: { parent: string; cx: number; cy: number; r: number }[];
  /** Where arrows from a composite into its own content start (a ring inside the composite). */
  anchors: { parent: string; cx: number; cy: number; r: number }[];
}

const MARGIN = 16;

const ROOT_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.spacing.nodeNodeBetweenLayers': '36',
  'elk.layered.spacing.edgeNodeBetweenLayers': '14',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '10',
  'elk.spacing.nodeNode': '24',
  'elk.spacing.edgeNode': '14',
  'elk.spacing.edgeEdge': '10',
  'elk.spacing.edgeLabel': '4',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  // Every coordinate comes back relative to the root, whatever node an edge is declared in.
  'elk.json.shapeCoords': 'ROOT',
  'elk.json.edgeCoords': 'ROOT',
};

export async function layoutMachine(graph: MachineGraph): Promise<MachineLayout> {
  const children = new Map<string, GraphState[]>();
  for (const s of graph.states) if (s.parent !== null) children.set(s.parent, [...(children.get(s.parent) ?? []), s]);
  const root = graph.states.find((s) => s.parent === null);
  if (!root) throw new Error(`machine ${graph.id} has no root state`);
  const byId = new Map(graph.states.map((s) => [s.id, s]));
  const linesOf = new Map(graph.states.map((s) => [s.id, stateLines(s, graph.transitions, byId)]));

  const arrows = arrowsOf(graph, byId);
  // An arrow from a composite into its own content starts at an anchor dot inside it: from
  // the border it would run down through the composite's title and notes.
  const anchored = new Set(arrows.filter((a) => isAncestor(a.target, a.source, byId)).map((a) => a.source));
  const elkNode = (s: GraphState): ElkNode => {
    const lines = linesOf.get(s.id)!;
    const textW = textWidth(lines) + 2 * BOX_PAD_X;
    const textH = lines.length * LINE_H + BOX_PAD_Y;
    const kids = children.get(s.id) ?? [];
    if (kids.length === 0) return { id: s.id, width: round(Math.max(textW, 60)), height: round(Math.max(textH + BOX_PAD_Y, 34)) };
    const inner: ElkNode[] = kids.map(elkNode);
    if (s.initial !== null) inner.unshift({ id: initialId(s.id), width: INITIAL_D, height: INITIAL_D });
    if (anchored.has(s.id)) inner.push({ id: anchorId(s.id), width: INITIAL_D, height: INITIAL_D });
    return {
      id: s.id,
      children: inner,
      layoutOptions: {
        'elk.padding': `[top=${textH + 14},left=14,bottom=14,right=14]`,
        // a composite is at least as wide as its own text
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${round(textW)}, ${textH + 30})`,
      },
    };
  };

  const edges: (ElkExtendedEdge & { meta: Omit<EdgeLayout, 'points' | 'label'> })[] = [];
  for (const s of graph.states) {
    if (s.initial !== null) {
      edges.push({
        id: `e${edges.length}`,
        sources: [initialId(s.id)],
        targets: [s.initial],
        meta: { source: initialId(s.id), target: s.initial, transitions: [], labels: [], delayed: false, initial: true },
      });
    }
  }
  for (const arrow of arrows) {
    const labels = arrow.labels;
    edges.push({
      id: `e${edges.length}`,
      sources: [anchored.has(arrow.source) && isAncestor(arrow.target, arrow.source, byId) ? anchorId(arrow.source) : arrow.source],
      targets: [arrow.target],
      labels: [{ id: `e${edges.length}-label`, text: labels.join('\n'), width: round(textWidth(labels) + 8), height: labels.length * LINE_H + 2 }],
      meta: { ...arrow, delayed: arrow.transitions.every((t) => t.delay !== undefined), initial: false },
    });
  }

  elkInstance ??= new ElkConstructor();
  const laid: ElkNode = await elkInstance.layout<ElkNode>({
    id: '__root',
    layoutOptions: ROOT_OPTIONS,
    children: [elkNode(root)],
    edges: edges.map(({ meta: _meta, ...e }) => e),
  });

  const states: StateLayout[] = [];
  const initials: MachineLayout['initials'] = [];
  const anchors: MachineLayout['anchors'] = [];
  const visit = (n: ElkNode) => {
    const s = byId.get(n.id);
    if (s) {
      const lines = linesOf.get(s.id)!;
      const composite = (children.get(s.id) ?? []).length > 0;
      states.push({
        state: s,
        lines,
        composite,
        textH: composite ? lines.length * LINE_H + BOX_PAD_Y : round(n.height!),
        x: round(n.x! + MARGIN),
        y: round(n.y! + MARGIN),
        w: round(n.width!),
        h: round(n.height!),
      });
    } else if (n.id.endsWith('/initial')) {
      initials.push({ parent: n.id.slice(0, -'/initial'.length), cx: round(n.x! + MARGIN + INITIAL_D / 2), cy: round(n.y! + MARGIN + INITIAL_D / 2), r: INITIAL_D / 2 - 1 });
    } else if (n.id.endsWith('/anchor')) {
      anchors.push({ parent: n.id.slice(0, -'/anchor'.length), cx: round(n.x! + MARGIN + INITIAL_D / 2), cy: round(n.y! + MARGIN + INITIAL_D / 2), r: INITIAL_D / 2 - 1 });
    }
    for (const c of n.children ?? []) visit(c);
  };
  for (const c of laid.children ?? []) visit(c);

  const laidEdges = new Map(((laid.edges ?? []) as ElkExtendedEdge[]).map((e) => [e.id, e]));
  const outEdges: EdgeLayout[] = edges.map(({ id, meta }) => {
    const e = laidEdges.get(id)!;
    const points: Point[] = [];
    for (const sec of e.sections ?? []) {
      for (const p of [sec.startPoint, ...(sec.bendPoints ?? []), sec.endPoint]) {
        const q = { x: round(p.x + MARGIN), y: round(p.y + MARGIN) };
        const last = points[points.length - 1];
        if (!last || last.x !== q.x || last.y !== q.y) points.push(q);
      }
    }
    const l = e.labels?.[0];
    const label = l && l.x !== undefined ? { x: round(l.x + MARGIN), y: round(l.y! + MARGIN), w: l.width!, h: l.height! } : null;
    return { ...meta, points, label };
  });

  return {
    graph,
    width: round(laid.width! + 2 * MARGIN),
    height: round(laid.height! + 2 * MARGIN),
    states,
    edges: outEdges,
    initials,
    anchors,
  };
}

/**
 * The arrows to draw. Transitions between one pair of states share an arrow, their labels
 * stacked in definition order. A choice (one event of one state whose guarded branches lead
 * to several children of one composite) is drawn as one arrow to that composite, each label
 * naming its branch's target: `JOINED [roleIsManager] → manager`; the picture keeps every
 * guard without an arrow per branch. A choice among the source's own children is listed
 * inside the source (stateLines), like its internal transitions.
 */
function arrowsOf(graph: MachineGraph, byId: Map<string, GraphState>): Omit<EdgeLayout, 'points' | 'label' | 'delayed' | 'initial'>[] {
  const arrows = new Map<string, { source: string; target: string; transitions: GraphTransition[]; labels: string[] }>();
  const add = (source: string, target: string, t: GraphTransition, label: string) => {
    const key = `${source}\u0000${target}`;
    let a = arrows.get(key);
    if (!a) arrows.set(key, (a = { source, target, transitions: [], labels: [] }));
    if (!a.transitions.includes(t)) a.transitions.push(t);
    a.labels.push(label);
  };
  for (const group of choiceGroups(graph)) {
    const parent = choiceParent(group, byId);
    if (parent === group[0]!.source) continue; // listed inside the state
    for (const t of group) {
      for (const target of t.target) {
        if (parent !== null && !isAncestor(group[0]!.source, parent, byId)) add(t.source, parent, t, `${transitionLabel(t)} → ${byId.get(target)!.key}`);
        else add(t.source, target, t, transitionLabel(t));
      }
    }
  }
  return [...arrows.values()];
}

/** Transitions with targets grouped by (source, event), in definition order. */
function choiceGroups(graph: MachineGraph): GraphTransition[][] {
  const groups = new Map<string, GraphTransition[]>();
  for (const t of graph.transitions) {
    if (t.target.length === 0) continue;
    const key = `${t.source}\u0000${t.event}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  return [...groups.values()];
}

/** The composite holding every target of a choice, when there are two targets or more and they are siblings. */
function choiceParent(group: GraphTransition[], byId: Map<string, GraphState>): string | null {
  const targets = new Set(group.flatMap((t) => t.target));
  if (targets.size < 2 || group.some((t) => t.target.length !== 1)) return null;
  const parents = new Set([...targets].map((id) => byId.get(id)?.parent ?? null));
  const [parent] = [...parents];
  return parents.size === 1 && parent !== undefined ? parent : null;
}

function isAncestor(id: string, ancestor: string, byId: Map<string, GraphState>): boolean {
  for (let s = byId.get(id)?.parent; s != null; s = byId.get(s)?.parent) if (s === ancestor) return true;
  return false;
}

/** Title, tags, entry/exit/invoke, then internal transitions and choices among the state's own children, as UML lists them inside the state. */
export function stateLines(s: GraphState, transitions: GraphTransition[], byId: Map<string, GraphState>): string[] {
  const title = s.type === 'parallel' ? `${s.key} (parallel)` : s.type === 'history' ? `${s.key} (H${s.history === 'deep' ? '*' : ''})` : s.key;
  const own = transitions.filter((t) => t.source === s.id);
  const internal = own.filter((t) => t.target.length === 0).map(transitionLabel);
  const childChoices = choiceGroups({ id: '', states: [], transitions: own })
    .filter((g) => choiceParent(g, byId) === s.id)
    .flatMap((g) => g.map((t) => `${transitionLabel(t)} → ${byId.get(t.target[0]!)!.key}`));
  return [
    title,
    ...(s.tags.length > 0 ? [s.tags.map((tag) => `#${tag}`).join(' ')] : []),
    ...s.entry.map((a) => `entry / ${a}`),
    ...s.exit.map((a) => `exit / ${a}`),
    ...s.invokes.map((src) => `invoke ${src}`),
    ...internal,
    ...childChoices,
  ];
}

function initialId(parent: string): string {
  return `${parent}/initial`;
}

function anchorId(parent: string): string {
  return `${parent}/anchor`;
}

function textWidth(lines: string[]): number {
  return Math.max(0, ...lines.map((l) => l.length)) * CHAR_W;
}

/** At most one decimal, so output is stable and small. */
export function round(v: number): number {
  return Math.round(v * 10) / 10;
}
