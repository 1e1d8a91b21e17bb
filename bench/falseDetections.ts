/**
 * False failure detections (membership issue): 9 nodes on NATS loopback at heartbeat 50 ms
 * (missedHeartbeats 3) run for 60 s while two child processes spin (`for(;;){}`) to keep both
 * cores busy. Nothing fails, so every detection is false:
 *  - a `membership` event whose `left` holds a node with reason 'failed' (counted once per
 *    (seq, node), though every member emits it);
 *  - a `role` event to 'isolated' or 'joining' of a node that was never stopped;
 *  - also reported: other role changes, quorum losses, and epoch changes.
 * Goal: zero.
 *
 * Variants: (1) all 9 nodes in one process; (2) 3 processes × 3 nodes. Nodes run in worker
 * processes (this file with `--worker`), which the parent drives over stdin/stdout lines:
 * worker → `{"ready":true}` once its nodes are members of a 9-node cluster; parent → `go`
 * (count from now), `stop` (report and exit); worker → `{"report":…}`.
 *
 * `npx tsx bench/falseDetections.ts` writes bench/results/falseDetections.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createNode, memoryStore, natsTransport } from '../src/index.js';
import type { NodeRuntime } from '../src/actors/runtime.js';
import type { Role } from '../src/actors/types.js';
import { realRunUntil } from '../src/bus/realTime.js';
import { startNatsServer } from '../test/helpers/natsServer.js';
import { isMain, round, writeBenchResults } from './run.js';

const HEARTBEAT_MS = 50;
const MISSED = 3;
const IDS = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8', 'n9'];
const CLUSTER_FORM_TIMEOUT_MS = 60_000;
/** A pause this long is enough for a member to confirm a manager loss or a manager to go isolated. */
const STALL_MS = (MISSED - 1) * HEARTBEAT_MS;

interface WorkerReport {
  /** `${seq}:${node}` of every removal with reason 'failed' seen by these nodes. */
  failedRemovals: string[];
  /** Role changes of these (live) nodes to isolated or joining. */
  lostMembership: { node: string; role: Role; atMs: number }[];
  /** Every other role change (e.g. a client made backup after a false detection). */
  otherRoleChanges: { node: string; role: Role; atMs: number }[];
  quorumLost: number;
  epochAtGo: number;
  epochAtStop: number;
  membersAtStop: number;
  stillMembers: boolean;
  /** Event-loop delay of the worker between go and stop: a stall longer than the detection window explains a detection. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Times (ms after go) and lengths of gaps over (missed − 1) × heartbeat between 10 ms ticks: whole-process pauses. */
  stalls: { atMs: number; ms: number }[];
}

// ------------------------------------------------------------------ worker side

async function runWorker(url: string, cluster: string, ids: string[]): Promise<void> {
  const nodes: NodeRuntime[] = [];
  for (const id of ids) {
    nodes.push(
      createNode({
        cluster,
        id,
        transport: await natsTransport({ servers: url, name: id }),
        store: memoryStore(),
        heartbeatMs: HEARTBEAT_MS,
        missedHeartbeats: MISSED,
        initialMembers: IDS,
      }),
    );
  }
  for (const n of nodes) void n.start().catch(() => {});
  await realRunUntil(() => nodes.every((n) => n.isMember() && Object.keys(n.db.nodes).length === IDS.length), {
    timeoutMs: CLUSTER_FORM_TIMEOUT_MS,
  });
  const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
  say({ ready: true });

  let counting = false;
  let goAt = 0;
  const failedRemovals = new Set<string>();
  const lostMembership: WorkerReport['lostMembership'] = [];
  const otherRoleChanges: WorkerReport['otherRoleChanges'] = [];
  let quorumLost = 0;
  for (const n of nodes) {
    n.on('membership', (m) => {
      if (!counting) return;
      for (const l of m.left) if (l.reason === 'failed') failedRemovals.add(`${m.seq}:${l.id}`);
    });
    n.on('role', (role) => {
      if (!counting) return;
      const entry = { node: n.id, role, atMs: Date.now() - goAt };
      (role === 'isolated' || role === 'joining' ? lostMembership : otherRoleChanges).push(entry);
    });
    n.on('quorum', (q) => {
      if (counting && !q) quorumLost++;
    });
  }
  let epochAtGo = 0;
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const stalls: WorkerReport['stalls'] = [];
  let stallWatch: NodeJS.Timeout | undefined;
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'go') {
      loopDelay.enable();
      let lastTick = Date.now();
      stallWatch = setInterval(() => {
        const now = Date.now();
        if (now - lastTick > STALL_MS) stalls.push({ atMs: lastTick - goAt, ms: now - lastTick });
        lastTick = now;
      }, 10);
      counting = true;
      goAt = Date.now();
      epochAtGo = Math.max(...nodes.map((n) => n.epoch));
    } else if (line === 'stop') {
      counting = false;
      loopDelay.disable();
      clearInterval(stallWatch);
      const ms = (ns: number) => Math.round(ns / 1e5) / 10;
      const report: WorkerReport = {
        failedRemovals: [...failedRemovals],
        lostMembership,
        otherRoleChanges,
        quorumLost,
        epochAtGo,
        epochAtStop: Math.max(...nodes.map((n) => n.epoch)),
        membersAtStop: Math.min(...nodes.map((n) => Object.keys(n.db.nodes).length)),
        stillMembers: nodes.every((n) => n.isMember()),
        eventLoopDelayMs: { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) },
        stalls,
      };
      say({ report });
      break;
    }
  }
  await Promise.all(nodes.map((n) => n.kill().catch(() => {})));
  process.exit(0);
}

