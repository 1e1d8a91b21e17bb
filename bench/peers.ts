/**
 * `npm run bench -- --peers` / `glup bench --peers [--quick]` (issue 14, SPEC section 9):
 * etcd and glup side by side, in one run, on this machine.
 *
 * - etcd 3.4 (Debian etcd-server): three members on loopback, WAL fsynced (its default);
 *   put through its HTTP gateway (bench/etcd.ts).
 * - glup: three `glup node` processes on one nats-server, fileStore with fsync always (the
 *   default of `glup node`); put through a node's admin data plane, what `glup put` sends
 *   (bench/glupProcs.ts), "from a client" through a client node, "from the manager" through
 *   the manager.
 * - the same workloads: sequential puts, 64 in flight (64 keys written over and over),
 *   distinct keys (a new key on every put, updates/s per window of keys), failover (SIGKILL
 *   of the leader/manager until a new one is in place: etcd at its default 100/1000 ms and a
 *   fast 50/250 ms profile; glup at heartbeat 100 and 50 ms, 3 missed), 256-byte values;
 * - a NATS floor: the message pattern of one GLUP update (request to a manager, publish to
 *   two members, their acks, the answer) with no disk and no protocol, 64 in flight.
 *
 * Writes bench/results.json (every figure, `ratios`) and bench/RESULTS.md (the table).
 * `--quick` runs the same with short cells and few kills, in under 3 minutes (CI).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from '../test/helpers/natsServer.js';
import { EtcdCluster, ensureEtcd, etcdPut, etcdVersion } from './etcd.js';
import { GlupProcCluster } from './glupProcs.js';
import { closedLoop, latencySummary, round } from './stats.js';
import { renderResultsMd } from './peersReport.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const VALUE = 'v'.repeat(256);
const KEYS_REUSED = 64;
/** Missed heartbeats of the distinct-keys cluster: 100 ms × 10 detects a failure in 1 s, as etcd's default election timeout. */
const DISTINCT_KEYS_MISSED = 10;

export interface PeersPlan {
  quick: boolean;
  cellMs: number;
  warmupMs: number;
  kills: number;
  distinctKeys: number;
  distinctWindow: number;
  /** A distinct-keys run stops here even short of its key count (the figure says how far it got). */
  distinctCapMs: number;
}

export function peersPlan(quick: boolean): PeersPlan {
  return quick
    ? { quick, cellMs: 1_500, warmupMs: 300, kills: 2, distinctKeys: 3_000, distinctWindow: 1_000, distinctCapMs: 15_000 }
    : { quick, cellMs: 5_000, warmupMs: 1_000, kills: 5, distinctKeys: 100_000, distinctWindow: 10_000, distinctCapMs: 300_000 };
}

type Put = (key: string, value: string) => Promise<unknown>;

/** `inFlight` loops writing `key(i)` for `cellMs` after a warm-up; latency of each put, errors counted. */
export async function measurePuts(put: Put, inFlight: number, plan: PeersPlan) {
  const key = (lane: number, i: number) => `bench/k${inFlight === 1 ? i % KEYS_REUSED : lane}`;
  const r = await closedLoop((lane, i) => put(key(lane, i), VALUE), { inFlight, warmupMs: plan.warmupMs, durationMs: plan.cellMs });
  return { inFlight, seconds: round(r.seconds), updatesPerSecond: Math.round(r.latencies.length / r.seconds), latency: latencySummary(r.latencies), errors: r.errors };
}

/** 64 loops writing new keys until `distinctKeys` or the time cap: updates/s for each window of keys (a failed put is retried with its key). */
export async function measureDistinctKeys(put: Put, plan: PeersPlan) {
  const windows: { keys: number; updatesPerSecond: number }[] = [];
  let next = 0;
  let done = 0;
  const errors: Record<string, number> = {};
  let windowStart = performance.now();
  const startedAt = windowStart;
  const deadline = startedAt + plan.distinctCapMs;
  const loop = async () => {
    while (next < plan.distinctKeys && performance.now() < deadline) {
      const k = next++;
      // a failed put is counted and tried again with the same key, so that the run reaches its key count
      for (;;) {
        try {
          await put(`bench/d${k}`, VALUE);
          break;
        } catch (e) {
          const code = (e as { code?: string }).code ?? (e as Error).message?.slice(0, 60) ?? String(e);
          errors[code] = (errors[code] ?? 0) + 1;
          if (performance.now() >= deadline) return;
          await sleep(1);
        }
      }
      if (++done % plan.distinctWindow === 0) {
        const now = performance.now();
        windows.push({ keys: done, updatesPerSecond: Math.round(plan.distinctWindow / ((now - windowStart) / 1000)) });
        windowStart = now;
      }
    }
  };
  await Promise.all(Array.from({ length: 64 }, loop));
  const first = windows[0]?.updatesPerSecond;
  const last = windows.at(-1);
  return {
    target: plan.distinctKeys,
    reached: done,
    seconds: round((performance.now() - startedAt) / 1000),
    window: plan.distinctWindow,
    windows,
    errors,
    /** updates/s in the window that ends at the target over the first window (null: target not reached). */
    lastOverFirst: first && last && last.keys === plan.distinctKeys ? round(last.updatesPerSecond / first, 3) : null,
  };
}

