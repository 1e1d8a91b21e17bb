/**
 * docs/security.md, tested: a nats-server started with the configuration block of that page
 * (read from the file), three `glup node` processes (n1, n2 qualified, n3 not) and the tools
 * as the `operator` user. Credentials go through the environment variables of every command.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { encodeEnvelope } from '../../src/bus/envelope.js';
import { repoRoot, runGlup } from '../helpers/cli.js';
import { spawnGlupNode, type GlupNodeProcess } from '../helpers/glupNodeProcess.js';
import { startNatsServer, type NatsServer } from '../helpers/natsServer.js';
import { until, untilValue } from '../helpers/poll.js';

const CLUSTER = 'demo';
const PASSWORDS: Record<string, string> = { n1: 'n1-secret', n2: 'n2-secret', n3: 'n3-secret', operator: 'operator-secret' };
const MEMBER_ROLES = ['manager', 'backup', 'client'];

let nats: NatsServer;
const dataRoot = mkdtempSync(join(tmpdir(), 'glup-secure-test-'));
const nodes = new Map<string, GlupNodeProcess>();

/** The ```conf block of docs/security.md, as the docs show it. */
function securityConfig(): string {
  const doc = readFileSync(join(repoRoot, 'docs', 'security.md'), 'utf8');
  const block = /```conf\n([\s\S]*?)```/.exec(doc);
  if (!block) throw new Error('docs/security.md has no ```conf block');
  return block[1]!;
}

const as = (user: string) => ({ GLUP_USER: user, GLUP_PASS: PASSWORDS[user]!, GLUP_NATS_URL: nats.url });
const operator = (...args: string[]) => runGlup([...args, '--cluster', CLUSTER], { env: as('operator') });

async function status(): Promise<{ code: number; s: any; stderr: string }> {
  const r = await operator('status', '--json', '--timeout', '2000');
  const line = r.stdout.trim().split('\n').at(-1);
  return { code: r.code, s: line ? JSON.parse(line) : null, stderr: r.stderr };
}

async function statusUntil(pred: (s: any) => boolean, timeoutMs = 60_000): Promise<any> {
  const r = await untilValue('glup status matches', status, (r) => !!r.s && pred(r.s), { timeoutMs, everyMs: 300 });
  return r.s;
}

async function readyz(p: GlupNodeProcess): Promise<number> {
  return (await fetch(`http://127.0.0.1:${p.metricsPort}/readyz`)).status;
}

const live = () => [...nodes.values()].filter((p) => p.child.exitCode === null && p.child.signalCode === null);
const withRole = (role: string) => live().filter((p) => p.role === role);

test.before(async () => {
  nats = await startNatsServer({ extraConfig: securityConfig() });
});

test.after.always(async () => {
  for (const p of nodes.values()) p.child.kill('SIGKILL');
  await Promise.all([...nodes.values()].map((p) => p.exited));
  await nats?.stop();
  rmSync(dataRoot, { recursive: true, force: true });
});

test.serial('three nodes form the cluster on the locked-down server, each with its own user', async (t) => {
  for (const id of ['n1', 'n2', 'n3']) {
    const args = ['--cluster', CLUSTER, '--id', id, '--data', join(dataRoot, id), '--heartbeat-ms', '100', '--missed-heartbeats', '20', '--initial-members', 'n1,n2,n3', '--metrics-port', '0'];
    if (id === 'n3') args.push('--no-qualified');
    nodes.set(id, spawnGlupNode(id, args, { env: as(id) }));
  }
  await Promise.all([...nodes.values()].map((p) => p.waitForRole((r) => MEMBER_ROLES.includes(r), 60_000)));
  await Promise.all([...nodes.values()].map((p) => p.waitFor('serving metrics', () => p.metricsPort !== undefined)));
  t.is(nodes.get('n3')!.role, 'client', 'the unqualified node is a client');
  t.is(withRole('manager').length, 1);
  for (const p of nodes.values()) t.is(await readyz(p), 200, `${p.id} is ready`);
});

test.serial('glup status --json as the operator shows every member', async (t) => {
  const s = await statusUntil((x) => Object.keys(x.nodes).length === 3 && x.backup !== null);
  t.is(s.manager, withRole('manager')[0]!.id);
  for (const id of ['n1', 'n2', 'n3']) t.like(s.nodes[id], { status: 'up', lag: 0 });
  t.is(s.metrics.invalidMessages, 0);
});

