/**
 * `glup node` processes over a real nats-server, driven by the admin commands a user runs:
 * `glup status --json`, `glup switchover`, `glup remove`, and SIGTERM for a graceful leave.
 * The cluster runs with a slow failure detector (300 missed heartbeats of 100 ms: 30 s, longer than a CLI start on a loaded machine) so a node
 * killed for `glup remove` is still a member when the command runs.
 */
import test from 'ava';
import { runGlup } from '../helpers/cli.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnGlupNode, type GlupNodeProcess as NodeProcess } from '../helpers/glupNodeProcess.js';
import { startNatsServer, type NatsServer } from '../helpers/natsServer.js';

const CLUSTER = 'cli-node';
const MEMBER_ROLES = ['manager', 'backup', 'client'];

let nats: NatsServer;
const dataRoot = mkdtempSync(join(tmpdir(), 'glup-node-test-'));
const processes = new Map<string, NodeProcess>();

function spawnNode(id: string): NodeProcess {
  const p = spawnGlupNode(id, ['--cluster', CLUSTER, '--id', id, '--nats', nats.url, '--data', join(dataRoot, id), '--heartbeat-ms', '100', '--missed-heartbeats', '300']);
  processes.set(id, p);
  return p;
}

const cli = (...args: string[]) => runGlup(args);

async function status(): Promise<any> {
  const r = await cli('status', '--cluster', CLUSTER, '--nats', nats.url, '--json');
  if (r.code !== 0) throw new Error(`glup status exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

/** Polls `glup status` until `pred` holds: role changes reach every node within a few heartbeats. */
async function statusUntil(pred: (s: any) => boolean, timeoutMs = 15_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await status();
      if (pred(last)) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`status never matched: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const live = () => [...processes.values()].filter((p) => p.child.exitCode === null && p.child.signalCode === null);
const withRole = (role: string) => live().filter((p) => p.role === role);

test.before(async () => {
  nats = await startNatsServer();
});

test.after.always(async () => {
  for (const p of processes.values()) p.child.kill('SIGKILL');
  await Promise.all([...processes.values()].map((p) => p.exited));
  await nats?.stop();
  rmSync(dataRoot, { recursive: true, force: true });
});

test.serial('three glup node processes form a cluster with one manager and one backup', async (t) => {
  const nodes = ['n1', 'n2', 'n3'].map(spawnNode);
  await Promise.all(nodes.map((n) => n.waitForRole((r) => MEMBER_ROLES.includes(r), 30_000)));
  await statusUntil((s) => Object.keys(s.nodes).length === 3 && s.backup !== null);
  t.is(withRole('manager').length, 1);
  t.is(withRole('backup').length, 1);
  t.is(withRole('client').length, 1);
});

test.serial('glup status --json prints the SPEC 9 object with the right manager', async (t) => {
  const manager = withRole('manager')[0]!;
  const backup = withRole('backup')[0]!;
  const s = await status();
  t.deepEqual(Object.keys(s).sort(), ['backup', 'cluster', 'epoch', 'groups', 'manager', 'metrics', 'nodes', 'seq']);
  t.is(s.cluster, CLUSTER);
  t.is(s.manager, manager.id);
  t.is(s.backup, backup.id);
  t.is(s.epoch, manager.roles.at(-1)!.epoch);
  t.true(s.seq >= 1);
  t.deepEqual(s.nodes[manager.id], { role: 'manager', status: 'up', seq: s.seq, lag: 0 });
  t.like(s.nodes[backup.id], { role: 'backup', status: 'up' });
  t.deepEqual(s.groups, {});
  t.is(s.metrics.invalidMessages, 0);
  t.true(s.metrics.messagesSent > 0);
});

test.serial('glup switchover --to moves the manager role', async (t) => {
  const client = withRole('client')[0]!;
  const r = await cli('switchover', '--cluster', CLUSTER, '--nats', nats.url, '--to', client.id);
  t.is(r.code, 0, r.stderr);
  await client.waitForRole((role) => role === 'manager');
  const s = await statusUntil((x) => x.manager === client.id);
  t.is(s.nodes[client.id].role, 'manager');
  t.is(withRole('manager').length, 1);
});

test.serial('glup switchover to a node that is not a member fails with exit 1', async (t) => {
  const r = await cli('switchover', '--cluster', CLUSTER, '--nats', nats.url, '--to', 'nobody');
  t.is(r.code, 1);
  t.regex(r.stderr, /nobody/);
});

test.serial('glup remove takes a killed node out of the membership', async (t) => {
  const n4 = spawnNode('n4');
  await n4.waitForRole((r) => r === 'client', 30_000);
  await statusUntil((s) => s.nodes.n4?.status === 'up');
  n4.child.kill('SIGKILL');
  await n4.exited;
  const r = await cli('remove', 'n4', '--cluster', CLUSTER, '--nats', nats.url);
  t.is(r.code, 0, r.stderr);
  const s = await status();
  t.false('n4' in s.nodes);
  t.is(Object.keys(s.nodes).length, 3);
});

test.serial('glup remove of an unknown node exits 1 and names it', async (t) => {
  const r = await cli('remove', 'ghost', '--cluster', CLUSTER, '--nats', nats.url);
  t.is(r.code, 1);
  t.regex(r.stderr, /ghost is not a member/);
});

test.serial('SIGTERM of the manager hands over to another node and the process exits 0', async (t) => {
  const manager = withRole('manager')[0]!;
  const others = live().filter((p) => p !== manager);
  const startedAt = Date.now();
  manager.child.kill('SIGTERM');
  t.is(await manager.exited, 0, manager.stderr);
  t.log(`SIGTERM to exit: ${Date.now() - startedAt} ms`);
  t.is(manager.role, 'stopped');
  await Promise.race(others.map((o) => o.waitForRole((r) => r === 'manager')));
  const next = withRole('manager');
  t.is(next.length, 1);
  const s = await statusUntil((x) => x.manager === next[0]!.id && !(manager.id in x.nodes));
  t.true(s.epoch > Math.max(...manager.roles.filter((l) => l.role === 'manager').map((l) => l.epoch)));
});

test.serial('glup status exits 1 with a clear message when no node of the cluster runs', async (t) => {
  const r = await cli('status', '--cluster', 'nobody-here', '--nats', nats.url, '--json');
  t.is(r.code, 1);
  t.regex(r.stderr, /no node of cluster nobody-here answered/);
});