// ------------------------------------------------------------------------------ etcd

async function etcdSide(bin: string, plan: PeersPlan) {
  const out: Record<string, unknown> = {};
  const c = await EtcdCluster.start(bin, { heartbeatMs: 100, electionMs: 1000 });
  try {
    const leader = (await c.leader())!;
    const put: Put = (k, v) => etcdPut(leader.clientUrl, k, v);
    log(`etcd: sequential puts to the leader ${leader.name}`);
    out.sequential = await part('sequential', () => measurePuts(put, 1, plan));
    log(`etcd: 64 in flight`);
    out.inFlight64 = await part('inFlight64', () => measurePuts(put, 64, plan));
    log(`etcd: distinct keys up to ${plan.distinctKeys}`);
    out.distinctKeys = await part('distinctKeys', () => measureDistinctKeys(put, plan));
    log(`etcd: failover at 100/1000 ms`);
    out.failoverDefault = await part('failoverDefault', () => etcdFailover(c, plan));
  } finally {
    await c.stop();
  }
  out.failoverFast = await part('failoverFast', async () => {
    const fast = await EtcdCluster.start(bin, { heartbeatMs: 50, electionMs: 250 });
    try {
      log(`etcd: failover at 50/250 ms`);
      return await etcdFailover(fast, plan);
    } finally {
      await fast.stop();
    }
  });
  return out;
}

/** Runs one part of the bench; a part that fails is reported in the results, and the run goes on. */
async function part<T>(name: string, run: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await run();
  } catch (e) {
    console.error(`[bench --peers] ${name} failed: ${(e as Error).stack ?? e}`);
    return { error: String((e as Error).message ?? e) };
  }
}

/** Kill the leader; failover = until a live member names a new leader (polled every ~2 ms). */
async function etcdFailover(c: EtcdCluster, plan: PeersPlan) {
  const samples: number[] = [];
  const failures: string[] = [];
  for (let i = 0; i < plan.kills; i++) {
    let old;
    try {
      old = await c.waitHealthy(30_000);
    } catch (e) {
      failures.push(`kill ${i + 1}: ${(e as Error).message}`);
      break;
    }
    await sleep(Math.random() * c.timing.heartbeatMs);
    const killedAt = performance.now();
    c.kill(old);
    let elected: number | null = null;
    while (performance.now() - killedAt < 20_000) {
      const l = await c.leader(100);
      if (l && l !== old) {
        elected = performance.now();
        break;
      }
      await sleep(2);
    }
    if (elected === null) failures.push(`kill ${i + 1}: no new leader within 20 s`);
    else samples.push(round(elected - killedAt, 1));
    c.restart(old);
  }
  await c.waitHealthy(30_000).catch((e) => failures.push((e as Error).message));
  return { kills: plan.kills, failover: latencySummary(samples), failures, samples };
}

// ------------------------------------------------------------------------------ glup

