/**
 * A laid-out machine (layout.ts, ELK) as a self-contained SVG. States are drawn parents
 * first, then the arrows, then the arrow labels, so nothing hides a label. Every state and
 * arrow carries data attributes (`data-state-id`, `data-source`, `data-target`,
 * `data-events`) so the dashboard can highlight the current state and animate the last
 * transitions without knowing any state names; no element has an `id`, so several charts fit
 * in one page.
 */
import { CHAR_W, FONT_PX, LINE_H, round, type Box, type EdgeLayout, type MachineLayout, type StateLayout } from './layout.js';

export interface SvgOptions {
  /** Start with the XML declaration (a standalone .svg file); off when embedded in HTML. */
  xmlDeclaration?: boolean;
}

const STYLE = [
  '.state rect.box{fill:#fff;stroke:#456;stroke-width:1.5}',
  '.state.composite rect.box{fill:#eef4fb;stroke-width:1.2}',
  '.state.root rect.box{fill:#fafafa}',
  '.state.final rect.box{fill:#f3f3f3}',
  '.state text{fill:#555}',
  '.state text.title{fill:#123;font-weight:bold}',
  '.state text.tags{fill:#7a4b00}',
  '.edge path{fill:none;stroke:#345;stroke-width:1.3}',
  '.edge.delayed path{stroke:#a60;stroke-dasharray:5 3}',
  '.edge rect.label{fill:#fff;fill-opacity:.92;stroke:#345;stroke-width:.5}',
  '.edge.delayed rect.label{stroke:#a60}',
  '.edge text{fill:#345}',
  '.edge.delayed text{fill:#a60}',
  '.initial{fill:#345}',
  '.anchor{fill:#fff;stroke:#345;stroke-width:1.5}',
].join('');

export function toSvg(layout: MachineLayout, opts: SvgOptions = {}): string {
  const marker = `arrow-${layout.graph.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const out: string[] = [];
  if (opts.xmlDeclaration !== false) out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="statechart" data-machine="${xml(layout.graph.id)}" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="${FONT_PX}">`,
    `  <style>${STYLE}</style>`,
    `  <defs>${arrowMarker(marker, '#345')}${arrowMarker(`${marker}-delayed`, '#a60')}</defs>`,
    `  <rect x="0" y="0" width="${layout.width}" height="${layout.height}" fill="#ffffff"/>`,
  );
  for (const s of layout.states) out.push(drawState(s));
  for (const i of layout.initials) out.push(`  <circle class="initial" data-initial-of="${xml(i.parent)}" cx="${i.cx}" cy="${i.cy}" r="${i.r}"/>`);
  for (const a of layout.anchors) out.push(`  <circle class="anchor" data-anchor-of="${xml(a.parent)}" cx="${a.cx}" cy="${a.cy}" r="${a.r}"/>`);
  for (const e of layout.edges) out.push(drawEdge(e, marker));
  // Labels last: an arrow drawn later must not run across an earlier arrow's label.
  for (const e of layout.edges) if (e.label) out.push(drawLabel(e, e.label));
  out.push('</svg>', '');
  return out.join('\n');
}

function drawState(p: StateLayout): string {
  const s = p.state;
  const classes = ['state', s.type, p.composite ? 'composite' : 'leaf', s.parent === null ? 'root' : ''].filter(Boolean).join(' ');
  const tagAttr = s.tags.length > 0 ? ` data-tags="${xml(s.tags.join(' '))}"` : '';
  const parts = [
    `  <g class="${classes}" data-state-id="${xml(s.id)}" data-testid="state:${xml(s.id)}"${tagAttr}>`,
    `    <rect class="box" x="${p.x}" y="${p.y}" width="${p.w}" height="${p.h}" rx="8"/>`,
  ];
  if (s.type === 'final') parts.push(`    <rect class="box-inner" x="${p.x + 3}" y="${p.y + 3}" width="${p.w - 6}" height="${p.h - 6}" rx="6" fill="none" stroke="#456"/>`);
  const top = p.composite ? p.y : p.y + (p.h - p.lines.length * LINE_H) / 2 - 4;
  p.lines.forEach((line, i) => {
    const y = round(top + 16 + i * LINE_H);
    const x = p.composite ? p.x + 10 : round(p.x + p.w / 2);
    const anchor = p.composite ? 'start' : 'middle';
    const cls = i === 0 ? 'title' : line.startsWith('#') ? 'tags' : 'note';
    parts.push(`    <text class="${cls}" x="${x}" y="${y}" text-anchor="${anchor}">${xml(line)}</text>`);
  });
  if (p.composite) parts.push(`    <line x1="${p.x}" y1="${round(p.y + p.textH)}" x2="${round(p.x + p.w)}" y2="${round(p.y + p.textH)}" stroke="#9ab"/>`);
  parts.push('  </g>');
  return parts.join('\n');
}

function drawEdge(e: EdgeLayout, marker: string): string {
  const d = e.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
  const classes = ['edge', e.delayed ? 'delayed' : '', e.initial ? 'initial-edge' : ''].filter(Boolean).join(' ');
  const events = edgeEvents(e);
  const title = e.labels.length > 0 ? `<title>${xml(e.labels.join('; '))}</title>` : '';
  return `  <g class="${classes}" data-source="${xml(e.source)}" data-target="${xml(e.target)}" data-events="${xml(events)}"><path d="${d}" marker-end="url(#${marker}${e.delayed ? '-delayed' : ''})"/>${title}</g>`;
}

function drawLabel(e: EdgeLayout, box: Box): string {
  const texts = e.labels.map((l, i) => `<text x="${round(box.x + 4)}" y="${round(box.y + (i + 1) * LINE_H - 3)}">${xml(l)}</text>`);
  const w = round(Math.max(box.w, Math.max(...e.labels.map((l) => l.length)) * CHAR_W + 8));
  return `  <g class="edge ${e.delayed ? 'delayed ' : ''}edge-label" data-source="${xml(e.source)}" data-target="${xml(e.target)}" data-events="${xml(edgeEvents(e))}"><rect class="label" x="${box.x}" y="${box.y}" width="${w}" height="${box.h}" rx="3"/>${texts.join('')}</g>`;
}

/** The events an arrow stands for, `|`-separated (`after discovery` has a space). */
function edgeEvents(e: EdgeLayout): string {
  return [...new Set(e.transitions.map((t) => t.event))].join('|');
}

function arrowMarker(id: string, color: string): string {
  return `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${color}"/></marker>`;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
