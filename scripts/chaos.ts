/**
 * `npm run chaos -- --seconds N`: real processes, real faults, and a count of what was lost.
 *
 * One nats-server, five `glup node` processes (file store, fsync always, each its own data
 * directory) and a writer (a non-qualified member in this process) that keeps updates with
 * unique values in flight and counts the acked ones. Meanwhile a loop injects one fault at a
 * time and waits for the cluster to work again before the next:
 *   - kill -9 of a random node, restarted on its data 0.2–2 s later (the manager every third
 *     time, the first kill included);
 *   - SIGSTOP of the manager for 0.6–5 s, then SIGCONT;
 *   - nats-server killed and restarted on the same port and store after 1.5–4 s.
 * Never touched: the writer, the data directories, the disk.
 *
 * At the end the writer stops, the nodes converge, every node is killed and its data
 * directory is read back with the store's own recovery. Every acked update must be on every
 * node and every node must hold the same database. The last line of stdout is one JSON
 * object: {seconds, kills, managerKills, pauses, natsRestarts, acked, lost, identical, …};
 * progress goes to stderr. Exit 1 when an acked update is lost or the nodes differ.
 *
 * Flags: --seconds N (60) --seed S (time-based) --heartbeat-ms N (200) --missed-heartbeats N (10)
 * --keep-data (keep the data directories and print where).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileStore } from '../src/persistence/file.js';
import { readNodeData, type NodeData } from '../src/persistence/readBack.js';
import { createRandom } from '../src/random.js';
import { startNatsServer } from '../test/helpers/natsServer.js';
import { MEMBER_ROLES, NodeSet } from './chaos/nodes.js';
import { verify } from './chaos/verify.js';
import { startWriter } from './chaos/writer.js';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string' },
    // 2 s to declare a node failed: a loaded CI machine starves processes for longer than 1 s
    'heartbeat-ms': { type: 'string', default: '200' },
    'missed-heartbeats': { type: 'string', default: '10' },
    'keep-data': { type: 'boolean', default: false },
  },
});
const intFlag = (name: string, v: string | undefined, min: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`chaos: --${name} must be an integer >= ${min}, got ${v}\n`);
    process.exit(2);
  }
  return n;
};
const seconds = intFlag('seconds', flags.seconds, 1);
const seed = flags.seed === undefined ? Date.now() % 1_000_000 : intFlag('seed', flags.seed, 0);
const heartbeatMs = intFlag('heartbeat-ms', flags['heartbeat-ms'], 1);
const missedHeartbeats = intFlag('missed-heartbeats', flags['missed-heartbeats'], 2);

const CLUSTER = 'chaos';
const IDS = ['n1', 'n2', 'n3', 'n4', 'n5'];
/** How long the cluster may take to work again after one fault before the run counts a stall. */
const SETTLE_MS = 45_000;