async function glupSide(plan: PeersPlan) {
  const out: Record<string, unknown> = {};
  const server = await startNatsServer();
  try {
    out.natsFanout = await part('natsFanout', () => natsFanout(server.url, plan));
    const c = await GlupProcCluster.start(server.url, { cluster: 'bench-hb100', heartbeatMs: 100 });
    try {
      await c.connectTool();
      for (const from of ['client', 'manager'] as const) {
        const node = () => {
          const n = from === 'manager' ? c.manager() : c.client();
          // the cluster lost its manager or client for now: count it as an error of its own
          if (!n) throw Object.assign(new Error(`no ${from} node at the moment`), { code: `NO_${from.toUpperCase()}` });
          return n.id;
        };
        const put: Put = (k, v) => c.put(node(), k.replaceAll('/', '.'), v);
        log(`glup: sequential puts through the ${from} (${(from === 'manager' ? c.manager() : c.client())?.id ?? 'none'})`);
        out[`sequentialFrom${cap(from)}`] = await part(`sequentialFrom${cap(from)}`, () => measurePuts(put, 1, plan));
        log(`glup: 64 in flight through the ${from}`);
        out[`inFlight64From${cap(from)}`] = await part(`inFlight64From${cap(from)}`, () => measurePuts(put, 64, plan));
      }
      log(`glup: failover at heartbeat 100 x 3`);
      out.failoverHb100 = await part('failoverHb100', () => glupFailover(c, plan));
    } finally {
      await c.stop();
    }
    // On a cluster of its own, detecting failures in 1 s (etcd's election timeout) instead of
    // 300 ms: the cell measures what an update costs as the database grows. At 100 × 3, three
    // node processes that saturate 2 cores stall a heartbeat past 300 ms and the cluster fails
    // over again and again (epoch 1 to 8 in 45 s), which the failover cells already measure.
    out.distinctKeys = await part('distinctKeys', async () => {
      const keys = await GlupProcCluster.start(server.url, { cluster: 'bench-keys', heartbeatMs: 100, missedHeartbeats: DISTINCT_KEYS_MISSED });
      try {
        await keys.connectTool();
        await keys.until(() => keys.formed(), 30_000, 'cluster formed');
        log(`glup: distinct keys up to ${plan.distinctKeys} through the client (heartbeat 100 x ${DISTINCT_KEYS_MISSED})`);
        const r = await measureDistinctKeys((k, v) => {
          const n = keys.client() ?? keys.manager();
          if (!n) return Promise.reject(Object.assign(new Error('no node to write through at the moment'), { code: 'NO_NODE' }));
          return keys.put(n.id, k.replaceAll('/', '.'), v);
        }, plan);
        return { ...r, heartbeatMs: 100, missedHeartbeats: DISTINCT_KEYS_MISSED, roleChanges: keys.events.length };
      } finally {
        await keys.stop();
      }
    });
    out.failoverHb50 = await part('failoverHb50', async () => {
      const fast = await GlupProcCluster.start(server.url, { cluster: 'bench-hb50', heartbeatMs: 50 });
      try {
        log(`glup: failover at heartbeat 50 x 3`);
        return await glupFailover(fast, plan);
      } finally {
        await fast.stop();
      }
    });
  } finally {
    await server.stop();
  }
  return out;
}

/** SIGKILL the manager; failover = until a live node reports itself manager of a newer epoch (its stdout). */
export async function glupFailover(c: GlupProcCluster, plan: PeersPlan) {
  const samples: number[] = [];
  const failures: string[] = [];
  for (let i = 0; i < plan.kills; i++) {
    try {
      await c.until(() => c.formed(), 30_000, 'cluster whole before a kill');
    } catch (e) {
      failures.push(`kill ${i + 1}: ${(e as Error).message}`);
      break;
    }
    await sleep(Math.random() * c.heartbeatMs);
    const old = c.manager()!;
    const oldEpoch = old.epoch;
    const killedAt = performance.now();
    c.kill(old);
    try {
      await c.until(() => c.events.some((e) => e.at >= killedAt && e.role === 'manager' && e.epoch > oldEpoch && e.node !== old.id), 20_000, 'a new manager');
      const ev = c.events.find((e) => e.at >= killedAt && e.role === 'manager' && e.epoch > oldEpoch && e.node !== old.id)!;
      samples.push(round(ev.at - killedAt, 1));
    } catch (e) {
      failures.push(`kill ${i + 1}: ${(e as Error).message}`);
    }
    c.restart(old);
  }
  await c.until(() => c.formed(), 30_000, 'cluster whole after the kills').catch((e) => failures.push((e as Error).message));
  return { kills: plan.kills, heartbeatMs: c.heartbeatMs, missedHeartbeats: c.missedHeartbeats, failover: latencySummary(samples), failures, samples };
}

/**
 * The NATS floor of one update: a requester asks a "manager" connection, which publishes the
 * value to two "member" connections and answers once both acked. No disk, no protocol:
 * what the wire alone allows with 64 in flight (one process, four connections).
 */
async function natsFanout(url: string, plan: PeersPlan) {
  const [client, manager, m1, m2] = await Promise.all([0, 1, 2, 3].map(() => connect({ servers: url })));
  const pending = new Map<string, { acks: number; reply: string }>();
  let n = 0;
  manager!.subscribe('fan.req', {
    callback: (err, msg) => {
      if (err || !msg.reply) return;
      const id = String(++n);
      pending.set(id, { acks: 0, reply: msg.reply });
      manager!.publish(`fan.update.${id}`, msg.data);
    },
  });
  manager!.subscribe('fan.ack.>', {
    callback: (err, msg) => {
      if (err) return;
      const id = msg.subject.slice('fan.ack.'.length);
      const p = pending.get(id);
      if (!p || ++p.acks < 2) return;
      pending.delete(id);
      manager!.publish(p.reply, new Uint8Array(0));
    },
  });
  for (const m of [m1!, m2!]) {
    m.subscribe('fan.update.*', {
      callback: (err, msg) => {
        if (err) return;
        m.publish(`fan.ack.${msg.subject.slice('fan.update.'.length)}`, new Uint8Array(0));
      },
    });
  }
  await Promise.all([manager!, m1!, m2!].map((x) => x.flush()));
  const payload = new TextEncoder().encode(VALUE);
  const r = await measurePuts(() => client!.request('fan.req', payload, { timeout: 5000 }), 64, plan);
  await Promise.all([client, manager, m1, m2].map((x) => x!.close()));
  return r;
}

