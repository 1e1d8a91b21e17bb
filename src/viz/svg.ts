/**
 * A machine graph as a self-contained SVG, laid out here (no renderer is available offline).
 * Layout: each composite state places its children in columns by distance from its initial
 * child along the transitions between them, so the chart reads left to right in the order
 * a node lives it; nested states are drawn inside their parents' boxes. Transitions are
 * curves drawn over the boxes, and each label is put at the first spot along its curve that
 * overlaps no other label and no state's text. Text width is estimated (monospace font).
 */
import type { GraphState, GraphTransition, MachineGraph } from './graph.js';
import { transitionLabel } from './mermaid.js';

const FONT = 12;
const CHAR_W = FONT * 0.62;
const LINE_H = 16;
const PAD = 18;
const TITLE_H = 24;
const COL_GAP = 170;
const ROW_GAP = 50;

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

interface Placed extends Box {
  state: GraphState;
  lines: string[];
}

export function toSvg(graph: MachineGraph): string {
  const children = new Map<string, GraphState[]>();
  for (const s of graph.states) if (s.parent !== null) children.set(s.parent, [...(children.get(s.parent) ?? []), s]);
  const byId = new Map(graph.states.map((s) => [s.id, s]));
  const size = new Map<string, { w: number; h: number }>();
  const offsets = new Map<string, { x: number; y: number }>(); // relative to the parent's box

  const measure = (s: GraphState): { w: number; h: number } => {
    const lines = stateLines(s, graph.transitions);
    const textW = Math.max(...lines.map((l) => l.length)) * CHAR_W + 2 * 10;
    const kids = children.get(s.id) ?? [];
    let result: { w: number; h: number };
    if (kids.length === 0) {
      result = { w: Math.max(90, textW), h: 10 + lines.length * LINE_H };
    } else {
      for (const kid of kids) size.set(kid.id, measure(kid));
      const columns = s.type === 'parallel' ? kids.map((k) => [k]) : rankColumns(s, kids, graph.transitions, byId);
      const top = TITLE_H + (lines.length - 1) * LINE_H + PAD;
      let x = PAD + 26; // room for the initial dot
      let maxH = 0;
      for (const column of columns) {
        let y = top;
        const colW = Math.max(...column.map((k) => size.get(k.id)!.w));
        for (const kid of column) {
          const ks = size.get(kid.id)!;
          offsets.set(kid.id, { x: x + (colW - ks.w) / 2, y });
          y += ks.h + ROW_GAP;
        }
        maxH = Math.max(maxH, y - ROW_GAP);
        x += colW + COL_GAP;
      }
      result = { w: Math.max(textW, x - COL_GAP + PAD), h: maxH + PAD };
    }
    size.set(s.id, result);
    return result;
  };

  const root = graph.states.find((s) => s.parent === null)!;
  measure(root);
  const margin = 40;
  const placed = new Map<string, Placed>();
  const place = (s: GraphState, x: number, y: number) => {
    const { w, h } = size.get(s.id)!;
    placed.set(s.id, { x, y, w, h, state: s, lines: stateLines(s, graph.transitions) });
    for (const kid of children.get(s.id) ?? []) {
      const o = offsets.get(kid.id)!;
      place(kid, x + o.x, y + o.y);
    }
  };
  place(root, margin, margin);

  // Labels avoid each other and the text of every state (titles, entry/invoke lines).
  const obstacles: Box[] = [...placed.values()].map((p) => ({ x: p.x, y: p.y, w: p.w, h: textHeight(p) }));
  const edgeSvg: string[] = [];
  // One arrow per (source, target) with its transitions' labels stacked, in definition order.
  const arrows = new Map<string, GraphTransition[]>();
  for (const t of graph.transitions) {
    for (const target of t.target) {
      const key = `${t.source}|${target}`;
      arrows.set(key, [...(arrows.get(key) ?? []), t]);
    }
  }
  const pairCount = new Map<string, number>();
  for (const [key, ts] of arrows) {
    const [source, target] = key.split('|') as [string, string];
    const pair = [source, target].sort().join('|');
    const nth = pairCount.get(pair) ?? 0;
    pairCount.set(pair, nth + 1);
    edgeSvg.push(drawEdge(ts, placed.get(source)!, placed.get(target)!, nth, obstacles));
  }
  const extent = obstacles.reduce((e, o) => ({ w: Math.max(e.w, o.x + o.w), h: Math.max(e.h, o.y + o.h) }), { w: 0, h: 0 });

  const rootBox = placed.get(root.id)!;
  const width = Math.ceil(Math.max(rootBox.w + 2 * margin, extent.w + 10));
  const height = Math.ceil(Math.max(rootBox.h + 2 * margin, extent.h + 10));
  const stateSvg = (s: GraphState, indent: string): string => {
    const p = placed.get(s.id)!;
    const kids = children.get(s.id) ?? [];
    return [
      `${indent}<g class="state ${s.type}" id="${xml(s.id)}">`,
      drawBox(p, kids.length > 0, indent + '  '),
      ...kids.map((k) => stateSvg(k, indent + '  ')),
      ...(s.initial !== null ? [drawInitial(placed.get(s.initial)!, indent + '  ')] : []),
      `${indent}</g>`,
    ].join('\n');
  };

  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="${FONT}">`,
    `  <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#345"/></marker></defs>`,
    `  <rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    stateSvg(root, '  '),
    ...edgeSvg.map((e) => `  ${e}`),
    `</svg>`,
    '',
  ].join('\n');
}

/** Title, entry/exit/invoke, then internal (targetless) transitions, as UML lists them inside the state. */
function stateLines(s: GraphState, transitions: GraphTransition[]): string[] {
  const title = s.type === 'parallel' ? `${s.key} (parallel)` : s.key;
  const internal = transitions.filter((t) => t.source === s.id && t.target.length === 0).map(transitionLabel);
  return [title, ...s.entry.map((a) => `entry / ${a}`), ...s.exit.map((a) => `exit / ${a}`), ...s.invokes.map((src) => `invoke ${src}`), ...internal];
}

function textHeight(p: Placed): number {
  return 6 + p.lines.length * LINE_H;
}

/**
 * Columns for `kids`: breadth-first distance from the initial child, following transitions
 * whose ends lie in (or under) two different children. Unreached children come last.
 */
function rankColumns(parent: GraphState, kids: GraphState[], transitions: GraphTransition[], byId: Map<string, GraphState>): GraphState[][] {
  const childOf = (id: string): string | undefined => {
    for (let s = byId.get(id); s; s = s.parent !== null ? byId.get(s.parent) : undefined) {
      if (s.parent === parent.id) return s.id;
    }
    return undefined;
  };
  const next = new Map<string, string[]>();
  for (const t of transitions) {
    const a = childOf(t.source);
    for (const target of t.target) {
      const b = childOf(target);
      if (a && b && a !== b) next.set(a, [...(next.get(a) ?? []), b]);
    }
  }
  const rank = new Map<string, number>();
  const start = parent.initial ?? kids[0]!.id;
  rank.set(start, 0);
  const queue = [start];
  while (queue.length > 0) {
    const id = queue.shift()!;
    for (const b of next.get(id) ?? []) {
      if (!rank.has(b)) {
        rank.set(b, rank.get(id)! + 1);
        queue.push(b);
      }
    }
  }
  const last = Math.max(...rank.values()) + 1;
  const columns: GraphState[][] = [];
  for (const kid of kids) {
    const r = rank.get(kid.id) ?? last;
    (columns[r] ??= []).push(kid);
  }
  return columns.filter((c) => c !== undefined);
}

function drawBox(p: Placed, composite: boolean, indent: string): string {
  const final = p.state.type === 'final';
  const fill = p.state.parent === null ? '#fafafa' : composite ? '#eef4fb' : final ? '#f3f3f3' : '#ffffff';
  const out = [
    `${indent}<rect x="${n(p.x)}" y="${n(p.y)}" width="${n(p.w)}" height="${n(p.h)}" rx="8" fill="${fill}" stroke="#456" stroke-width="${composite ? 1.2 : 1.5}"/>`,
  ];
  if (final) out.push(`${indent}<rect x="${n(p.x + 3)}" y="${n(p.y + 3)}" width="${n(p.w - 6)}" height="${n(p.h - 6)}" rx="6" fill="none" stroke="#456"/>`);
  p.lines.forEach((line, i) => {
    const y = p.y + 16 + i * LINE_H;
    const x = composite ? p.x + 10 : p.x + p.w / 2;
    const anchor = composite ? 'start' : 'middle';
    const style = i === 0 ? ' font-weight="bold"' : ' fill="#555"';
    out.push(`${indent}<text x="${n(x)}" y="${n(y)}" text-anchor="${anchor}"${style}>${xml(line)}</text>`);
  });
  if (composite) out.push(`${indent}<line x1="${n(p.x)}" y1="${n(p.y + textHeight(p))}" x2="${n(p.x + p.w)}" y2="${n(p.y + textHeight(p))}" stroke="#9ab"/>`);
  return out.join('\n');
}

/** The initial pseudo-state: a dot with an arrow to the initial child. */
function drawInitial(initial: Placed, indent: string): string {
  const cx = initial.x - 16;
  const cy = initial.y + 14;
  return [
    `${indent}<circle cx="${n(cx - 8)}" cy="${n(cy)}" r="5" fill="#345"/>`,
    `${indent}<path d="M${n(cx - 3)},${n(cy)} L${n(initial.x)},${n(cy)}" stroke="#345" fill="none" marker-end="url(#arrow)"/>`,
  ].join('\n');
}

function drawEdge(ts: GraphTransition[], from: Placed, to: Placed, nth: number, obstacles: Box[]): string {
  const labels = ts.map(transitionLabel);
  const delayed = ts.every((t) => t.delay !== undefined);
  const color = delayed ? '#a60' : '#345';
  const dash = delayed ? ' stroke-dasharray="5,3"' : '';
  let d: string;
  let along: (u: number) => { x: number; y: number };
  if (from === to) {
    // A loop on the box's top right corner; more loops on one state stack outwards.
    const r = 14 + nth * 9;
    const x0 = from.x + from.w - 12 - nth * 4;
    const y0 = from.y;
    const x1 = from.x + from.w;
    const y1 = from.y + 12 + nth * 4;
    const c1 = { x: x0 + r * 0.2, y: y0 - r * 1.6 };
    const c2 = { x: x1 + r * 1.6, y: y1 - r * 0.2 };
    d = `M${n(x0)},${n(y0)} C${n(c1.x)},${n(c1.y)} ${n(c2.x)},${n(c2.y)} ${n(x1)},${n(y1)}`;
    along = (u) => cubic({ x: x0, y: y0 }, c1, c2, { x: x1, y: y1 }, u);
  } else {
    const a = anchor(from, to);
    const b = anchor(to, from);
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len = Math.hypot(dx, dy) || 1;
    // Edges between one pair bow to alternate sides so they and their labels do not coincide.
    const bow = (nth % 2 === 0 ? 1 : -1) * (20 + 26 * Math.floor(nth / 2)) * (from.x <= to.x ? 1 : -1);
    const c = { x: (a.x + b.x) / 2 - (dy / len) * bow, y: (a.y + b.y) / 2 + (dx / len) * bow };
    d = `M${n(a.x)},${n(a.y)} Q${n(c.x)},${n(c.y)} ${n(b.x)},${n(b.y)}`;
    along = (u) => ({ x: (1 - u) ** 2 * a.x + 2 * (1 - u) * u * c.x + u * u * b.x, y: (1 - u) ** 2 * a.y + 2 * (1 - u) * u * c.y + u * u * b.y });
  }
  const w = Math.max(...labels.map((l) => l.length)) * CHAR_W + 8;
  const h = labels.length * LINE_H;
  const spot = labelSpot(along, w, h, obstacles, from === to);
  obstacles.push(spot);
  return [
    `<path d="${d}" stroke="${color}" stroke-width="1.3" fill="none"${dash} marker-end="url(#arrow)"><title>${xml(labels.join('; '))}</title></path>`,
    `<rect x="${n(spot.x)}" y="${n(spot.y)}" width="${n(w)}" height="${n(h)}" rx="3" fill="#ffffff" fill-opacity="0.9" stroke="${color}" stroke-width="0.5"/>`,
    ...labels.map((label, i) => `<text x="${n(spot.x + 4)}" y="${n(spot.y + (i + 1) * LINE_H - 4)}" fill="${color}">${xml(label)}</text>`),
  ].join('\n  ');
}

function labelSpot(along: (u: number) => { x: number; y: number }, w: number, h: number, obstacles: Box[], loop: boolean): Box {
  const us = loop ? [0.5, 0.35, 0.65] : [0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78];
  const shifts = [0, -18, 18, -36, 36, -54, 54, -72, 72];
  let first: Box | undefined;
  for (const shift of shifts) {
    for (const u of us) {
      const p = along(u);
      const box = loop ? { x: p.x + 6, y: p.y - h + shift, w, h } : { x: p.x - w / 2, y: p.y - h / 2 + shift, w, h };
      first ??= box;
      if (!obstacles.some((o) => overlaps(o, box))) return box;
    }
  }
  return first!;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** Where the line from `box`'s centre towards `other`'s centre leaves `box`; a parent is entered at its title. */
function anchor(box: Placed, other: Placed): { x: number; y: number } {
  if (contains(box, other)) return { x: box.x + Math.min(box.w - 10, 24 + box.lines[0]!.length * CHAR_W), y: box.y + 12 };
  const c = { x: box.x + box.w / 2, y: box.y + box.h / 2 };
  const o = contains(other, box) ? { x: other.x + 24, y: other.y + 12 } : { x: other.x + other.w / 2, y: other.y + other.h / 2 };
  const dx = o.x - c.x;
  const dy = o.y - c.y;
  if (dx === 0 && dy === 0) return c;
  const sx = dx === 0 ? Infinity : box.w / 2 / Math.abs(dx);
  const sy = dy === 0 ? Infinity : box.h / 2 / Math.abs(dy);
  const s = Math.min(sx, sy);
  return { x: c.x + dx * s, y: c.y + dy * s };
}

function contains(outer: Box, inner: Box): boolean {
  return outer.x < inner.x && outer.y < inner.y && inner.x + inner.w < outer.x + outer.w && inner.y + inner.h < outer.y + outer.h;
}

function cubic(p0: { x: number; y: number }, p1: { x: number; y: number }, p2: { x: number; y: number }, p3: { x: number; y: number }, u: number) {
  const v = 1 - u;
  return {
    x: v ** 3 * p0.x + 3 * v * v * u * p1.x + 3 * v * u * u * p2.x + u ** 3 * p3.x,
    y: v ** 3 * p0.y + 3 * v * v * u * p1.y + 3 * v * u * u * p2.y + u ** 3 * p3.y,
  };
}

/** Coordinates with at most one decimal, so output is stable and small. */
function n(v: number): string {
  return String(Math.round(v * 10) / 10);
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
