/**
 * Runs scenario scripts (SPEC section 10) against real nodes: on the memory transport in
 * virtual time (deterministic per seed), or on NATS in real time. Each run starts from
 * empty stores; file stores live in a temporary directory removed at the end unless
 * keepData is given; on NATS the cluster name gets a per-run suffix.
 */
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InspectionEvent as XInspectionEvent } from 'xstate';
import { createNode } from '../actors/createNode.js';
import type { NodeRuntime } from '../actors/runtime.js';
import type { GroupView } from '../actors/types.js';
import { createFaults } from '../bus/faultFilter.js';
import { GlupError } from '../errors.js';
import { createRandom } from '../random.js';
import { memoryStore } from '../persistence/memory.js';
import { fileStore } from '../persistence/file.js';
import { jetstreamStore, type JetStreamStore } from '../persistence/jetstream.js';
import type { Store } from '../persistence/store.js';
import type { DataOp } from '../db/types.js';
import { chosenLogLevel, silentLogger, createLogger, type Logger } from '../log.js';
import { memoryDriver, natsDriver } from './driver.js';
import { evaluateConditions, nodeView, roundMs } from './expect.js';
import { expectOutcome, StepFailure } from './stepOutcome.js';
import { buildSummary } from './summary.js';
import { TraceRecorder, commitLine, inspectionLine, type TraceEventLine } from './trace.js';
import {
  stepKind,
  type ClusterView,
  type Conditions,
  type NodeSpec,
  type NodeStatus,
  type RunOptions,
  type Scenario,
  type ScenarioRunResult,
  type ScenarioSource,
  type Step,
  type AskStep,
  type TellStep,
} from './types.js';
import { answerMismatch, defineDemoActors, tell } from './actorSteps.js';

export async function runScenarios(inputs: ScenarioSource[], opts: RunOptions): Promise<ScenarioRunResult[]> {
  const results: ScenarioRunResult[] = [];
  for (const input of inputs) results.push(await runScenario(input.scenario, opts));
  return results;
}

/** Observers of a run (glup sim's invariant checkers, tests): called for every node started. */
export interface RunHooks {
  logger?: Logger;
  /** A node was created (start, restart or add) and is about to start. */
  onNode?: (id: string, node: NodeRuntime) => void;
  /**
   * A step finished (ok or not), with the virtual time; `outcome` carries an update's
   * `{seq, epoch}` or a failed step's error code (what glup sim needs to reproduce a run).
   */
  onStep?: (i: number, step: Step, ok: boolean, t: number, outcome?: StepOutcome) => void;
  /** A process joined by a `join` step was told a view of its group (glup sim's invariant 5). */
  onGroupView?: (node: string, member: string, view: GroupView) => void;
  /** XState's own inspection events of every node's actors (createNode's `inspect`; glup sim --coverage). */
  xstateInspect?: (e: XInspectionEvent) => void;
}

export interface StepOutcome {
  /** What an update step's promise resolved with. */
  value?: unknown;
  /** GlupError code of a failed step, when it failed with one. */
  code?: string;
  error?: string;
}

