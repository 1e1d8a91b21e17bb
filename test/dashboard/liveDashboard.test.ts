import test from 'ava';
import type { Browser, Page } from 'playwright-core';
import { spawnGlupNode, type GlupNodeProcess } from '../helpers/glupNodeProcess.js';
import { startNatsServer, type NatsServer } from '../helpers/natsServer.js';
import { launchBrowser, screenshotPath, shownRoles, startDashboardProcess, type DashboardProcess } from '../helpers/browser.js';

/**
 * `glup dashboard --nats --cluster` in Chromium against three `glup node` processes on a
 * real nats-server: roles, the highlighted state of a node (checked against the node's own
 * GET /status), then the manager is killed while the page is open.
 */
const CLUSTER = 'dashlive';
const HEARTBEAT_MS = 200;
let nats: NatsServer;
let nodes: GlupNodeProcess[] = [];
let dashboard: DashboardProcess | undefined;
let browser: Browser | undefined;

test.before(async () => {
  nats = await startNatsServer();
  nodes = ['n1', 'n2', 'n3'].map((id) =>
    spawnGlupNode(id, [
      '--cluster', CLUSTER, '--id', id, '--nats', nats.url, '--persistence', 'memory',
      '--heartbeat-ms', String(HEARTBEAT_MS), '--initial-members', 'n1,n2,n3', '--metrics-port', '0',
    ]),
  );
  await Promise.all(nodes.map((n) => n.waitForRole((r) => r === 'manager' || r === 'backup' || r === 'client', 60_000)));
  await Promise.all(nodes.map((n) => n.waitFor('serving metrics', () => n.metricsPort !== undefined, 60_000)));
  [dashboard, browser] = await Promise.all([startDashboardProcess(['--nats', nats.url, '--cluster', CLUSTER, '--port', '0', '--as', 'dash-test']), launchBrowser()]);
});

test.after.always(async () => {
  await browser?.close();
  await dashboard?.stop();
  for (const n of nodes) if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGKILL');
  await Promise.all(nodes.map((n) => n.exited));
  await nats?.stop();
});

