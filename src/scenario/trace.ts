/**
 * Traces: JSON lines. The first line is the header (glup version, the whole parsed
 * scenario, the seed and the behaviour-changing overrides); then one canonical line per
 * step outcome, role change, actor transition, protocol message sent or delivered, and
 * update committed on a node, in the order they happened.
 *
 * Canonical means: the fields of a line in a fixed order, nested objects with sorted keys,
 * no file paths, no wall-clock stamps, no XState session ids. Two runs of the same
 * scenario and seed on the memory transport must give byte-identical lines; `glup replay`
 * compares them line by line.
 */
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { InspectionEvent, Role } from '../actors/types.js';
import type { Op, UpdateRecord } from '../db/types.js';
import { validateScenarioValue, ScenarioError } from './parse.js';
import type { PersistenceKind, Scenario, Step, TransportKind } from './types.js';

export interface TraceHeader {
  kind: 'header';
  glup: string;
  scenario: Scenario;
  seed: number;
  /** What the command line set; null where the scenario's own value applies. */
  overrides: { transport: TransportKind; persistence: PersistenceKind | null; seed: number | null };
}

export interface StepLine {
  kind: 'step';
  i: number;
  step: Step;
  ok: boolean;
  t: number;
  error?: string;
}

/** A node's role as the runtime reports it (node.on('role')), with its epoch at that moment. */
export interface RoleLine {
  kind: 'role';
  node: string;
  role: Role;
  epoch: number;
  t: number;
}

/** One inspection event; `kind` is the event's type (transition, event or action). */
export interface InspectionLine {
  kind: 'transition' | 'event' | 'action';
  node: string;
  actor: string;
  event: string;
  from?: unknown;
  to?: unknown;
  t: number;
}

/** A protocol message a node sent or had delivered (the bus's tap; actors/messageEvents.ts). */
export interface MessageLine {
  kind: 'message';
  node: string;
  dir: 'send' | 'receive';
  msgType: string;
  from: string;
  to: string | null;
  subject: string;
  epoch: number;
  summary: Record<string, unknown>;
  t: number;
}

/** An update committed on a node (node.on('update')): its GLUP log entry, without patches or wall time. */
export interface CommitLine {
  kind: 'commit';
  node: string;
  seq: number;
  epoch: number;
  origin: string;
  op: Op;
  t: number;
}

export type TraceEventLine = StepLine | RoleLine | InspectionLine | MessageLine | CommitLine;
export type TraceLine = TraceHeader | TraceEventLine;

const FIELD_ORDER: Record<TraceLine['kind'], readonly string[]> = {
  header: ['kind', 'glup', 'scenario', 'seed', 'overrides'],
  step: ['kind', 'i', 'step', 'ok', 't', 'error'],
  role: ['kind', 'node', 'role', 'epoch', 't'],
  transition: ['kind', 'node', 'actor', 'event', 'from', 'to', 't'],
  event: ['kind', 'node', 'actor', 'event', 'from', 'to', 't'],
  action: ['kind', 'node', 'actor', 'event', 'from', 'to', 't'],
  message: ['kind', 'node', 'dir', 'msgType', 'from', 'to', 'subject', 'epoch', 'summary', 't'],
  commit: ['kind', 'node', 'seq', 'epoch', 'origin', 'op', 't'],
};

/** JSON with object keys sorted at every level; undefined fields are left out. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : stableStringify(v))).join(',')}]`;
  const keys = Object.keys(value).sort();
  const parts: string[] = [];
  for (const k of keys) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined) parts.push(`${JSON.stringify(k)}:${stableStringify(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * The one canonical text of a line: its fields in FIELD_ORDER, nested values key-sorted.
 * Fields a line of its kind does not have follow, sorted, so an edited line never reads as
 * the recorded one (replay would call it identical otherwise).
 */
