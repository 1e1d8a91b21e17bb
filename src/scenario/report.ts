/**
 * `glup run --report FILE.html`: one self-contained page (inline CSS, inline SVG, a few
 * lines of inline JS, no network) showing a run's timeline: the steps, each node's role
 * over time with the manager's epoch, and the failover times.
 */
import { sortIds } from '../ids.js';
import { stepKind, type RunSummary } from './types.js';
import type { TraceEventLine, TraceLine } from './trace.js';

type Band = 'manager' | 'backup' | 'client' | 'joining' | 'isolated' | 'stopped' | 'down';

interface Segment {
  node: string;
  band: Band;
  epoch: number;
  from: number;
  to: number;
}

const COLORS: Record<Band, string> = {
  manager: '#c0392b',
  backup: '#e67e22',
  client: '#2e86c1',
  joining: '#aab7b8',
  isolated: '#8e44ad',
  stopped: '#e5e7e9',
  down: '#e5e7e9',
};

function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Role segments per node from role lines, cut at the steps that kill or stop a node. */
function segments(events: TraceEventLine[], end: number): Segment[] {
  const out: Segment[] = [];
  const open = new Map<string, Segment>();
  const begin = (node: string, band: Band, epoch: number, t: number) => {
    const cur = open.get(node);
    if (cur) {
      if (cur.band === band && cur.epoch === epoch) return;
      cur.to = t;
    }
    const seg = { node, band, epoch, from: t, to: end };
    out.push(seg);
    open.set(node, seg);
  };
  for (const e of events) {
    if (e.kind === 'role') begin(e.node, e.role, e.epoch, e.t);
    if (e.kind === 'step' && e.ok) {
      const down = 'kill' in e.step ? e.step.kill : 'stop' in e.step ? e.step.stop : null;
      if (down === null) continue;
      const ids = down === 'all' ? [...open.keys()] : down;
      for (const id of ids) if (open.has(id)) begin(id, 'down', 0, e.t);
    }
  }
  return out.filter((s) => s.to > s.from || s.band !== 'down');
}

