/**
 * What the dashboard page draws, as one JSON document: the statecharts (laid out by ELK),
 * the event lines (the trace's kinds, plus `status` lines in live mode) and the cluster
 * database after each committed seq. The page derives everything else (roles at a time,
 * the current state of each actor, the sequence diagram, failover markers) from these
 * lines, so it follows whatever machines and messages the cluster has.
 */
import type { AnyStateMachine } from 'xstate';
import { applyOp } from '../db/ops.js';
import { emptyDb, type ClusterDb } from '../db/types.js';
import { sortIds } from '../ids.js';
import { machines } from '../machines/index.js';
import type { CommitLine, ParsedTrace, TraceEventLine } from '../scenario/trace.js';
import type { RunSummary } from '../scenario/types.js';
import { machineGraph } from '../viz/graph.js';
import { layoutMachine } from '../viz/layout.js';
import { toSvg } from '../viz/svg.js';

/** A live node's status as the dashboard last polled it (live mode only). */
export interface StatusLine {
  kind: 'status';
  node: string;
  role: string;
  epoch: number;
  committedSeq: number;
  lastSeq: number;
  manager: string | null;
  backup: string | null;
  /** False once the node stopped answering status requests. */
  reachable: boolean;
  /** The manager's table says the node failed or left. */
  down: boolean;
  t: number;
}

export type DashboardLine = TraceEventLine | StatusLine;

export interface ChartData {
  /** The name in src/machines/index.ts (`node`, `coordinator`, …). */
  name: string;
  /** The machine's id: the first segment of its state ids. */
  machineId: string;
  /** Every state id of the chart. */
  states: string[];
  svg: string;
}

export interface DashboardData {
  mode: 'trace' | 'live' | 'report';
  title: string;
  cluster: string;
  /** Known node ids (a trace's scenario list); more appear as lines name them. */
  nodes: string[];
  heartbeatMs: number | null;
  charts: ChartData[];
  events: DashboardLine[];
  /** The cluster database after each committed seq, by seq. */
  dbs: Record<string, ClusterDb>;
  /** A run report's summary (mode `report`). */
  summary?: RunSummary;
}

/** Most databases a page carries: the latest ones win (a long trace keeps its end). */
export const MAX_DBS = 1000;

let chartsOnce: Promise<ChartData[]> | undefined;

/** Every machine of src/machines/index.ts laid out and drawn; computed once per process. */
export function machineCharts(): Promise<ChartData[]> {
  chartsOnce ??= Promise.all(
    Object.entries(machines as Record<string, AnyStateMachine>).map(async ([name, machine]) => {
      const graph = machineGraph(machine);
      return { name, machineId: graph.id, states: graph.states.map((s) => s.id), svg: toSvg(await layoutMachine(graph), { xmlDeclaration: false }) };
    }),
  );
  return chartsOnce;
}

export async function traceData(trace: ParsedTrace, opts: { mode?: 'trace' | 'report'; summary?: RunSummary } = {}): Promise<DashboardData> {
  const { scenario } = trace.header;
  const adds = trace.events.flatMap((e) => (e.kind === 'step' && 'add' in e.step ? [e.step.add.id] : []));
  return {
    mode: opts.mode ?? 'trace',
    title: scenario.name,
    cluster: scenario.cluster.name,
    nodes: sortIds(new Set([...scenario.cluster.nodes.map((n) => n.id), ...adds])),
    heartbeatMs: scenario.cluster.heartbeatMs ?? 100,
    charts: await machineCharts(),
    events: trace.events,
    dbs: dbsFromCommits(scenario.cluster.name, trace.events),
    ...(opts.summary ? { summary: opts.summary } : {}),
  };
}

/**
 * The database after each seq, rebuilt from the commit lines with the coordinator's own
 * `applyOp` (every member applies the same prefix, so one chain serves every node). It stops
 * at the first gap, which only a trace that does not start at seq 1 has.
 */
export function dbsFromCommits(cluster: string, events: TraceEventLine[]): Record<string, ClusterDb> {
  const bySeq = new Map<number, CommitLine>();
  for (const e of events) if (e.kind === 'commit' && !bySeq.has(e.seq)) bySeq.set(e.seq, e);
  const out: Record<string, ClusterDb> = {};
  let db = emptyDb(cluster);
  const seqs = [...bySeq.keys()].sort((a, b) => a - b);
  for (const [i, seq] of seqs.entries()) {
    if (seq !== i + 1) break;
    const c = bySeq.get(seq)!;
    try {
      db = applyOp(db, c.op, { origin: c.origin, seq, epoch: c.epoch }).db;
    } catch {
      break;
    }
    out[seq] = db;
  }
  const keep = Object.keys(out).map(Number).sort((a, b) => a - b).slice(-MAX_DBS);
  return Object.fromEntries(keep.map((s) => [String(s), out[s]!]));
}