const rnd = createRandom(seed);
const began = Date.now();
const log = (msg: string) => process.stderr.write(`[chaos ${((Date.now() - began) / 1000).toFixed(1)}s] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(xs: T[]): T => xs[Math.floor(rnd.next() * xs.length)]!;

async function until(pred: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

const dataRoot = mkdtempSync(join(tmpdir(), 'glup-chaos-'));
const nats = await startNatsServer();
const nodes = new NodeSet({
  cluster: CLUSTER,
  ids: IDS,
  natsUrl: nats.url,
  dataRoot,
  flags: ['--heartbeat-ms', String(heartbeatMs), '--missed-heartbeats', String(missedHeartbeats), '--initial-members', IDS.join(',')],
});
process.once('exit', () => {
  for (const id of IDS) nodes.current(id)?.child.kill('SIGKILL');
});

const counts = { kills: 0, managerKills: 0, pauses: 0, natsRestarts: 0, stalls: 0 };
let writer: Awaited<ReturnType<typeof startWriter>> | undefined;
let exitCode = 1;
try {
  log(`seed ${seed}; nats ${nats.url}; data ${dataRoot}`);
  for (const id of IDS) nodes.start(id);
  await Promise.all(IDS.map((id) => nodes.current(id)!.waitForRole((r) => MEMBER_ROLES.includes(r), 60_000)));
  writer = await startWriter({ cluster: CLUSTER, servers: nats.url, heartbeatMs, missedHeartbeats, inFlight: 4 });
  log(`cluster formed, manager ${nodes.manager()}; writer joined`);
  if (!(await until(() => writer!.acked.size >= 5, 60_000))) throw new Error('no update acked within 60 s of the cluster forming');

  /** Every node a member again, a manager, and the writer's updates committing. */
  const healthy = async (): Promise<boolean> => {
    const w = writer!;
    const before = w.acked.size;
    const ok = await until(
      () => IDS.every((id) => nodes.alive(id) && MEMBER_ROLES.includes(nodes.current(id)!.role ?? '')) && nodes.manager() !== null && w.acked.size >= before + 5,
      SETTLE_MS,
    );
    if (!ok) {
      counts.stalls++;
      log(`STALL: not healthy within ${SETTLE_MS} ms: roles ${IDS.map((id) => `${id}=${nodes.alive(id) ? nodes.current(id)!.role : 'down'}`).join(' ')}, acked ${w.acked.size}`);
      for (const id of IDS) log(`${id} stderr tail:\n${nodes.current(id)?.stderr.slice(-1500) ?? ''}`);
      // where each node's log stands, twice 2 s apart: a node that is catching up moves, a stuck one does not
      for (let look = 0; look < 2; look++) {
        const views = await Promise.all(IDS.map(async (id) => `${id}=${JSON.stringify(await nodes.status(id))}`));
        log(`status: ${views.join(' ')}`);
        if (look === 0) await new Promise((r) => setTimeout(r, 2000));
      }
    }
    return ok;
  };

  const actions = {
    kill: async () => {
      const manager = nodes.manager();
      const target = counts.kills % 3 === 0 && manager ? manager : pick(IDS);
      const wasManager = target === manager;
      counts.kills++;
      if (wasManager) counts.managerKills++;
      await nodes.kill9(target);
      const downMs = Math.round(rnd.between(200, 2000));
      log(`kill -9 ${target}${wasManager ? ' (manager)' : ''}, restart in ${downMs} ms`);
      await sleep(downMs);
      nodes.start(target);
    },
    pause: async () => {
      const manager = nodes.manager();
      if (!manager) return;
      counts.pauses++;
      const ms = Math.round(rnd.between(600, 5000));
      log(`SIGSTOP ${manager} (manager) for ${ms} ms`);
      nodes.signal(manager, 'SIGSTOP');
      await sleep(ms);
      nodes.signal(manager, 'SIGCONT');
    },
    nats: async () => {
      counts.natsRestarts++;
      const ms = Math.round(rnd.between(1500, 4000));
      log(`nats-server killed for ${ms} ms`);
      await nats.kill();
      await sleep(ms);
      await nats.restart();
    },
  };
  // Each kind early (short runs see all three), then kill-heavy like an operator's bad day.
  const opening: (keyof typeof actions)[] = ['kill', 'pause', 'kill', 'nats', 'kill'];
  const chaosBegan = Date.now();
  const chaosEnds = chaosBegan + seconds * 1000;
  for (let n = 0; Date.now() < chaosEnds; n++) {
    const r = rnd.next();
    const kind = opening[n] ?? (r < 0.6 ? 'kill' : r < 0.8 ? 'pause' : 'nats');
    await actions[kind]();
    await healthy();
    await sleep(rnd.between(200, 1000));
  }
  const chaosSeconds = Math.round((Date.now() - chaosBegan) / 100) / 10;

  log(`chaos over: ${JSON.stringify(counts)}; letting the writer finish`);
  await writer.stop();
  const acked = new Map(writer.acked);
  const converged = await until(async () => {
    const seqs = await Promise.all(IDS.map((id) => nodes.status(id)));
    const target = writer!.node.committedSeq;
    return seqs.every((s) => s !== null && s.committedSeq === target && s.lastSeq === target);
  }, 60_000);
  if (!converged) log('the nodes did not report the same committed seq within 60 s; reading their data anyway');
  await nodes.killAll();
  await writer.node.kill();

  const data = new Map<string, NodeData>();
  for (const id of IDS) data.set(id, await readNodeData(fileStore(nodes.dataDir(id)), CLUSTER));
  const { lost: missing, identical, seqs } = verify(acked, data);
  const result = {
    seconds: chaosSeconds,
    ...counts,
    acked: acked.size,
    lost: missing.length,
    identical,
    converged,
    attempts: writer.attempts,
    unacked: writer.attempts - acked.size,
    failures: writer.failures,
    seqs,
    seed,
    ...(missing.length && { lostSample: missing.slice(0, 20) }),
  };
  if (missing.length) log(`LOST ${missing.length} acked updates, e.g. ${JSON.stringify(missing.slice(0, 5))}`);
  if (!identical) log(`NOT IDENTICAL: last seqs ${JSON.stringify(result.seqs)}`);
  if (flags['keep-data']) log(`data kept in ${dataRoot}`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  exitCode = missing.length === 0 && identical ? 0 : 1;
} catch (e) {
  log(`chaos run failed: ${(e as Error).stack ?? e}`);
  for (const [id, tail] of nodes.stderrTails) log(`${id} stderr before its last kill:\n${tail}`);
} finally {
  await nodes.killAll();
  await writer?.abort();
  await nats.stop();
  if (!flags['keep-data']) rmSync(dataRoot, { recursive: true, force: true });
}
process.exit(exitCode);