// ------------------------------------------------------------------------------ run

export async function runPeers(opts: { quick: boolean; peers: boolean }): Promise<number> {
  const plan = peersPlan(opts.quick);
  // a bench that hangs (a cluster that never forms on a starved machine) must not hold CI
  const limitMs = opts.quick ? 8 * 60_000 : 90 * 60_000;
  setTimeout(() => {
    console.error(`[bench --peers] still running after ${limitMs / 60_000} min: giving up`);
    process.exit(1);
  }, limitMs).unref();
  const etcdBin = opts.peers ? ensureEtcd() : null;
  const startedAt = new Date();
  const t0 = performance.now();
  const loadBefore = loadavg().map((l) => round(l, 2));
  const etcd: Record<string, unknown> = etcdBin ? await part('etcd', () => etcdSide(etcdBin, plan)) : {};
  const glup: Record<string, unknown> = await part('glup', () => glupSide(plan));
  const results = {
    command: `npm run bench --${opts.peers ? ' --peers' : ''}${opts.quick ? ' --quick' : ''}`,
    date: startedAt.toISOString(),
    seconds: round((performance.now() - t0) / 1000, 1),
    machine: machine(),
    loadAverage: { before: loadBefore, after: loadavg().map((l) => round(l, 2)) },
    versions: { etcd: etcdBin ? etcdVersion(etcdBin) : 'not run', natsServer: natsVersion(), node: process.version },
    plan,
    settings: {
      valueBytes: VALUE.length,
      keysReused: KEYS_REUSED,
      etcd: 'three members on loopback, WAL fsync on every commit (default), puts through the HTTP/JSON gateway /v3/kv/put with keep-alive, to the leader',
      glup: 'three `glup node` processes on one nats-server, fileStore fsync always, glup multicast, quorum majority; puts through a node\'s admin data plane (what `glup put` sends), heartbeat 100 ms unless stated',
      failover: 'SIGKILL of the leader/manager at a random point of a heartbeat; until a live member names a new leader (etcd: /v3/maintenance/status polled every ~2 ms) / a live node prints itself manager of a newer epoch (glup stdout), timed in the bench process',
    },
    etcd,
    glup,
    ratios: ratios(etcd, glup),
  };
  if (opts.peers) {
    writeFileSync(join(HERE, 'results.json'), JSON.stringify(results, null, 2) + '\n');
    writeFileSync(join(HERE, 'RESULTS.md'), renderResultsMd(results));
  } else {
    mkdirSync(join(HERE, 'results'), { recursive: true });
    writeFileSync(join(HERE, 'results', 'quick.json'), JSON.stringify(results, null, 2) + '\n');
  }
  console.log(renderResultsMd(results));
  return 0;
}

/** The ratios issue 14 asks for (null: a figure it needs was not measured). */
export function ratios(etcd: any, glup: any) {
  const r = (a: number | undefined | null, b: number | undefined | null) => (a && b ? round(a / b, 3) : null);
  return {
    failoverGlupOverEtcdDefault: r(glup.failoverHb100?.failover?.p50Ms, etcd.failoverDefault?.failover?.p50Ms),
    failoverGlupOverEtcdFast: r(glup.failoverHb50?.failover?.p50Ms, etcd.failoverFast?.failover?.p50Ms),
    seqUpdatesGlupOverEtcd: r(glup.sequentialFromManager?.updatesPerSecond, etcd.sequential?.updatesPerSecond),
    updates64GlupOverEtcd: r(glup.inFlight64FromClient?.updatesPerSecond, etcd.inFlight64?.updatesPerSecond),
    updatesGlupOverNatsFanout: r(glup.inFlight64FromClient?.updatesPerSecond, glup.natsFanout?.updatesPerSecond),
    updatesAt100kKeysOverEmpty: glup.distinctKeys?.lastOverFirst ?? null,
  };
}

function machine() {
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGb: round(totalmem() / 2 ** 30, 1), os: `${process.platform} ${process.arch}` };
}

function natsVersion(): string {
  return spawnSync('nats-server', ['--version'], { encoding: 'utf8' }).stdout.trim();
}

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => console.error(`[bench --peers] ${msg}`);
