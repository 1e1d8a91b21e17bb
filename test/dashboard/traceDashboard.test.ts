import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { loadScenarioFile } from '../../src/scenario/parse.js';
import { runScenario } from '../../src/scenario/run.js';
import { parseTrace, type InspectionLine, type TraceEventLine } from '../../src/scenario/trace.js';
import { pathToFileURL } from 'node:url';
import { runGlup } from '../helpers/cli.js';
import { launchBrowser, screenshotPath, scrubTo, shownRoles, startDashboardProcess, type DashboardProcess } from '../helpers/browser.js';

/**
 * `glup dashboard --trace` in Chromium, on a failover recorded from the README's scenario:
 * roles before and after, the highlighted state of a selected node, the scrubber, and the
 * sequence diagram with the heartbeats that stop and the takeover.
 */
let browser: Browser;
let dashboard: DashboardProcess;
let events: TraceEventLine[];

test.before(async () => {
  const { scenario } = await loadScenarioFile(join('scenarios', 'manager-failover.yaml'));
  const { trace } = await runScenario(scenario, { transport: 'memory' });
  const file = join(mkdtempSync(join(tmpdir(), 'glup-dash-')), 'failover.jsonl');
  writeFileSync(file, trace.join('\n') + '\n');
  events = parseTrace(trace.join('\n'), file).events;
  [dashboard, browser] = await Promise.all([startDashboardProcess(['--trace', file, '--port', '0']), launchBrowser()]);
});

test.after.always(async () => {
  await browser?.close();
  await dashboard?.stop();
});

async function openPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(dashboard.url);
  await page.waitForSelector('body[data-ready="true"]');
  if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
  return page;
}

/** The state ids an actor's value names, as the chart's data-state-id (machine id first). */
function leafIds(machineId: string, value: unknown): string[] {
  const paths = (v: unknown): string[][] =>
    typeof v === 'string' ? [[v]] : v && typeof v === 'object' ? Object.entries(v).flatMap(([k, sub]) => (paths(sub).length ? paths(sub).map((p) => [k, ...p]) : [[k]])) : [];
  return paths(value).map((p) => [machineId, ...p].join('.'));
}

function lastTransition(node: string, actor: string, t: number): InspectionLine {
  return events.filter((e): e is InspectionLine => e.kind === 'transition' && e.node === node && e.actor === actor && e.t <= t).at(-1)!;
}

const killT = () => events.find((e) => e.kind === 'step' && 'kill' in e.step)!.t;
const takeoverT = () => events.find((e) => e.kind === 'role' && e.node === 'n2' && e.role === 'manager')!.t;

/**
 * Waits (up to 10 s) until the chart drawn for `selector` highlights `expected`: the page
 * renders a clicked node's charts on its next frame, so reading right after the click can
 * see none. On timeout it returns anyway and the test's assertions report what is shown.
 */
async function chartSettled(page: Page, selector: string, expected: string[]): Promise<void> {
  await page
    .waitForFunction(
      ([sel, want]) => (globalThis as any).document.querySelector(sel)?.getAttribute('data-active-leaf') === want,
      [selector, expected.join(' ')] as const,
      { timeout: 10_000 },
    )
    .catch(() => undefined);
}

test('the page opens at the end of the trace with the final roles, and scrubbing back shows the roles before the failover', async (t) => {
  const page = await openPage();
  const end = events.at(-1)!.t;
  t.is(Number(await page.getByTestId('scrubber').inputValue()), end, 'the scrubber starts at the end');
  t.like(await shownRoles(page), { n1: 'client', n2: 'manager', n3: 'backup', n4: 'client', n5: 'client' });
  await page.screenshot({ path: screenshotPath('dashboard-trace-end.png'), fullPage: true });

  await scrubTo(page, killT() - 1);
  t.like(await shownRoles(page), { n1: 'manager', n2: 'backup', n3: 'client', n4: 'client', n5: 'client' });
  await scrubTo(page, killT() + 1);
  t.is(await page.locator('[data-testid=node-card][data-node=n1]').getAttribute('data-health'), 'down', 'the killed manager stands out');
  t.like(await shownRoles(page), { n2: 'backup' });
  await scrubTo(page, takeoverT() + 0.5);
  t.like(await shownRoles(page), { n2: 'manager' });
  await page.close();
});

