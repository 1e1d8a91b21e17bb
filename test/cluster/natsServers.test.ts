/**
 * glup over a three-server NATS cluster (routes on loopback), each `glup node` process given
 * the URL of one server only (it learns the others from the server, as NATS clients do). One
 * server is killed at a time:
 *   - a server that hosts only a client: that node reconnects to another server and stays a
 *     member; the manager, its epoch and the writer's commits carry on: no glup failover;
 *   - the manager's server: the manager reconnects elsewhere; the cluster keeps exactly one
 *     manager, with at most one failover (only this case may cause one).
 * In both, no acked update is lost: at the end every node's data directory is read back and
 * must hold every acked update and the same database.
 *
 * Real time, real processes: run alone after the main suite (ava.isolated.config.mjs), since
 * "no failover" relies on the failure detector (1 s) not being starved of CPU.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileStore } from '../../src/persistence/file.js';
import { readNodeData, type NodeData } from '../../src/persistence/readBack.js';
import { verify } from '../../scripts/chaos/verify.js';
import { startWriter, type Writer } from '../../scripts/chaos/writer.js';
import { spawnGlupNode, type GlupNodeProcess } from '../helpers/glupNodeProcess.js';
import { startNatsCluster, waitForRoutes, type NatsCluster } from '../helpers/natsCluster.js';
import { until } from '../helpers/poll.js';

const CLUSTER = 'routes';
const IDS = ['n1', 'n2', 'n3'];
const MEMBER_ROLES = ['manager', 'backup', 'client'];
const HEARTBEAT_MS = 100;
const MISSED = 10;

let nats: NatsCluster;
let writer: Writer | undefined;
const dataRoot = mkdtempSync(join(tmpdir(), 'glup-routes-'));
const procs = new Map<string, GlupNodeProcess>();
/** Which server each node was given. */
const serverOf = new Map<string, number>();

test.before(async () => {
  nats = await startNatsCluster({ size: 3, ready: 'routes' });
  // reconnects are logged at info: the test reads them from each node's stderr
  process.env.GLUP_LOG = 'info';
  IDS.forEach((id, i) => {
    serverOf.set(id, i);
    const p = spawnGlupNode(id, [
      '--cluster', CLUSTER, '--id', id, '--nats', nats.urls[i]!, '--data', join(dataRoot, id),
      '--heartbeat-ms', String(HEARTBEAT_MS), '--missed-heartbeats', String(MISSED),
      '--initial-members', IDS.join(','), '--metrics-port', '0',
    ]);
    procs.set(id, p);
  });
  await Promise.all([...procs.values()].map((p) => p.waitForRole((r) => MEMBER_ROLES.includes(r), 60_000)));
});

test.after.always(async () => {
  for (const p of procs.values()) p.child.kill('SIGKILL');
  await Promise.all([...procs.values()].map((p) => p.exited));
  await writer?.abort();
  await nats?.stop();
  rmSync(dataRoot, { recursive: true, force: true });
});

const withRole = (role: string) => IDS.filter((id) => procs.get(id)!.role === role);
/** Every 'manager' line printed by any node so far, as "<id>@<epoch>". */
const managerLines = () => IDS.flatMap((id) => procs.get(id)!.roles.filter((l) => l.role === 'manager').map((l) => `${id}@${l.epoch}`));

