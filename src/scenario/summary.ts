/**
 * The `glup run --json` summary (SPEC section 9, field for field) and the human timeline
 * printed by `npm run demo` / `glup run --timeline`.
 */
import { sortIds } from '../ids.js';
import { agreedManager, evaluateConditions, liveNodes, roundMs, scenarioRole } from './expect.js';
import type { TraceEventLine, TraceLine } from './trace.js';
import { stepKind, type ClusterView, type RunSummary, type Scenario, type Step, type SummaryRole, type TransportKind } from './types.js';

export interface SummaryInput {
  scenario: Scenario;
  passed: boolean;
  seed: number;
  transport: TransportKind;
  /** Outcome of each step that ran, in order (steps after a failure are not run). */
  steps: { step: Step; ok: boolean }[];
  failoverMs: number[];
  /** Commit latency of every update step, ms. */
  updateLatenciesMs: number[];
  /** Messages sent on the bus during the run, all nodes. */
  messages: number;
  invalidMessages: number;
  /** The cluster at the end of the run. */
  view: ClusterView;
}

export function buildSummary(input: SummaryInput): RunSummary {
  const { view } = input;
  const { manager } = agreedManager(view);
  const converged = liveNodes(view).length > 0 && evaluateConditions({ converged: true }, view).ok;
  const nodes: Record<string, SummaryRole> = {};
  for (const id of sortIds(Object.keys(view.nodes))) nodes[id] = scenarioRole(view.nodes[id]);
  return {
    scenario: input.scenario.name,
    passed: input.passed,
    seed: input.seed,
    transport: input.transport,
    steps: input.steps.map((s, i) => ({ i, kind: stepKind(s.step), ok: s.ok })),
    metrics: {
      failoverMs: input.failoverMs.map(roundMs),
      updateLatencyMs: { p50: roundMs(percentile(input.updateLatenciesMs, 50)), p99: roundMs(percentile(input.updateLatenciesMs, 99)) },
      messages: input.messages,
      invalidMessages: input.invalidMessages,
    },
    final: {
      manager: manager?.id ?? null,
      backup: manager?.backup ?? null,
      epoch: manager?.epoch ?? 0,
      seq: manager?.committedSeq ?? 0,
      converged,
      nodes,
    },
  };
}

/** Nearest-rank percentile; 0 for no samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

// ---------------------------------------------------------------------------------------

/** One period during which a node held the manager role (from the trace's role lines). */
export interface ManagerPeriod {
  node: string;
  epoch: number;
  from: number;
  to: number | null;
}

export function managerPeriods(events: TraceEventLine[]): ManagerPeriod[] {
  const periods: ManagerPeriod[] = [];
  const open = new Map<string, ManagerPeriod>();
  for (const e of events) {
    if (e.kind !== 'role') continue;
    const current = open.get(e.node);
    if (e.role === 'manager' && !current) {
      const p = { node: e.node, epoch: e.epoch, from: e.t, to: null };
      periods.push(p);
      open.set(e.node, p);
    } else if (e.role !== 'manager' && current) {
      current.to = e.t;
      open.delete(e.node);
    }
  }
  return periods;
}

/** A node's manager period also ends at the step that killed or stopped it. */
function closeAtDownSteps(periods: ManagerPeriod[], events: TraceEventLine[]): void {
  for (const e of events) {
    if (e.kind !== 'step' || !e.ok) continue;
    const down = 'kill' in e.step ? e.step.kill : 'stop' in e.step ? e.step.stop : null;
    if (down === null) continue;
    for (const p of periods) {
      if (p.to === null && p.from <= e.t && (down === 'all' || down.includes(p.node))) p.to = e.t;
    }
  }
}

/** The timeline `npm run demo` prints: steps, who was manager when, failovers, updates committed. */
export function formatTimeline(summary: RunSummary, trace: (string | TraceLine)[]): string {
  const events = trace
    .map((l) => (typeof l === 'string' ? (JSON.parse(l) as TraceLine) : l))
    .filter((l): l is TraceEventLine => l.kind !== 'header');
  const out: string[] = [];
  const ms = (t: number) => `${t.toFixed(1).padStart(9)} ms`;
  out.push(`${summary.scenario}  seed ${summary.seed}  ${summary.transport}  ${summary.passed ? 'PASSED' : 'FAILED'}`);
  out.push('');
  for (const e of events) {
    if (e.kind === 'step') {
      const kind = stepKind(e.step);
      const arg = JSON.stringify(e.step[kind as keyof typeof e.step]);
      out.push(`${ms(e.t)}  step ${String(e.i).padEnd(3)} ${kind} ${arg.length > 60 ? `${arg.slice(0, 57)}...` : arg}  ${e.ok ? 'ok' : `FAILED${e.error ? `: ${e.error}` : ''}`}`);
    } else if (e.kind === 'role') {
      out.push(`${ms(e.t)}  ${e.node} is ${e.role}${e.role === 'manager' ? ` (epoch ${e.epoch})` : ''}`);
    }
  }
  const periods = managerPeriods(events);
  closeAtDownSteps(periods, events);
  out.push('');
  out.push('managers:');
  if (periods.length === 0) out.push('  none');
  for (const p of periods) {
    out.push(`  ${p.node.padEnd(8)} epoch ${String(p.epoch).padEnd(3)} from ${p.from.toFixed(1)} ms ${p.to === null ? 'to the end' : `to ${p.to.toFixed(1)} ms`}`);
  }
  const f = summary.metrics.failoverMs;
  out.push(`failovers: ${f.length === 0 ? 'none' : f.map((x) => `${x} ms`).join(', ')}`);
  const updates = events.filter((e) => e.kind === 'step' && e.ok && 'update' in e.step && e.step.update.expectError === undefined).length;
  out.push(`updates committed: ${updates} by steps; final seq ${summary.final.seq} (system updates included), epoch ${summary.final.epoch}`);
  out.push(`final: manager ${summary.final.manager ?? 'none'}, backup ${summary.final.backup ?? 'none'}, converged ${summary.final.converged}`);
  out.push(`nodes: ${Object.entries(summary.final.nodes).map(([id, r]) => `${id} ${r}`).join(', ')}`);
  return out.join('\n');
}