test('a selected node shows its statecharts with the current state of each actor highlighted', async (t) => {
  const page = await openPage();
  for (const [time, node] of [
    [killT() - 1, 'n2'],
    [takeoverT() + 0.5, 'n2'],
    [killT() - 1, 'n1'],
  ] as const) {
    await scrubTo(page, time);
    await page.locator(`[data-testid=node-card][data-node=${node}]`).click();
    await page.waitForSelector(`[data-testid=chart][data-node=${node}][data-actor=node]`);
    const chart = page.locator(`[data-testid=chart][data-node=${node}][data-actor=node]`);
    const machineId = (await chart.getAttribute('data-machine-id'))!;
    const expected = leafIds(machineId, lastTransition(node, 'node', time).to);
    t.true(expected.length > 0);
    await chartSettled(page, `[data-testid=chart][data-node=${node}][data-actor=node]`, expected);
    // the highlighted box in the drawing, not only the page's own bookkeeping
    const highlighted = await chart.locator('g.state.active-leaf').evaluateAll((gs: any[]) => gs.map((g) => g.getAttribute('data-state-id')));
    t.deepEqual(highlighted, expected, `${node} at ${time}`);
    t.deepEqual((await chart.getAttribute('data-active-leaf'))!.split(' '), expected);
  }
  // the takeover just happened: n2's coordinator runs, and the arrow of n2's last transition is animated
  await scrubTo(page, takeoverT() + 0.5);
  await page.locator('[data-testid=node-card][data-node=n2]').click();
  const coordinatorSelector = '[data-testid=chart][data-node=n2][data-actor=coordinator]';
  const coordinatorLeaves = leafIds('coordinator', lastTransition('n2', 'coordinator', takeoverT() + 0.5).to);
  t.true(coordinatorLeaves.length > 0);
  await chartSettled(page, coordinatorSelector, coordinatorLeaves);
  const coordinator = page.locator(coordinatorSelector);
  t.deepEqual(await coordinator.locator('g.state.active-leaf').evaluateAll((gs: any[]) => gs.map((g) => g.getAttribute('data-state-id'))), coordinatorLeaves);
  t.true((await page.locator('[data-testid=chart][data-node=n2][data-actor=node] g.edge.recent').count()) > 0, 'the takeover arrow runs');
  await page.screenshot({ path: screenshotPath('dashboard-trace-takeover-n2.png'), fullPage: true });
  await page.close();
});

test('the sequence diagram shows the manager heartbeats that stop at the crash and the backup taking over', async (t) => {
  const page = await openPage();
  await page.getByTestId('window').selectOption('120');
  await scrubTo(page, takeoverT() + 0.5);
  const arrows = await page.getByTestId('seq-arrow').evaluateAll((gs: any[]) =>
    gs.map((g) => ({ type: g.dataset.msgType as string, from: g.dataset.from as string, to: g.dataset.to as string, sent: Number(g.dataset.tSend) })),
  );
  const heartbeats = arrows.filter((a) => a.type === 'heartbeat');
  t.true(heartbeats.some((a) => a.from === 'n1' && a.sent <= killT()), 'n1 beat before it crashed');
  t.false(heartbeats.some((a) => a.from === 'n1' && a.sent > killT()), 'and never after');
  t.false(arrows.some((a) => a.to === 'n1' && a.sent > killT()), 'nothing reaches the dead node');
  t.true(heartbeats.some((a) => a.from === 'n2' && a.sent > killT()), 'the backup kept beating');
  const confirms = arrows.filter((a) => a.type === 'confirm-request' && a.from === 'n2');
  t.deepEqual([...new Set(confirms.map((a) => a.to))].sort(), ['n3', 'n4', 'n5'], 'the backup asks every live member to confirm the loss');
  t.true(arrows.some((a) => a.type === 'confirm-reply' && a.to === 'n2'));
  t.is(await page.locator('[data-testid=seq-down][data-node=n1]').count(), 1, 'the crash is on n1 lane');
  t.is(await page.locator('[data-testid=seq-role][data-node=n2][data-role=manager]').count(), 1, 'the takeover is on n2 lane');
  t.is(await page.locator('[data-testid=seq-lane][data-node=n2]').getAttribute('data-role'), 'manager');
  await page.locator('.sequence').screenshot({ path: screenshotPath('dashboard-trace-sequence.png') });

  // at the end, n1 is back as a client: a client does not beat, so n1's heartbeats never resume
  await scrubTo(page, events.at(-1)!.t);
  const late = await page.getByTestId('seq-arrow').evaluateAll((gs: any[]) => gs.filter((g) => g.dataset.msgType === 'heartbeat').map((g) => ({ from: g.dataset.from, sent: Number(g.dataset.tSend) })));
  t.true(late.length > 0);
  t.false(late.some((a) => a.from === 'n1' && a.sent > killT()));
  await page.close();
});