async function committedSeq(id: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${procs.get(id)!.metricsPort}/status`);
  return ((await res.json()) as { committedSeq: number }).committedSeq;
}

/** Kills server `s`, checks updates keep being acked meanwhile, restarts it once they do. */
async function killServerUnderLoad(s: number): Promise<{ ackedDuring: number }> {
  const before = writer!.acked.size;
  await nats.servers[s]!.kill();
  await until('updates acked while the server is down', () => writer!.acked.size >= before + 30);
  const ackedDuring = writer!.acked.size - before;
  await nats.servers[s]!.restart();
  await waitForRoutes(nats.urls);
  return { ackedDuring };
}

/** The node's log line saying it reconnected to a server other than the one on `port`, if any. */
function reconnectedElsewhere(id: string, port: number): string | undefined {
  return procs
    .get(id)!
    .stderr.split('\n')
    .find((line) => {
      if (!line.includes('nats transport: reconnected')) return false;
      const server = (JSON.parse(line) as { server?: string }).server ?? '';
      return server !== '' && !server.endsWith(`:${port}`);
    });
}

test.serial('killing the server of a client: it reconnects to another server, and no glup failover happens', async (t) => {
  const manager = withRole('manager')[0]!;
  const backup = withRole('backup')[0]!;
  const client = withRole('client')[0]!;
  t.truthy(manager && backup && client, `roles: ${IDS.map((id) => `${id}=${procs.get(id)!.role}`).join(' ')}`);
  writer = await startWriter({
    cluster: CLUSTER,
    servers: [nats.urls[serverOf.get(manager)!]!, nats.urls[serverOf.get(backup)!]!],
    heartbeatMs: HEARTBEAT_MS,
    missedHeartbeats: MISSED,
    inFlight: 4,
    prefix: 'routes',
  });
  await until('first updates acked', () => writer!.acked.size >= 10);
  const managersBefore = managerLines();

  const s = serverOf.get(client)!;
  const { ackedDuring } = await killServerUnderLoad(s);
  t.log(`killed s${s + 1} (hosting ${client}, a client); ${ackedDuring} updates acked meanwhile`);
  await until(`${client} reconnected elsewhere`, () => !!reconnectedElsewhere(client, nats.servers[s]!.port));
  t.log(reconnectedElsewhere(client, nats.servers[s]!.port));
  const target = writer.node.committedSeq;
  await until(`${client} commits past seq ${target}`, async () => (await committedSeq(client)) >= target);

  t.deepEqual(managerLines(), managersBefore, 'no node became manager: no failover, same epoch');
  t.is(procs.get(manager)!.role, 'manager');
  t.true(MEMBER_ROLES.includes(procs.get(client)!.role!), `${client} is still a member`);
});

test.serial('killing the manager\'s server: the manager reconnects elsewhere, one manager, at most one failover', async (t) => {
  t.truthy(writer, 'the first test started the writer');
  const manager = withRole('manager')[0]!;
  const managersBefore = managerLines();
  const s = serverOf.get(manager)!;
  const { ackedDuring } = await killServerUnderLoad(s);
  await until(`${manager} reconnected elsewhere`, () => !!reconnectedElsewhere(manager, nats.servers[s]!.port));
  t.log(reconnectedElsewhere(manager, nats.servers[s]!.port));
  await until('one manager, every node a member', () => withRole('manager').length === 1 && IDS.every((id) => MEMBER_ROLES.includes(procs.get(id)!.role!)));
  const promotions = managerLines().filter((l) => !managersBefore.includes(l));
  t.log(`killed s${s + 1} (hosting ${manager}, the manager); ${ackedDuring} updates acked meanwhile; failovers: ${promotions.length ? promotions.join(', ') : 'none'}`);
  t.true(promotions.length <= 1, `at most one failover, saw ${promotions.join(', ')}`);
});

test.serial('every acked update is on every node, and the nodes hold the same data', async (t) => {
  t.truthy(writer, 'the first test started the writer');
  await writer!.stop();
  const acked = new Map(writer!.acked);
  const target = writer!.node.committedSeq;
  await until('every node at the writer\'s commit point', async () => (await Promise.all(IDS.map(committedSeq))).every((s) => s >= target));
  for (const p of procs.values()) p.child.kill('SIGKILL');
  await Promise.all([...procs.values()].map((p) => p.exited));
  const data = new Map<string, NodeData>();
  for (const id of IDS) data.set(id, await readNodeData(fileStore(join(dataRoot, id)), CLUSTER));
  const verdict = verify(acked, data, 'routes');
  t.log(`${acked.size} acked of ${writer!.attempts}; last seqs ${JSON.stringify(verdict.seqs)}`);
  t.deepEqual(verdict.lost.slice(0, 10), [], 'no acked update is lost');
  t.true(verdict.identical, `same data everywhere: ${JSON.stringify(verdict.seqs)}`);
});