/** The node's own view of its node actor's state (GET /status of `glup node --metrics-port`). */
async function ownState(n: GlupNodeProcess): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${n.metricsPort}/status`);
  return JSON.parse(((await res.json()) as { state: string }).state);
}

function leafIds(machineId: string, value: unknown): string[] {
  const paths = (v: unknown): string[][] =>
    typeof v === 'string' ? [[v]] : v && typeof v === 'object' ? Object.entries(v).flatMap(([k, sub]) => (paths(sub).length ? paths(sub).map((p) => [k, ...p]) : [[k]])) : [];
  return paths(value).map((p) => [machineId, ...p].join('.'));
}

async function rolesShown(page: Page, expected: Record<string, string>, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(
    (want) => Object.entries(want).every(([id, role]) => (globalThis as any).document.querySelector(`[data-testid=node-card][data-node=${id}]`)?.dataset.role === role),
    expected,
    { timeout: timeoutMs },
  );
}

test('live: roles and states of a three-process cluster, then the manager is killed with the page open', async (t) => {
  const page = await browser!.newPage({ viewport: { width: 1600, height: 1200 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(dashboard!.url);
  await page.waitForSelector('body[data-ready="true"]');
  t.is(await page.getByTestId('mode').textContent(), 'live');

  const manager = nodes.find((n) => n.role === 'manager')!;
  const backup = nodes.find((n) => n.role === 'backup')!;
  const client = nodes.find((n) => n.role === 'client')!;
  await rolesShown(page, { [manager.id]: 'manager', [backup.id]: 'backup', [client.id]: 'client' });
  t.deepEqual(await shownRoles(page), { [manager.id]: 'manager', [backup.id]: 'backup', [client.id]: 'client' });

  // the backup's node actor: the page highlights the state the node itself reports
  await page.locator(`[data-testid=node-card][data-node=${backup.id}]`).click();
  const chart = page.locator(`[data-testid=chart][data-node=${backup.id}][data-actor=node]`);
  await chart.waitFor();
  const expected = leafIds((await chart.getAttribute('data-machine-id'))!, await ownState(backup));
  await page.waitForFunction(
    ([node, want]) => (globalThis as any).document.querySelector(`[data-testid=chart][data-node=${node}][data-actor=node]`)?.dataset.activeLeaf === want,
    [backup.id, expected.join(' ')] as const,
    { timeout: 20_000 },
  );
  t.deepEqual(await chart.locator('g.state.active-leaf').evaluateAll((gs: any[]) => gs.map((g) => g.getAttribute('data-state-id'))), expected);
  // heartbeats flow between the lanes
  await page.waitForSelector(`[data-testid=seq-arrow][data-msg-type=heartbeat][data-from=${manager.id}]`, { timeout: 20_000 });
  await page.screenshot({ path: screenshotPath('dashboard-live-before.png'), fullPage: true });

  manager.child.kill('SIGKILL');
  await backup.waitForRole((r) => r === 'manager', 30_000);
  await rolesShown(page, { [backup.id]: 'manager' }, 30_000);
  await page.waitForFunction(
    (id) => ['down', 'unreachable'].includes((globalThis as any).document.querySelector(`[data-testid=node-card][data-node=${id}]`)?.dataset.health),
    manager.id,
    { timeout: 30_000 },
  );
  t.true(['down', 'unreachable'].includes((await page.locator(`[data-testid=node-card][data-node=${manager.id}]`).getAttribute('data-health'))!), 'the dead manager stands out');

  // the failover is on the timeline; at the takeover the diagram shows the heartbeats that stopped
  const marker = page.locator(`[data-testid=marker][data-kind=failover][data-node=${backup.id}]`);
  await marker.waitFor({ timeout: 20_000 });
  await page.getByTestId('window').selectOption('120');
  await marker.locator('path').click();
  const takeoverAt = Number(await marker.getAttribute('data-t'));
  // going back in time pauses the live view, at just after the takeover
  await page.waitForFunction(
    (at) => (globalThis as any).document.getElementById('mode').textContent === 'paused' && Number((globalThis as any).document.body.dataset.t) > at,
    takeoverAt,
  );
  const arrows = await page.getByTestId('seq-arrow').evaluateAll((gs: any[]) => gs.map((g) => ({ type: g.dataset.msgType as string, from: g.dataset.from as string, to: g.dataset.to as string, sent: Number(g.dataset.tSend) })));
  const lastBeat = Math.max(...arrows.filter((a) => a.type === 'heartbeat' && a.from === manager.id).map((a) => a.sent));
  t.true(Number.isFinite(lastBeat), 'the dead manager beat before');
  t.true(takeoverAt - lastBeat >= 2 * HEARTBEAT_MS, `its heartbeats stopped well before the takeover (last ${lastBeat}, takeover ${takeoverAt})`);
  t.true(arrows.some((a) => a.type === 'confirm-request' && a.from === backup.id && a.to === client.id), 'the backup asked the client to confirm the loss');
  t.true(arrows.some((a) => a.type === 'confirm-reply' && a.from === client.id && a.to === backup.id));
  t.is(await page.locator(`[data-testid=seq-role][data-node=${backup.id}][data-role=manager]`).count(), 1);
  await page.locator('.sequence').screenshot({ path: screenshotPath('dashboard-live-takeover-sequence.png') });

  // back to live: the new manager's node actor is highlighted where the node says it is
  await page.getByTestId('go-live').click();
  await page.locator(`[data-testid=node-card][data-node=${backup.id}]`).click();
  const now = leafIds('node', await ownState(backup));
  await page.waitForFunction(
    ([node, want]) => (globalThis as any).document.querySelector(`[data-testid=chart][data-node=${node}][data-actor=node]`)?.dataset.activeLeaf === want,
    [backup.id, now.join(' ')] as const,
    { timeout: 20_000 },
  );
  await page.screenshot({ path: screenshotPath('dashboard-live-after.png'), fullPage: true });
  t.deepEqual(errors, []);
  await page.close();
});
