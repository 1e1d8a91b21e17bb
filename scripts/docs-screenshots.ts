/**
 * The pictures in the README: the dashboard just after the failover of
 * scenarios/manager-failover.yaml, and the node statechart as `glup viz` draws it.
 *
 *   npx tsx scripts/docs-screenshots.ts [DIR]     (default docs/; npm run docs:screenshots)
 *
 * test/dashboard/docsScreenshots.test.ts runs the same function into test-output/, so the
 * pictures committed under docs/ come from code the tests run.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { traceData } from '../src/dashboard/data.js';
import { serveDashboard } from '../src/dashboard/server.js';
import { loadScenarioFile } from '../src/scenario/parse.js';
import { runScenario } from '../src/scenario/run.js';
import { parseTrace, type TraceEventLine } from '../src/scenario/trace.js';
import { renderMachine } from '../src/viz/export.js';
import { launchChromium } from './browser.js';

export interface DocScreenshots {
  dashboard: string;
  statechart: string;
}

export async function takeDocScreenshots(outDir: string): Promise<DocScreenshots> {
  await mkdir(outDir, { recursive: true });
  const { scenario } = await loadScenarioFile(join('scenarios', 'manager-failover.yaml'));
  const { trace } = await runScenario(scenario, { transport: 'memory' });
  const parsed = parseTrace(trace.join('\n'), 'manager-failover');
  const takeover = parsed.events.find((e: TraceEventLine) => e.kind === 'role' && e.role === 'manager' && e.epoch === 2)!;
  const served = await serveDashboard({ data: await traceData(parsed), port: 0, host: '127.0.0.1' });
  const browser = await launchChromium();
  const out = { dashboard: join(outDir, 'dashboard.png'), statechart: join(outDir, 'statechart-node.png') };
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(served.url);
    await page.waitForSelector('body[data-ready="true"]');
    // just after the takeover: n1's heartbeats stopped, n2 asked the others and took over
    await page.getByTestId('window').selectOption('60');
    await page.getByTestId('scrubber').evaluate((el: any, v) => {
      el.value = String(v);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, takeover.t + 0.5);
    await page.locator('[data-testid=node-card][data-node=n2]').click();
    await page.waitForFunction(() => (globalThis as any).document.querySelector('[data-testid=chart][data-actor=coordinator]') !== null);
    // the page down to the end of the statecharts and the messages
    const bottom = await page.evaluate(() => {
      const doc = (globalThis as any).document;
      const rects = ['charts', 'sequence'].map((id: string) => doc.getElementById(id).closest('section').getBoundingClientRect());
      return Math.ceil(Math.max(...rects.map((r: { bottom: number }) => r.bottom)) + (globalThis as any).scrollY + 8);
    });
    await page.screenshot({ path: out.dashboard, clip: { x: 0, y: 0, width: 1600, height: bottom }, fullPage: true });

    const svg = await renderMachine('node', 'svg');
    const chart = await browser.newPage();
    await chart.setContent(`<!doctype html><html><body style="margin:0;background:#fff">${svg.replace(/^<\?xml[^>]*>\s*/, '')}</body></html>`);
    await chart.locator('svg').screenshot({ path: out.statechart });
  } finally {
    await browser.close();
    await served.close();
  }
  return out;
}

/** A PNG's width and height, from its header. */
export async function pngSize(file: string): Promise<{ width: number; height: number }> {
  const head = await readFile(file);
  if (head.subarray(1, 4).toString('latin1') !== 'PNG') throw new Error(`${file} is not a PNG`);
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? 'docs';
  const shots = await takeDocScreenshots(dir);
  for (const [what, file] of Object.entries(shots)) {
    const { width, height } = await pngSize(file);
    process.stdout.write(`${what}: ${file} (${width}×${height})\n`);
  }
}