export async function runScenario(scenario: Scenario, opts: RunOptions, hooks: RunHooks = {}): Promise<ScenarioRunResult> {
  const seed = opts.seed ?? scenario.seed;
  const persistence = opts.persistence ?? scenario.cluster.persistence;
  const transportKind = opts.transport;
  // quiet unless the command line asked for logs (--log-level)
  const logger = hooks.logger ?? (chosenLogLevel() ? createLogger() : silentLogger());
  const rng = createRandom(seed);
  const runId = `${Math.floor(Math.random() * 1e9).toString(36)}`;
  const cluster = transportKind === 'nats' ? `${scenario.cluster.name}-${runId}`.slice(0, 63) : scenario.cluster.name;
  const driver = transportKind === 'memory' ? memoryDriver(seed) : await natsDriver(opts.nats ?? 'nats://127.0.0.1:4222');
  // inspection events carry the node clock's time; traces count from the run's start
  const clockBase = driver.clock.now() - driver.now();
  const faults = createFaults({ random: rng.fork('faults'), clock: driver.clock });
  const trace = new TraceRecorder();
  trace.header({
    scenario,
    seed,
    overrides: { transport: transportKind, persistence: opts.persistence ?? null, seed: opts.seed ?? null },
  });

  // Events of one virtual instant may be recorded in the order real file I/O completes;
  // sorting by (time, node) keeps traces byte-identical per seed while each node's order stays.
  const events: TraceEventLine[] = [];
  // The trace ends with the last step: the nodes the run stops afterwards are not part of the
  // scenario, and a trace that ended with every node stopped would show no final state.
  let recording = true;
  const record = (line: TraceEventLine) => {
    if (recording) events.push(line);
  };
  const dataDir = persistence === 'file' ? (opts.keepData ? opts.keepData : await mkdtemp(join(tmpdir(), 'glup-run-'))) : null;
  const specs = new Map<string, NodeSpec>(scenario.cluster.nodes.map((n) => [n.id, n]));
  const initialMembers = scenario.cluster.nodes.map((n) => n.id);
  const stores = new Map<string, Store>();
  const nodes = new Map<string, NodeRuntime>();
  const status = new Map<string, NodeStatus>();
  const delivered: Record<string, Record<string, number>> = {};
  const groupHandles = new Map<string, { leave(): Promise<void> }>();
  const failoverMs: number[] = [];
  const latencies: number[] = [];
  let pendingFailoverSince: number | null = null;
  let lastFailoverMs: number | null = null;
  let messagesBefore = 0;
  let invalidBefore = 0;

  const storeFor = async (id: string): Promise<Store> => {
    let s = stores.get(id);
    if (s) return s;
    if (persistence === 'file') {
      const dir = join(dataDir!, id);
      await mkdir(dir, { recursive: true });
      s = fileStore(dir, { logger, clock: driver.clock });
    } else if (persistence === 'jetstream') {
      s = jetstreamStore({ servers: opts.nats ?? 'nats://127.0.0.1:4222', cluster, node: id, logger });
    } else {
      s = memoryStore();
    }
    stores.set(id, s);
    return s;
  };

  const launch = async (id: string) => {
    const spec = specs.get(id)!;
    const old = nodes.get(id);
    if (old) {
      messagesBefore += old.metrics.messagesSent;
      invalidBefore += old.metrics.invalidMessages;
    }
    const c = scenario.cluster;
    const node = createNode({
      cluster,
      id,
      priority: spec.priority,
      qualified: spec.qualified,
      transport: await driver.transport(id),
      store: await storeFor(id),
      faults,
      logger,
      initialMembers,
      heartbeatMs: c.heartbeatMs ?? 100,
      missedHeartbeats: c.missedHeartbeats,
      discoveryMs: c.discoveryMs,
      retransmitMs: c.retransmitMs,
      updateTimeoutMs: c.updateTimeoutMs,
      heartbeat: c.heartbeat,
      glup: c.glup,
      quorum: c.quorum,
      snapshotEvery: c.snapshotEvery,
      maxUpdateBytes: c.maxUpdateBytes,
      ...(hooks.xstateInspect && { inspect: hooks.xstateInspect }),
    });
    defineDemoActors(node, c.actors);
    nodes.set(id, node);
    hooks.onNode?.(id, node);
    status.set(id, 'live');
    if (opts.inspect !== false) {
      node.inspect((e) => record({ ...inspectionLine(e), t: roundMs(e.t - clockBase) }));
      node.on('update', (r) => record(commitLine(id, r, roundMs(driver.now()))));
    }
    node.on('role', (role: string) => {
      const t = roundMs(driver.now());
      record({ kind: 'role', node: id, role: role as never, epoch: node.epoch, t });
      if (role === 'manager' && pendingFailoverSince !== null) {
        lastFailoverMs = roundMs((node.lastTakeoverAt ?? driver.clock.now()) - pendingFailoverSince);
        failoverMs.push(lastFailoverMs);
        pendingFailoverSince = null;
      }
    });
    node.on('group-delivered', (group: string, member: string) => {
      const g = (delivered[group] ??= {});
      g[member] = (g[member] ?? 0) + 1;
    });
    void node.start().catch(() => {});
    await driver.settle(node.opened, 60_000);
  };

  const view = (): ClusterView => {
    const out: ClusterView = { t: roundMs(driver.now()), nodes: {}, lastFailoverMs };
    for (const [id, node] of nodes) {
      out.nodes[id] = nodeView(node as never, {
        status: status.get(id)!,
        delivered,
        logLength: node.replica.lastSeq - (node.replica.snapshot ? 0 : 0),
      });
    }
    return out;
  };

  const resolveIds = (sel: 'all' | string[]): string[] => (sel === 'all' ? [...specs.keys()] : sel);
  const nodeOf = (id: string): NodeRuntime => {
    const n = nodes.get(id);
    if (!n || status.get(id) !== 'live') throw new StepFailure(`node ${id} is not running`);
    return n;
  };
  const wasManager = (id: string) => nodes.get(id)?.role === 'manager';

  const outcome: { step: Step; ok: boolean }[] = [];
  let passed = true;
  const defaultWait = 10 * (scenario.cluster.updateTimeoutMs ?? 10 * (scenario.cluster.heartbeatMs ?? 100));

  let stepValue: unknown;
  // with keepGoing, these steps may fail and the run goes on (glup sim's workload)
  const mayFail = new Set(['update', 'join', 'leave', 'send', 'ask', 'tell']);
  const runStep = async (step: Step): Promise<void> => {
    const kind = stepKind(step);
    const s = step as Record<string, any>;
    switch (kind) {
      case 'start':
        for (const id of resolveIds(s.start)) if (status.get(id) !== 'live') await launch(id);
        return;
      case 'restart':
        for (const id of resolveIds(s.restart)) {
          if (status.get(id) === 'live') {
            if (wasManager(id)) pendingFailoverSince = driver.clock.now();
            await nodes.get(id)!.kill();
          }
          await launch(id);
        }
        return;
      case 'kill':
        for (const id of resolveIds(s.kill)) {
          if (status.get(id) !== 'live') continue;
          if (wasManager(id)) pendingFailoverSince = driver.clock.now();
          await nodes.get(id)!.kill();
          status.set(id, 'killed');
        }
        return;
      case 'stop':
        for (const id of resolveIds(s.stop)) {
          if (status.get(id) !== 'live') continue;
          const node = nodes.get(id)!;
          if (wasManager(id)) pendingFailoverSince = driver.clock.now();
          await driver.settle(node.leave(), defaultWait);
          status.set(id, 'stopped');
        }
        return;
      case 'add': {
        const spec = s.add as NodeSpec;
        specs.set(spec.id, spec);
        await launch(spec.id);
        return;
      }
      case 'wait':
        await driver.advance(s.wait as number);
        return;
      case 'waitFor': {
        const { timeoutMs, ...conds } = s.waitFor as Conditions & { timeoutMs: number };
        try {
          await driver.runUntil(() => evaluateConditions(conds, view()).ok, timeoutMs);
        } catch (e) {
          if (e instanceof GlupError && e.code === 'TIMEOUT') {
            const r = evaluateConditions(conds, view());
            throw new StepFailure(`waitFor timed out after ${timeoutMs} ms: ${r.failures.join('; ')}`);
          }
          throw e;
        }
        return;
      }
      case 'expect': {
        const r = evaluateConditions(s.expect as Conditions, view());
        if (!r.ok) throw new StepFailure(`expect failed: ${r.failures.join('; ')}`);
        return;
      }
      case 'update': {
        const { node: id, expectError, ...op } = s.update as { node: string; expectError?: string } & DataOp;
        const started = driver.now();
        await expectOutcome(driver.settle(nodeOf(id).update(op as DataOp), defaultWait), expectError, (v) => {
          latencies.push(driver.now() - started);
          stepValue = v;
        });
        return;
      }
      case 'join': {
        const { node: id, process, group, expectError } = s.join;
        const key = `${group}/${process}@${id}`;
        await expectOutcome(
          driver.settle(nodeOf(id).joinGroup(group, process, { onView: (v) => hooks.onGroupView?.(id, `${process}@${id}`, v) }), defaultWait),
          expectError,
          (h) => void groupHandles.set(key, h as { leave(): Promise<void> }),
        );
        return;
      }
      case 'leave': {
        const { node: id, process, group } = s.leave;
        const h = groupHandles.get(`${group}/${process}@${id}`);
        if (!h) throw new StepFailure(`${process}@${id} has not joined ${group} in this run`);
        nodeOf(id);
        await driver.settle(h.leave(), defaultWait);
        groupHandles.delete(`${group}/${process}@${id}`);
        return;
      }
      case 'send': {
        const { node: id, group, payload, mode, key } = s.send;
        await driver.settle(nodeOf(id).send(group, payload, { mode: mode ?? 'all', key }), defaultWait);
        return;
      }
      case 'switchover': {
        const to = s.switchover.to as string;
        const manager = [...nodes.values()].find((n) => status.get(n.id) === 'live' && n.role === 'manager');
        if (!manager) throw new StepFailure('switchover: there is no manager');
        pendingFailoverSince = driver.clock.now();
        await driver.settle(manager.switchover(to), defaultWait);
        return;
      }
      case 'ask': {
        const a = s.ask as AskStep;
        const started = driver.now();
        const answer = nodeOf(a.node).actors.ref(a.type, a.key).ask(a.event, { timeoutMs: a.timeoutMs ?? defaultWait });
        await expectOutcome(driver.settle(answer, (a.timeoutMs ?? defaultWait) + 1000), a.expectError, (v) => {
          const mismatch = answerMismatch(a, v);
          if (mismatch) throw new StepFailure(`ask ${a.type}/${a.key} ${a.event.type}: ${mismatch}`);
          latencies.push(driver.now() - started);
          stepValue = v;
        });
        return;
      }
      case 'tell':
        tell(nodeOf((s.tell as TellStep).node), s.tell as TellStep);
        return;
      case 'partition':
        faults.partition(s.partition as string[][]);
        return;
      case 'heal':
        faults.heal();
        return;
      case 'faults':
        if (s.faults === 'none') faults.clear();
        else faults.set(s.faults);
        return;
    }
  };

  try {
    for (const [i, step] of scenario.steps.entries()) {
      stepValue = undefined;
      try {
        await runStep(step);
        outcome.push({ step, ok: true });
        record({ kind: 'step', i, step, ok: true, t: roundMs(driver.now()) });
        hooks.onStep?.(i, step, true, driver.now(), stepValue === undefined ? undefined : { value: stepValue });
      } catch (e) {
        const msg = e instanceof StepFailure ? e.message : e instanceof Error ? e.message : String(e);
        const code = e instanceof StepFailure ? e.code : e instanceof GlupError ? e.code : undefined;
        outcome.push({ step, ok: false });
        record({ kind: 'step', i, step, ok: false, t: roundMs(driver.now()), error: msg });
        hooks.onStep?.(i, step, false, driver.now(), { error: msg, ...(code ? { code } : {}) });
        passed = false;
        if (!(opts.keepGoing && mayFail.has(stepKind(step)))) break;
      }
    }
  } finally {
    recording = false;
    var finalView = view();
    let messages = messagesBefore;
    let invalid = invalidBefore;
    for (const n of nodes.values()) {
      messages += n.metrics.messagesSent;
      invalid += n.metrics.invalidMessages;
    }
    var totals = { messages, invalid };
    for (const [id, n] of nodes) if (status.get(id) === 'live' || n.role !== 'stopped') await n.kill().catch(() => {});
    if (persistence === 'jetstream' && !opts.keepData) {
      for (const s of stores.values()) await (s as JetStreamStore).destroy?.().catch(() => {});
    }
    await driver.close();
    if (dataDir && !opts.keepData) await rm(dataDir, { recursive: true, force: true });
  }

  const order = (l: TraceEventLine) => ('node' in l ? l.node : '');
  events
    .map((l, i) => ({ l, i }))
    .sort((a, b) => a.l.t - b.l.t || (order(a.l) < order(b.l) ? -1 : order(a.l) > order(b.l) ? 1 : a.i - b.i))
    .forEach(({ l }) => trace.push(l));
  const summary = buildSummary({
    scenario,
    passed,
    seed,
    transport: transportKind,
    steps: outcome,
    failoverMs,
    updateLatenciesMs: latencies,
    messages: totals.messages,
    invalidMessages: totals.invalid,
    view: finalView,
  });
  return { summary, trace: trace.lines };
}