// ------------------------------------------------------------------ parent side

const self = fileURLToPath(import.meta.url);

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  report: Promise<WorkerReport>;
  send(line: string): void;
}

function startWorker(url: string, cluster: string, ids: string[]): Worker {
  const child = spawn(process.execPath, ['--import=tsx', self, '--worker', url, cluster, ids.join(',')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let markReady!: () => void;
  let deliver!: (r: WorkerReport) => void;
  let fail!: (e: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    fail = reject;
  });
  const report = new Promise<WorkerReport>((resolve, reject) => {
    deliver = resolve;
    child.once('exit', (code) => reject(new Error(`worker ${ids.join(',')} exited with code ${code} before reporting`)));
  });
  report.catch(() => {});
  child.once('exit', (code) => fail(new Error(`worker ${ids.join(',')} exited with code ${code} before its nodes joined`)));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let msg: { ready?: boolean; report?: WorkerReport };
    try {
      msg = JSON.parse(line);
    } catch {
      return; // not ours (a stray log line)
    }
    if (msg.ready) markReady();
    if (msg.report) deliver(msg.report);
  });
  return { child, ready, report, send: (line) => child.stdin!.write(line + '\n') };
}

/** Two spinning processes: both cores busy for as long as they live. */
function startCpuHogs(count = 2): ChildProcess[] {
  return Array.from({ length: count }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

export async function falseDetections(url: string, layout: string[][], durationMs: number, cpuHogs = 2) {
  const cluster = `fd-${layout.length}p-${cpuHogs}h`;
  const workers = layout.map((ids) => startWorker(url, cluster, ids));
  let hogs: ChildProcess[] = [];
  try {
    await Promise.all(workers.map((w) => w.ready));
    hogs = startCpuHogs(cpuHogs);
    const loadAverageAtGo = round(loadavg()[0]!, 2);
    for (const w of workers) w.send('go');
    await new Promise((r) => setTimeout(r, durationMs));
    for (const w of workers) w.send('stop');
    const reports = await Promise.all(workers.map((w) => w.report));
    await Promise.all(hogs.map(stopProcess));
    const failed = new Set(reports.flatMap((r) => r.failedRemovals));
    const lost = reports.flatMap((r) => r.lostMembership);
    return {
      processes: layout.length,
      nodesPerProcess: layout.map((ids) => ids.length),
      durationMs,
      cpuHogs: hogs.length,
      loadAverageAtGo,
      loadAverageAtStop: round(loadavg()[0]!, 2),
      falseFailureRemovals: failed.size,
      falseMembershipLosses: lost.length,
      falseDetections: failed.size + lost.length,
      failedRemovals: [...failed],
      lostMembership: lost,
      otherRoleChanges: reports.flatMap((r) => r.otherRoleChanges),
      quorumLostEvents: reports.reduce((a, r) => a + r.quorumLost, 0),
      epochAtGo: Math.max(...reports.map((r) => r.epochAtGo)),
      epochAtStop: Math.max(...reports.map((r) => r.epochAtStop)),
      membersAtStop: Math.min(...reports.map((r) => r.membersAtStop)),
      allStillMembers: reports.every((r) => r.stillMembers),
      workerEventLoopDelayMs: reports.map((r) => r.eventLoopDelayMs),
      processStallsOver100Ms: reports.map((r) => r.stalls.length),
      processStalls: reports.map((r) => r.stalls),
    };
  } finally {
    await Promise.all([...hogs, ...workers.map((w) => w.child)].map(stopProcess));
  }
}

export async function benchFalseDetections(durationMs = 60_000): Promise<object> {
  const server = await startNatsServer();
  try {
    const oneProcess = await falseDetections(server.url, [IDS], durationMs);
    const threeProcesses = await falseDetections(server.url, [IDS.slice(0, 3), IDS.slice(3, 6), IDS.slice(6)], durationMs);
    // control: the same 9 nodes in one process without the spinners
    const oneProcessNoLoad = await falseDetections(server.url, [IDS], durationMs, 0);
    return {
      settings: { nodes: IDS.length, heartbeatMs: HEARTBEAT_MS, missedHeartbeats: MISSED, heartbeat: 'multicast', quorum: 'majority' },
      goal: 'zero false detections',
      oneProcessNineNodes: oneProcess,
      threeProcessesThreeNodes: threeProcesses,
      controlOneProcessNoCpuHogs: oneProcessNoLoad,
      notes:
        'Nodes run in child processes of the bench (one per layout group), each node with its own NATS connection to nats-server 2.9.10 on 127.0.0.1. ' +
        'Two `node -e "for(;;){}"` children spin for the whole window (started after the cluster formed, killed at the end). ' +
        'A control run without the spinners shows what the load adds. loadAverage: 1-minute load average of the machine (includes other work). workerEventLoopDelayMs: event-loop delay of each node process during the window (detection needs silence of missedHeartbeats x heartbeatMs = 150 ms; members confirm after 100 ms). ' +
        'Counted only between go and stop. falseFailureRemovals: distinct (seq, node) removals with reason failed; falseMembershipLosses: role events to isolated/joining. ' +
        'The machine (2 cores) is shared with other work, so the load is at least the two spinners.',
    };
  } finally {
    await server.stop();
  }
}

if (process.argv[2] === '--worker') {
  await runWorker(process.argv[3]!, process.argv[4]!, process.argv[5]!.split(','));
} else if (isMain(import.meta.url)) {
  const seconds = Number(process.env.GLUP_BENCH_SECONDS ?? 60);
  writeBenchResults('falseDetections', await benchFalseDetections(seconds * 1000));
  process.exit(0);
}