let putSeq = 0;
test.serial('put, get, watch --from-seq and cas round trip; a failed cas exits 1', async (t) => {
  const put = await operator('put', 'config.color', '"blue"', '--json');
  t.is(put.code, 0, put.stderr);
  const written = JSON.parse(put.stdout);
  t.deepEqual(Object.keys(written).sort(), ['epoch', 'seq']);
  putSeq = written.seq;

  const get = await operator('get', 'config.color', '--json');
  t.is(get.code, 0, get.stderr);
  const read = JSON.parse(get.stdout);
  t.deepEqual(Object.keys(read).sort(), ['path', 'seq', 'value']);
  t.like(read, { path: 'config.color', value: 'blue' });
  t.true(read.seq >= putSeq, 'read at or after the put');

  const cas = await operator('cas', 'config.color', '--expect', '"blue"', '"red"', '--json');
  t.is(cas.code, 0, cas.stderr);
  const swapped = JSON.parse(cas.stdout);
  const failed = await operator('cas', 'config.color', '--expect', '"blue"', '"green"');
  t.is(failed.code, 1);
  t.regex(failed.stderr, /CAS_FAILED/);
  const bad = await operator('put', 'config.color', 'blue');
  t.is(bad.code, 2, 'a value that is not JSON is bad input');
  t.regex(bad.stderr, /is not JSON/);

  // history first: the put and the cas, from the put's seq
  const watch = spawn('node', [join(repoRoot, 'bin', 'glup.js'), 'watch', 'config', '--from-seq', String(putSeq), '--json', '--cluster', CLUSTER], {
    env: { ...process.env, ...as('operator') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: any[] = [];
  let stderr = '';
  watch.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => watch.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`watch printed ${JSON.stringify(lines)}; stderr ${stderr}`)), 60_000);
    let buffered = '';
    watch.stdout.on('data', (d) => {
      buffered += d;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        lines.push(JSON.parse(buffered.slice(0, nl)));
        buffered = buffered.slice(nl + 1);
      }
      if (lines.length >= 2) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  watch.kill('SIGINT');
  t.is(await exited, 0, stderr);
  t.deepEqual(lines.map((l) => l.seq), [putSeq, swapped.seq]);
  t.deepEqual(lines[0].op, { set: { path: 'config.color', value: 'blue' } });
  t.deepEqual(lines[1].op, { cas: { path: 'config.color', expect: 'blue', value: 'red' } });
});

test.serial("a node's user cannot publish as another node; the server refuses and the cluster does not notice", async (t) => {
  const before = await statusUntil((x) => x.manager !== null);
  const errors: string[] = [];
  const nc: NatsConnection = await connect({ servers: nats.url, user: 'n3', pass: PASSWORDS.n3 });
  t.teardown(() => nc.close());
  void (async () => {
    for await (const s of nc.status()) if (s.type === 'error') errors.push(String(s.error?.message));
  })();
  const forged = (from: string) => encodeEnvelope({ v: 1, cluster: CLUSTER, type: 'heartbeat', from, epoch: 99, id: 'x-1', ts: Date.now(), body: {} });
  nc.publish(`glup.${CLUSTER}.hb.n1`, forged('n1'));
  nc.publish(`glup.${CLUSTER}.node.n2.n1`, forged('n1'));
  await nc.flush();
  await until('both forgeries refused by the server', () => errors.length >= 2, { timeoutMs: 10_000, everyMs: 50 }).catch(() => undefined);
  t.deepEqual(errors.sort(), [`Permissions Violation for Publish to "glup.${CLUSTER}.hb.n1"`, `Permissions Violation for Publish to "glup.${CLUSTER}.node.n2.n1"`]);
  const after = await status();
  t.is(after.s.manager, before.manager);
  t.is(after.s.epoch, before.epoch);
  t.is(after.s.metrics.invalidMessages, before.metrics.invalidMessages, 'nothing reached the nodes');
  t.is(after.s.metrics.fencedMessages ?? 0, before.metrics.fencedMessages ?? 0);
});

test.serial('a forged from on the sender\'s own subject reaches the nodes and is dropped and counted on each', async (t) => {
  const before = await statusUntil((x) => x.manager !== null);
  const nc = await connect({ servers: nats.url, user: 'n3', pass: PASSWORDS.n3 });
  t.teardown(() => nc.close());
  // allowed for n3's user, but it says it is n1, with an epoch that would make the manager step down
  const hello = encodeEnvelope({ v: 1, cluster: CLUSTER, type: 'hello', from: 'n1', epoch: 99, id: 'forged-1', ts: Date.now(), body: { info: { id: 'n1', qualified: true, priority: 100, incarnation: 9 } } });
  nc.publish(`glup.${CLUSTER}.disc.n3`, hello);
  await nc.flush();
  const after = await statusUntil((x) => x.metrics.invalidMessages >= before.metrics.invalidMessages + 3, 30_000);
  t.is(after.metrics.invalidMessages, before.metrics.invalidMessages + 3, 'one per node: n1, n2 and n3 all hear glup.demo.disc.*');
  t.is(after.manager, before.manager);
  t.is(after.epoch, before.epoch);
});

test.serial('glup status --watch redraws, as JSON lines here', async (t) => {
  const r = await operator('status', '--watch', '--iterations', '2', '--interval', '500', '--json');
  t.is(r.code, 0, r.stderr);
  const rounds = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.is(rounds.length, 2);
  for (const s of rounds) t.is(Object.keys(s.nodes).length, 3);
});

test.serial('glup log reads the data directory of a node that was stopped', async (t) => {
  const n3 = nodes.get('n3')!;
  n3.child.kill('SIGTERM');
  t.is(await n3.exited, 0, n3.stderr);
  const r = await runGlup(['log', '--data', join(dataRoot, 'n3')]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`^${putSeq} epoch \\d+ [a-z0-9-]+ operator:[0-9a-f]+ \\{"set":\\{"path":"config.color","value":"blue"\\}\\}$`, 'm'));
  t.regex(r.stdout, /crc ok/);
});

test.serial('the survivor of a two-member cluster that lost its manager is isolated: readyz 503, status shows it without a manager', async (t) => {
  await statusUntil((x) => !('n3' in x.nodes) || x.nodes.n3.status !== 'up');
  const manager = withRole('manager')[0]!;
  const survivor = live().find((p) => p !== manager)!;
  manager.child.kill('SIGKILL');
  await manager.exited;
  await survivor.waitForRole((r) => r === 'isolated', 60_000);
  t.is(await readyz(survivor), 503);
  const r = await status();
  t.is(r.code, 1, 'no manager: exit 1');
  t.is(r.s.manager, null);
  t.like(r.s.nodes[survivor.id], { role: 'isolated', status: 'isolated' });
  t.like(r.s.nodes[manager.id], { status: 'unreachable', seq: null });
});