export function canonicalLine(line: TraceLine): string {
  const order = FIELD_ORDER[line.kind];
  if (!Object.hasOwn(FIELD_ORDER, line.kind)) throw new Error(`unknown trace line kind ${JSON.stringify((line as { kind: unknown }).kind)}`);
  const record = line as unknown as Record<string, unknown>;
  const extra = Object.keys(record).filter((k) => !order.includes(k)).sort();
  const parts: string[] = [];
  for (const k of [...order, ...extra]) {
    const v = record[k];
    if (v !== undefined) parts.push(`${JSON.stringify(k)}:${stableStringify(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/** The glup version written in headers (from package.json, read once). */
export const GLUP_VERSION: string = (() => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
})();

export function inspectionLine(e: InspectionEvent): InspectionLine | MessageLine {
  if (e.type === 'message') {
    const { node, dir, msgType, from, to, subject, epoch, summary, t } = e;
    return { kind: 'message', node, dir, msgType, from, to, subject, epoch, summary, t };
  }
  const line: InspectionLine = { kind: e.type, node: e.node, actor: e.actor, event: e.event, t: e.t };
  if (e.from !== undefined) line.from = e.from;
  if (e.to !== undefined) line.to = e.to;
  return line;
}

export function commitLine(node: string, r: UpdateRecord, t: number): CommitLine {
  return { kind: 'commit', node, seq: r.seq, epoch: r.epoch, origin: r.origin, op: r.op, t };
}

/** Collects a run's canonical lines in memory (runs are bounded; the CLI writes the file). */
export class TraceRecorder {
  readonly lines: string[] = [];

  header(h: Omit<TraceHeader, 'kind' | 'glup'>): void {
    if (this.lines.length > 0) throw new Error('trace header must be the first line');
    this.lines.push(canonicalLine({ kind: 'header', glup: GLUP_VERSION, ...h }));
  }

  step(i: number, step: Step, ok: boolean, t: number, error?: string): void {
    this.push({ kind: 'step', i, step, ok, t, ...(error !== undefined ? { error } : {}) });
  }

  role(node: string, role: Role, epoch: number, t: number): void {
    this.push({ kind: 'role', node, role, epoch, t });
  }

  inspection(e: InspectionEvent): void {
    this.push(inspectionLine(e));
  }

  push(line: TraceEventLine): void {
    if (this.lines.length === 0) throw new Error('trace header must be the first line');
    this.lines.push(canonicalLine(line));
  }

  toString(): string {
    return this.lines.map((l) => `${l}\n`).join('');
  }
}

export async function writeTraceFile(file: string, lines: string[]): Promise<void> {
  await writeFile(file, lines.map((l) => `${l}\n`).join(''));
}

export interface ParsedTrace {
  header: TraceHeader;
  /** Canonical text of every line after the header. */
  lines: string[];
  events: TraceEventLine[];
}

/** Reads a trace; a broken one is a ScenarioError naming the file and line (exit 2). */
export function parseTrace(text: string, source: string): ParsedTrace {
  const rows: { line: number; value: unknown }[] = [];
  text.split('\n').forEach((l, i) => {
    if (l.trim() === '') return;
    try {
      rows.push({ line: i + 1, value: JSON.parse(l) });
    } catch {
      throw new ScenarioError(source, i + 1, 1, 'not a JSON line');
    }
  });
  const first = rows[0]?.value as Partial<TraceHeader> | undefined;
  if (!first || first.kind !== 'header') throw new ScenarioError(source, 1, 1, 'the first line must be the trace header {"kind":"header", …}');
  const scenario = validateScenarioValue(first.scenario, `${source}:1 (header scenario)`);
  if (typeof first.seed !== 'number' || !first.overrides || typeof first.overrides !== 'object') {
    throw new ScenarioError(source, 1, 1, 'the trace header needs seed and overrides');
  }
  const o = first.overrides;
  const header: TraceHeader = {
    kind: 'header',
    glup: String(first.glup ?? ''),
    scenario,
    seed: first.seed,
    overrides: { transport: o.transport === 'nats' ? 'nats' : 'memory', persistence: o.persistence ?? null, seed: o.seed ?? null },
  };
  const events = rows.slice(1).map(({ line, value }) => {
    const kind = (value as { kind?: unknown } | null)?.kind;
    if (typeof kind !== 'string' || kind === 'header' || !Object.hasOwn(FIELD_ORDER, kind)) {
      throw new ScenarioError(source, line, 1, `unknown trace line kind ${JSON.stringify(kind)}`);
    }
    return value as TraceEventLine;
  });
  return { header, events, lines: events.map(canonicalLine) };
}

export async function readTraceFile(file: string): Promise<ParsedTrace> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(file, 0, 0, `cannot read the trace (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseTrace(text, file);
}

export interface TraceComparison {
  identical: boolean;
  /** Event lines (after the header) of the expected trace. */
  events: number;
  divergence: { index: number; expected: TraceEventLine | null; actual: TraceEventLine | null } | null;
}

/**
 * Compares the event lines of two traces (recorded `a`, replayed `b`); headers are not
 * compared (the replay was started from a's header). `index` counts event lines from 0;
 * a side that ended early shows null.
 */
export function compareTraces(a: string[] | ParsedTrace, b: string[] | ParsedTrace): TraceComparison {
  const expected = eventLines(a);
  const actual = eventLines(b);
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    if (expected[i] !== actual[i]) {
      return {
        identical: false,
        events: expected.length,
        divergence: { index: i, expected: parseLine(expected[i]), actual: parseLine(actual[i]) },
      };
    }
  }
  return { identical: true, events: expected.length, divergence: null };
}

/** Accepts raw lines (with or without a header) or a parsed trace; returns canonical event lines. */
function eventLines(t: string[] | ParsedTrace): string[] {
  if (!Array.isArray(t)) return t.lines;
  return t
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as TraceLine)
    .filter((l) => l.kind !== 'header')
    .map(canonicalLine);
}

function parseLine(l: string | undefined): TraceEventLine | null {
  return l === undefined ? null : (JSON.parse(l) as TraceEventLine);
}