test('the timeline marks the election and the failover; clicking a marker moves the time there', async (t) => {
  const page = await openPage();
  const markers = await page.getByTestId('marker').evaluateAll((gs: any[]) => gs.map((g) => ({ kind: g.dataset.kind, node: g.dataset.node, t: Number(g.dataset.t) })));
  t.like(markers.find((m) => m.kind === 'election'), { node: 'n1' });
  const failover = markers.find((m) => m.kind === 'failover')!;
  t.like(failover, { node: 'n2', t: takeoverT() });
  await scrubTo(page, 0);
  await page.locator('[data-testid=marker][data-kind=failover] path').click();
  await page.waitForFunction((v) => Number((globalThis as any).document.body.dataset.t) > v, takeoverT());
  t.like(await shownRoles(page), { n2: 'manager' });
  await page.close();
});

test('the GLUP log, the database and playback', async (t) => {
  const page = await openPage();
  await page.locator('[data-testid=node-card][data-node=n4]').click();
  const rows = await page.getByTestId('log-row').evaluateAll((rs: any[]) => rs.map((r) => r.textContent as string));
  t.true(rows.some((r) => r.includes('"config.color"') && r.includes('blue') && r.includes('n3')), 'the update from n3 is in n4 log');
  t.is(await page.locator('[data-testid=db-tree] [data-path="data.config.color"]').textContent(), 'color: "blue"');
  // playback runs from the start and moves time forward
  await page.getByTestId('speed').selectOption('0.1');
  await page.getByTestId('play').click();
  await page.waitForFunction(() => Number((globalThis as any).document.body.dataset.t) > 1);
  await page.getByTestId('play').click();
  const paused = Number(await page.evaluate(() => (globalThis as any).document.body.dataset.t));
  t.true(paused < events.at(-1)!.t);
  await page.close();
});

test('glup run --report writes one self-contained page with the same timeline and sequence diagram', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'glup-report-'));
  const report = join(dir, 'failover.html');
  const r = await runGlup(['run', 'scenarios/manager-failover.yaml', '--report', report]);
  t.is(r.code, 0, r.stderr);
  const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
  // no network at all: every request other than the file itself is refused
  const requests: string[] = [];
  await page.route('**/*', (route) => {
    requests.push(route.request().url());
    return route.request().url().startsWith('file:') ? route.continue() : route.abort();
  });
  await page.goto(pathToFileURL(report).href);
  await page.waitForSelector('body[data-ready="true"]');
  t.deepEqual(requests.filter((u) => !u.startsWith('file:')), []);
  t.is(await page.getByTestId('outcome').textContent(), 'passed');
  t.like(await shownRoles(page), { n2: 'manager', n3: 'backup', n1: 'client' });
  t.is(await page.locator('[data-testid=marker][data-kind=failover][data-node=n2]').count(), 1);
  await page.getByTestId('window').selectOption('120');
  await scrubTo(page, takeoverT() + 0.5);
  t.true((await page.locator('[data-testid=seq-arrow][data-msg-type=heartbeat][data-from=n1]').count()) > 0);
  t.true((await page.locator('[data-testid=seq-arrow][data-msg-type=confirm-request][data-from=n2]').count()) > 0);
  await page.screenshot({ path: screenshotPath('report-failover.png'), fullPage: true });
  await page.close();
});