export function renderReport(summary: RunSummary, traceLines: (string | TraceLine)[]): string {
  const lines = traceLines.map((l) => (typeof l === 'string' ? (JSON.parse(l) as TraceLine) : l));
  const events = lines.filter((l): l is TraceEventLine => l.kind !== 'header');
  const end = Math.max(1, ...events.map((e) => e.t));
  const segs = segments(events, end);
  const nodes = sortIds(new Set([...Object.keys(summary.final.nodes), ...segs.map((s) => s.node)]));
  const steps = events.filter((e) => e.kind === 'step');

  const labelW = 80;
  const width = 1100;
  const rowH = 26;
  const top = 30;
  const plotW = width - labelW - 20;
  const x = (t: number) => labelW + (t / end) * plotW;
  const height = top + nodes.length * rowH + 40;

  const svg: string[] = [];
  svg.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`);
  for (const s of steps) {
    const sx = x(s.t).toFixed(1);
    svg.push(
      `<line x1="${sx}" y1="${top - 8}" x2="${sx}" y2="${top + nodes.length * rowH}" class="step${s.ok ? '' : ' failed'}"><title>step ${s.i} ${esc(stepKind(s.step))} at ${s.t.toFixed(1)} ms</title></line>`,
      `<text x="${sx}" y="${top - 12}" class="steplabel">${s.i}</text>`,
    );
  }
  nodes.forEach((node, row) => {
    const y = top + row * rowH;
    svg.push(`<text x="${labelW - 8}" y="${y + rowH / 2 + 4}" class="node">${esc(node)}</text>`);
    for (const s of segs.filter((g) => g.node === node)) {
      const w = Math.max(1, x(s.to) - x(s.from));
      const tip = `${node} ${s.band}${s.band === 'manager' || s.band === 'backup' ? ` (epoch ${s.epoch})` : ''} ${s.from.toFixed(1)}–${s.to.toFixed(1)} ms`;
      svg.push(
        `<rect x="${x(s.from).toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${COLORS[s.band]}"><title>${esc(tip)}</title></rect>`,
      );
      if (s.band === 'manager' && w > 28) svg.push(`<text x="${(x(s.from) + 4).toFixed(1)}" y="${y + rowH / 2 + 4}" class="epoch">e${s.epoch}</text>`);
    }
  });
  const axisY = top + nodes.length * rowH + 16;
  for (let i = 0; i <= 10; i++) {
    const t = (end * i) / 10;
    svg.push(`<text x="${x(t).toFixed(1)}" y="${axisY}" class="axis">${t.toFixed(0)} ms</text>`);
  }
  svg.push('</svg>');

  const legend = (Object.keys(COLORS) as Band[])
    .filter((b) => b !== 'stopped')
    .map((b) => `<span><i style="background:${COLORS[b]}"></i>${b}</span>`)
    .join(' ');
  const stepRows = steps
    .map(
      (s) =>
        `<tr class="${s.ok ? 'ok' : 'failed'}"><td>${s.i}</td><td>${s.t.toFixed(1)}</td><td>${esc(stepKind(s.step))}</td><td><code>${esc(JSON.stringify(s.step))}</code></td><td>${s.ok ? 'ok' : `FAILED ${esc(s.error ?? '')}`}</td></tr>`,
    )
    .join('\n');
  const m = summary.metrics;
  const f = summary.final;
  const nodeRoles = Object.entries(f.nodes)
    .map(([id, r]) => `${esc(id)}: ${esc(r)}`)
    .join(', ');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>glup run: ${esc(summary.scenario)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px;margin:0 0 4px} .passed{color:#1e8449} .failed{color:#c0392b}
table{border-collapse:collapse;margin:12px 0} td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
tr.failed td{background:#fdecea} code{font-size:12px;word-break:break-all}
svg text.node{text-anchor:end;font-size:12px} svg text.axis{text-anchor:middle;font-size:10px;fill:#666}
svg text.epoch{font-size:11px;fill:#fff} svg text.steplabel{text-anchor:middle;font-size:9px;fill:#888}
svg line.step{stroke:#bbb;stroke-dasharray:2 3} svg line.step.failed{stroke:#c0392b;stroke-dasharray:none}
.legend span{margin-right:12px} .legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-2px}
#tip{position:fixed;pointer-events:none;background:#222;color:#fff;padding:2px 6px;font-size:12px;border-radius:3px;display:none}
</style></head><body>
<h1>${esc(summary.scenario)} <span class="${summary.passed ? 'passed' : 'failed'}">${summary.passed ? 'passed' : 'FAILED'}</span></h1>
<div>seed ${summary.seed} · transport ${esc(summary.transport)} · ${steps.length} steps · ${end.toFixed(1)} ms</div>
<h2>Timeline</h2>
<div class="legend">${legend}</div>
${svg.join('\n')}
<h2>Result</h2>
<table>
<tr><th>manager</th><td>${esc(f.manager ?? 'none')}</td><th>backup</th><td>${esc(f.backup ?? 'none')}</td></tr>
<tr><th>epoch</th><td>${f.epoch}</td><th>seq</th><td>${f.seq}</td></tr>
<tr><th>converged</th><td>${f.converged}</td><th>nodes</th><td>${nodeRoles}</td></tr>
<tr><th>failover</th><td>${m.failoverMs.length ? m.failoverMs.map((v) => `${v} ms`).join(', ') : 'none'}</td><th>update latency</th><td>p50 ${m.updateLatencyMs.p50} ms, p99 ${m.updateLatencyMs.p99} ms</td></tr>
<tr><th>messages</th><td>${m.messages}</td><th>invalid messages</th><td>${m.invalidMessages}</td></tr>
</table>
<h2>Steps</h2>
<table><tr><th>#</th><th>t (ms)</th><th>kind</th><th>step</th><th>outcome</th></tr>
${stepRows}
</table>
<div id="tip"></div>
<script>
// Instant tooltips for the SVG bars (the native <title> shows them too, only slower).
const tip = document.getElementById('tip');
document.querySelectorAll('svg rect, svg line').forEach((el) => {
  const t = el.querySelector('title');
  if (!t) return;
  el.addEventListener('mousemove', (ev) => { tip.textContent = t.textContent; tip.style.display = 'block'; tip.style.left = ev.clientX + 12 + 'px'; tip.style.top = ev.clientY + 12 + 'px'; });
  el.addEventListener('mouseleave', () => { tip.style.display = 'none'; });
});
</script>
</body></html>
`;
}
