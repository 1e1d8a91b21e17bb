/**
 * The dashboard page: one self-contained HTML document (its CSS, scripts and data inline,
 * nothing fetched from elsewhere), the same for `glup dashboard` and `glup run --report`.
 * The browser code lives in src/dashboard/client as plain scripts; they are read once and
 * inlined in a fixed order.
 */
import { readFileSync } from 'node:fs';
import type { DashboardData } from './data.js';

const SCRIPTS = ['util.js', 'model.js', 'timeline.js', 'sequence.js', 'charts.js', 'panels.js', 'app.js'];

let assets: { css: string; js: string } | undefined;

function clientAssets(): { css: string; js: string } {
  assets ??= {
    css: readFileSync(new URL('./client/style.css', import.meta.url), 'utf8'),
    js: SCRIPTS.map((f) => `// ---- ${f}\n${readFileSync(new URL(`./client/${f}`, import.meta.url), 'utf8')}`).join('\n'),
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
  <section class="panel wide" id="summary" data-testid="summary" hidden></section>
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

/** JSON that cannot end its script element: every `<` is escaped. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
