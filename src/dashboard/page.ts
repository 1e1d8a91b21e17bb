/**
 * The dashboard page: one self-contained HTML document (its CSS, scripts and data inline,
 * nothing fetched from elsewhere), the same for `glup dashboard` and `glup run --report`.
 * The browser code lives in src/dashboard/client as plain scripts; they are read once and
 * inlined in a fixed order.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { RunSummary } from '../scenario/types.js';
import type { DashboardData, DashboardLine } from './data.js';

const SCRIPTS = ['util.js', 'model.js', 'timeline.js', 'sequence.js', 'charts.js', 'panels.js', 'app.js'];

let assets: { css: string; js: string } | undefined;

/**
 * Beside this module when run from src/; a build (tsc) does not copy the scripts, so from
 * dist/dashboard they are read from src/dashboard/client of the same checkout.
 */
function clientDir(): URL {
  const here = new URL('./client/', import.meta.url);
  if (existsSync(new URL('app.js', here))) return here;
  return new URL('../../src/dashboard/client/', import.meta.url);
}

function clientAssets(): { css: string; js: string } {
  const dir = clientDir();
  assets ??= {
    css: readFileSync(new URL('style.css', dir), 'utf8'),
    js: SCRIPTS.map((f) => `// ---- ${f}\n${readFileSync(new URL(f, dir), 'utf8')}`).join('\n'),
  };
  return assets;
}

export function renderPage(data: DashboardData): string {
  const { css, js } = clientAssets();
  const title = `glup ${data.mode === 'live' ? 'dashboard' : data.mode}: ${data.title}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${esc(title)}</title>
<style>${css}</style>
</head><body data-mode="${data.mode}">
<header>
  <h1>glup</h1><span data-testid="title">${esc(data.title)}</span><span class="badge${data.mode === 'live' ? ' live' : ''}" id="mode" data-testid="mode">${data.mode}</span>
  <div class="controls">
    <button type="button" id="play" data-testid="play">▶ play</button>
    <select id="speed" data-testid="speed" title="speed (× real time)"></select>
    <input type="range" id="scrubber" data-testid="scrubber" min="0" max="0" step="any" value="0" aria-label="time">
    <span class="time" id="time" data-testid="time"></span>
    <button type="button" id="golive" data-testid="go-live" hidden>back to live</button>
    <span id="conn" class="muted" data-testid="connection"></span>
  </div>
</header>
<main>
${data.summary ? runSummary(data.summary, data.events) : ''}
  <section class="panel wide"><h2>Timeline: roles, failovers and elections</h2><div class="timeline" id="timeline"></div><div class="legend" id="legend"></div></section>
  <section class="panel wide"><h2>Nodes</h2><div class="nodes" id="nodes" data-testid="nodes"></div></section>
  <section class="panel"><h2>Statecharts of <span class="selname" data-testid="selected"></span></h2><div class="charts" id="charts" data-testid="charts"></div></section>
  <section class="panel"><h2>Messages</h2><div class="sequence"><div class="controls">the last <select id="window" data-testid="window"></select> sent before the cursor</div><div id="sequence"></div><div class="legend" id="seq-legend"></div></div></section>
  <section class="panel"><h2>GLUP log of <span class="selname"></span></h2><div class="scroll" id="log"></div></section>
  <section class="panel"><h2>Database of <span class="selname"></span></h2><div class="scroll" id="db"></div><h2 style="margin-top:12px">Process groups</h2><div id="groups"></div></section>
</main>
<script type="application/json" id="glup-data">${jsonForScript(data)}</script>
<script>
${js}
</script>
</body></html>
`;
}

/** A run report's head: outcome, figures, final state and the steps (plain HTML, no script needed). */
function runSummary(s: RunSummary, events: DashboardLine[]): string {
  const f = s.final;
  const m = s.metrics;
  const steps = events.filter((e) => e.kind === 'step');
  const rows = steps
    .map((e) => {
      const kind = Object.keys(e.step)[0] ?? '';
      const arg = JSON.stringify((e.step as Record<string, unknown>)[kind]);
      return `<tr class="${e.ok ? 'ok' : 'failed'}" data-testid="step-row"><td>${e.i}</td><td>${e.t.toFixed(1)} ms</td><td>${esc(kind)}</td><td class="op">${esc(arg)}</td><td>${e.ok ? 'ok' : `<span class="failed">FAILED</span> ${esc(e.error ?? '')}`}</td></tr>`;
    })
    .join('\n');
  const roles = Object.entries(f.nodes)
    .map(([id, r]) => `${esc(id)} ${esc(r)}`)
    .join(', ');
  return `<section class="panel wide" id="summary" data-testid="summary">
  <h2>Run</h2>
  <div class="summary-line"><b>${esc(s.scenario)}</b> <span class="${s.passed ? 'passed' : 'failed'}" data-testid="outcome">${s.passed ? 'passed' : 'FAILED'}</span> · seed ${s.seed} · transport ${esc(s.transport)} · ${s.steps.length} steps · failover ${m.failoverMs.length ? m.failoverMs.map((v) => `${v} ms`).join(', ') : 'none'} · update latency p50 ${m.updateLatencyMs.p50} ms, p99 ${m.updateLatencyMs.p99} ms · ${m.messages} messages, ${m.invalidMessages} invalid</div>
  <div class="summary-line">final: manager <b>${esc(f.manager ?? 'none')}</b>, backup <b>${esc(f.backup ?? 'none')}</b>, epoch ${f.epoch}, seq ${f.seq}, ${f.converged ? 'converged' : 'NOT converged'} · ${roles}</div>
  <details><summary>steps</summary><table class="log"><tr><th>#</th><th>t</th><th>kind</th><th>step</th><th>outcome</th></tr>
${rows}
</table></details>
</section>`;
}

/** JSON that cannot end its script element: every `<` is escaped. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
