/**
 * Validation of a scenario (SPEC section 10) as a plain value, by hand so that every
 * complaint carries the path of the offending node: parse.ts turns that path into a file
 * line. The result is normalized; validating a normalized scenario returns it unchanged
 * (the trace header is checked by the same code on replay).
 */
import { GLUP_ERROR_CODES, type GlupErrorCode } from '../errors.js';
import { isClusterName, isName } from '../ids.js';
import type { DataOp } from '../db/types.js';
import {
  CONDITION_KEYS,
  STEP_KINDS,
  type ClusterSpec,
  type Conditions,
  type FaultsSpec,
  type NodeSelector,
  type NodeSpec,
  type Scenario,
  type ScenarioRole,
  type Step,
  type StepKind,
} from './types.js';
import { actorTypes, askStep, tellStep } from './schemaActors.js';

export type SchemaPath = (string | number)[];

/** One thing wrong, at a path of the raw value; `at: 'key'` points at a mapping key itself. */
export class SchemaIssue extends Error {
  constructor(
    readonly path: SchemaPath,
    message: string,
    readonly at: 'key' | 'value' = 'value',
  ) {
    super(message);
    this.name = 'SchemaIssue';
  }
}

const SETTING_KEYS = [
  'heartbeatMs',
  'missedHeartbeats',
  'discoveryMs',
  'retransmitMs',
  'updateTimeoutMs',
  'heartbeat',
  'glup',
  'quorum',
  'snapshotEvery',
  'maxUpdateBytes',
] as const;
const CLUSTER_KEYS = ['name', 'nodes', 'persistence', ...SETTING_KEYS, 'actors'] as const;
const TOP_KEYS = ['name', 'seed', 'description', 'cluster', 'steps'] as const;
const DATA_OPS = ['set', 'delete', 'merge', 'cas', 'batch'] as const;
const ROLES: readonly ScenarioRole[] = ['manager', 'backup', 'client', 'joining', 'isolated', 'down'];
const MAX_NODE_COUNT = 1000;
/** waitFor without timeoutMs: generous, and at least 30 heartbeats. */
const DEFAULT_WAIT_FOR_MS = 10_000;

export function fail(path: SchemaPath, message: string, at: 'key' | 'value' = 'value'): never {
  throw new SchemaIssue(path, message, at);
}

export function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
}

function label(path: SchemaPath): string {
  let s = '';
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s ? `.${seg}` : seg;
  return s || 'scenario';
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

function expectedOneOf(word: string, allowed: readonly string[]): string {
  const near = allowed.filter((a) => editDistance(word, a) <= Math.max(1, Math.floor(a.length / 3)));
  const hint = near.length > 0 ? `; did you mean "${near[0]}"?` : '';
  return `(expected one of ${allowed.join(', ')})${hint}`;
}

export function mapping(v: unknown, path: SchemaPath, what: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(path, `${what} must be a mapping, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

export function list(v: unknown, path: SchemaPath, what: string): unknown[] {
  if (!Array.isArray(v)) fail(path, `${what} must be a list, got ${describe(v)}`);
  return v;
}

/** Rejects keys outside `allowed` and reports missing `required` ones. */
export function checkKeys(
  o: Record<string, unknown>,
  path: SchemaPath,
  what: string,
  allowed: readonly string[],
  required: readonly string[] = [],
): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) fail([...path, k], `unknown key "${k}" in ${what} ${expectedOneOf(k, allowed)}`, 'key');
  }
  for (const k of required) {
    if (!(k in o)) fail(path, `${what} is missing "${k}"`);
  }
}

export function str(v: unknown, path: SchemaPath, what: string): string {
  if (typeof v !== 'string') fail(path, `${what} must be a string, got ${describe(v)}`);
  return v;
}

export function name(v: unknown, path: SchemaPath, what: string): string {
  const s = str(v, path, what);
  if (!isName(s)) fail(path, `${what} ${JSON.stringify(s)} is not a valid name ([A-Za-z0-9_-], 1 to 64 characters)`);
  return s;
}

export function int(v: unknown, path: SchemaPath, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(path, `${what} must be an integer, got ${describe(v)}`);
  if (v < min || v > max) {
    fail(path, `${what} must be ${max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`}, got ${v}`);
  }
  return v;
}

export function num(v: unknown, path: SchemaPath, what: string, min: number, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, `${what} must be a number, got ${describe(v)}`);
  if (v < min || v > max) fail(path, `${what} must be ${max === Infinity ? `at least ${min}` : `between ${min} and ${max}`}, got ${v}`);
  return v;
}

export function oneOf<const T extends string>(v: unknown, path: SchemaPath, what: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    fail(path, `${what} must be one of ${allowed.join(', ')}, got ${describe(v)}`);
  }
  return v as T;
}

/** Values end up in updates, messages and the JSON trace: they must survive JSON. */
export function json(v: unknown, path: SchemaPath, what: string): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail(path, `${what} must be JSON, got ${v}`);
    return v;
  }
  if (Array.isArray(v)) return v.map((x, i) => json(x, [...path, i], what));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = json(x, [...path, k], what);
    return out;
  }
  fail(path, `${what} must be JSON, got ${describe(v)}`);
}

export function errorCode(v: unknown, path: SchemaPath): GlupErrorCode {
  return oneOf(v, path, 'expectError', GLUP_ERROR_CODES);
}

/** Ids known at a point of the script: the initial nodes plus those of earlier `add` steps. */
export class KnownIds {
  private readonly ids: string[];
  constructor(initial: string[]) {
    this.ids = [...initial];
  }
  add(id: string): void {
    this.ids.push(id);
  }
  has(id: string): boolean {
    return this.ids.includes(id);
  }
  check(v: unknown, path: SchemaPath, what: string, at: 'key' | 'value' = 'value'): string {
    const id = str(v, path, what);
    if (!this.has(id)) fail(path, `unknown node id "${id}" in ${what} (known here: ${this.ids.join(', ')})`, at);
    return id;
  }
  /** `process@node` with a known node. */
  member(v: unknown, path: SchemaPath, what: string): string {
    const s = str(v, path, what);
    const at = s.indexOf('@');
    if (at < 0 || !isName(s.slice(0, at)) || !isName(s.slice(at + 1))) {
      fail(path, `${what} ${JSON.stringify(s)} must be a member id "<process>@<node>"`);
    }
    this.check(s.slice(at + 1), path, `${what} ${JSON.stringify(s)}`);
    return s;
  }
}

// ---------------------------------------------------------------------------------------

export function validateScenario(raw: unknown): Scenario {
  const top = mapping(raw, [], 'a scenario');
  checkKeys(top, [], 'the scenario', TOP_KEYS);
  if (!('name' in top)) fail([], 'scenario is missing "name"');
  const scenarioName = str(top.name, ['name'], 'name');
  if (scenarioName.trim() === '') fail(['name'], 'name must not be empty');
  const seed = 'seed' in top ? int(top.seed, ['seed'], 'seed', 0) : 1;
  if (!('cluster' in top)) fail([], 'scenario is missing "cluster"');
  const cluster = validateCluster(top.cluster, scenarioName);
  if (!('steps' in top)) fail([], 'scenario is missing "steps"');
  const rawSteps = list(top.steps, ['steps'], 'steps');
  if (rawSteps.length === 0) fail(['steps'], 'steps must not be empty');
  const known = new KnownIds(cluster.nodes.map((n) => n.id));
  const steps = rawSteps.map((s, i) => validateStep(s, ['steps', i], known, cluster));
  // Key order is fixed here so the trace header does not depend on the file's key order.
  const description = top.description !== undefined ? { description: str(top.description, ['description'], 'description') } : {};
  return { name: scenarioName, seed, ...description, cluster, steps };
}

function validateCluster(raw: unknown, scenarioName: string): ClusterSpec {
  const p: SchemaPath = ['cluster'];
  const c = mapping(raw, p, 'cluster');
  checkKeys(c, p, 'cluster', CLUSTER_KEYS, ['nodes']);
  let clusterName = scenarioName;
  if ('name' in c) {
    clusterName = str(c.name, [...p, 'name'], 'cluster.name');
    if (!isClusterName(clusterName)) {
      fail([...p, 'name'], `cluster.name ${JSON.stringify(clusterName)} is not a valid cluster name ([a-z0-9][a-z0-9-]{0,62})`);
    }
  } else if (!isClusterName(clusterName)) {
    fail(['name'], `name ${JSON.stringify(clusterName)} is not a valid cluster name ([a-z0-9][a-z0-9-]{0,62}); set cluster.name`);
  }
  const nodes = validateNodes(c.nodes, [...p, 'nodes']);
  const spec: ClusterSpec = {
    name: clusterName,
    nodes,
    persistence: 'persistence' in c ? oneOf(c.persistence, [...p, 'persistence'], 'cluster.persistence', ['memory', 'file', 'jetstream']) : 'memory',
  };
  const at = (k: string): SchemaPath => [...p, k];
  const positive = (k: 'heartbeatMs' | 'discoveryMs' | 'retransmitMs' | 'updateTimeoutMs' | 'snapshotEvery' | 'maxUpdateBytes') => {
    if (k in c) spec[k] = int(c[k], at(k), `cluster.${k}`, 1);
  };
  positive('heartbeatMs');
  if ('missedHeartbeats' in c) spec.missedHeartbeats = int(c.missedHeartbeats, at('missedHeartbeats'), 'cluster.missedHeartbeats', 2);
  positive('discoveryMs');
  positive('retransmitMs');
  positive('updateTimeoutMs');
  if ('heartbeat' in c) spec.heartbeat = oneOf(c.heartbeat, at('heartbeat'), 'cluster.heartbeat', ['multicast', 'unicast']);
  if ('glup' in c) spec.glup = oneOf(c.glup, at('glup'), 'cluster.glup', ['multicast', 'unicast']);
  if ('quorum' in c) spec.quorum = oneOf(c.quorum, at('quorum'), 'cluster.quorum', ['majority', 'none']);
  positive('snapshotEvery');
  positive('maxUpdateBytes');
  if ('actors' in c) spec.actors = actorTypes(c.actors, at('actors'));
  return spec;
}

function validateNodes(raw: unknown, p: SchemaPath): NodeSpec[] {
  let nodes: NodeSpec[];
  if (typeof raw === 'number') {
    const n = int(raw, p, 'cluster.nodes', 1, MAX_NODE_COUNT);
    nodes = Array.from({ length: n }, (_, i) => ({ id: `n${i + 1}`, priority: 0, qualified: true }));
  } else {
    const items = list(raw, p, 'cluster.nodes (a count, a list of ids or a list of {id, priority, qualified})');
    if (items.length === 0) fail(p, 'cluster.nodes must not be empty');
    nodes = items.map((item, i) => nodeSpec(item, [...p, i], 'cluster.nodes'));
  }
  const seen = new Set<string>();
  nodes.forEach((n, i) => {
    if (seen.has(n.id)) fail(typeof raw === 'number' ? p : [...p, i], `node id "${n.id}" appears twice in cluster.nodes`);
    seen.add(n.id);
  });
  return nodes;
}

function nodeSpec(raw: unknown, p: SchemaPath, what: string): NodeSpec {
  if (typeof raw === 'string') return { id: name(raw, p, `${what} id`), priority: 0, qualified: true };
  const o = mapping(raw, p, `${what} entry`);
  checkKeys(o, p, `${what} entry`, ['id', 'priority', 'qualified'], ['id']);
  const spec: NodeSpec = { id: name(o.id, [...p, 'id'], 'node id'), priority: 0, qualified: true };
  if ('priority' in o) spec.priority = int(o.priority, [...p, 'priority'], 'priority', -1e9, 1e9);
  if ('qualified' in o) {
    if (typeof o.qualified !== 'boolean') fail([...p, 'qualified'], `qualified must be true or false, got ${describe(o.qualified)}`);
    spec.qualified = o.qualified;
  }
  return spec;
}

// ---------------------------------------------------------------------------------------

function validateStep(raw: unknown, p: SchemaPath, known: KnownIds, cluster: ClusterSpec): Step {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    fail(p, `step must be a mapping with one key such as "kill: n1", got ${describe(raw)}`);
  }
  const keys = Object.keys(raw);
  if (keys.length !== 1) {
    fail(p, keys.length === 0 ? 'step is empty (it takes exactly one key)' : `step has ${keys.length} keys (${keys.join(', ')}); each step takes exactly one`);
  }
  const kind = keys[0]!;
  if (!(STEP_KINDS as readonly string[]).includes(kind)) fail([...p, kind], `unknown step kind "${kind}" ${expectedOneOf(kind, STEP_KINDS)}`, 'key');
  const v = (raw as Record<string, unknown>)[kind];
  const vp: SchemaPath = [...p, kind];
  switch (kind as StepKind) {
    case 'start':
      return { start: selector(v, vp, 'start', known) };
    case 'kill':
      return { kill: selector(v, vp, 'kill', known) };
    case 'stop':
      return { stop: selector(v, vp, 'stop', known) };
    case 'restart':
      return { restart: selector(v, vp, 'restart', known) };
    case 'add': {
      const spec = nodeSpec(mapping(v, vp, 'add'), vp, 'add');
      if (known.has(spec.id)) fail([...vp, 'id'], `add: node id "${spec.id}" is already in the cluster`);
      known.add(spec.id);
      return { add: spec };
    }
    case 'wait':
      return { wait: num(v, vp, 'wait (milliseconds)', 0) };
    case 'waitFor': {
      const o = mapping(v, vp, 'waitFor');
      checkKeys(o, vp, 'waitFor', [...CONDITION_KEYS, 'timeoutMs']);
      const timeoutMs =
        'timeoutMs' in o
          ? num(o.timeoutMs, [...vp, 'timeoutMs'], 'waitFor.timeoutMs', 0, Number.MAX_SAFE_INTEGER)
          : Math.max(DEFAULT_WAIT_FOR_MS, 30 * (cluster.heartbeatMs ?? 1000));
      const { timeoutMs: _t, ...conds } = o;
      return { waitFor: { ...conditions(conds, vp, 'waitFor', known), timeoutMs } };
    }
    case 'expect': {
      const o = mapping(v, vp, 'expect');
      checkKeys(o, vp, 'expect', CONDITION_KEYS);
      return { expect: conditions(o, vp, 'expect', known) };
    }
    case 'update':
      return { update: updateStep(v, vp, known) };
    case 'join': {
      const o = mapping(v, vp, 'join');
      checkKeys(o, vp, 'join', ['node', 'process', 'group', 'expectError'], ['node', 'process', 'group']);
      const step: { node: string; process: string; group: string; expectError?: GlupErrorCode } = {
        node: known.check(o.node, [...vp, 'node'], 'join.node'),
        process: name(o.process, [...vp, 'process'], 'join.process'),
        group: name(o.group, [...vp, 'group'], 'join.group'),
      };
      if ('expectError' in o) step.expectError = errorCode(o.expectError, [...vp, 'expectError']);
      return { join: step };
    }
    case 'leave': {
      const o = mapping(v, vp, 'leave');
      checkKeys(o, vp, 'leave', ['node', 'process', 'group'], ['node', 'process', 'group']);
      return {
        leave: {
          node: known.check(o.node, [...vp, 'node'], 'leave.node'),
          process: name(o.process, [...vp, 'process'], 'leave.process'),
          group: name(o.group, [...vp, 'group'], 'leave.group'),
        },
      };
    }
    case 'send': {
      const o = mapping(v, vp, 'send');
      checkKeys(o, vp, 'send', ['node', 'group', 'payload', 'mode', 'key'], ['node', 'group', 'payload']);
      const step: { node: string; group: string; payload: unknown; mode?: 'all' | 'one' | 'ordered'; key?: string } = {
        node: known.check(o.node, [...vp, 'node'], 'send.node'),
        group: name(o.group, [...vp, 'group'], 'send.group'),
        payload: json(o.payload, [...vp, 'payload'], 'send.payload'),
      };
      if ('mode' in o) step.mode = oneOf(o.mode, [...vp, 'mode'], 'send.mode', ['all', 'one', 'ordered']);
      if ('key' in o) step.key = str(o.key, [...vp, 'key'], 'send.key');
      return { send: step };
    }
    case 'switchover': {
      const o = mapping(v, vp, 'switchover');
      checkKeys(o, vp, 'switchover', ['to'], ['to']);
      return { switchover: { to: known.check(o.to, [...vp, 'to'], 'switchover.to') } };
    }
    case 'partition': {
      const sides = list(v, vp, 'partition (a list of lists of ids)');
      if (sides.length === 0) fail(vp, 'partition needs at least one side');
      const placed = new Set<string>();
      return {
        partition: sides.map((side, i) => {
          const ids = list(side, [...vp, i], 'each side of partition');
          if (ids.length === 0) fail([...vp, i], 'a side of partition must not be empty');
          return ids.map((id, j) => {
            const checked = known.check(id, [...vp, i, j], 'partition');
            if (placed.has(checked)) fail([...vp, i, j], `node "${checked}" is on two sides of the partition`);
            placed.add(checked);
            return checked;
          });
        }),
      };
    }
    case 'heal':
      if (v !== true) fail(vp, `heal takes only true, got ${describe(v)}`);
      return { heal: true };
    case 'faults':
      return { faults: faults(v, vp, known) };
    case 'ask':
      return { ask: askStep(v, vp, known) };
    case 'tell':
      return { tell: tellStep(v, vp, known) };
  }
}

function selector(v: unknown, p: SchemaPath, kind: string, known: KnownIds): NodeSelector {
  if (v === 'all') return 'all';
  if (typeof v === 'string') return [known.check(v, p, kind)];
  if (Array.isArray(v)) {
    if (v.length === 0) fail(p, `${kind} needs at least one node id`);
    const ids = v.map((id, i) => known.check(id, [...p, i], kind));
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup !== undefined) fail(p, `${kind} names "${dup}" twice`);
    return ids;
  }
  fail(p, `${kind} takes all, a node id or a list of ids, got ${describe(v)}`);
}

function path(v: unknown, p: SchemaPath, what: string): string | string[] {
  if (typeof v === 'string') {
    if (v === '' || v.split('.').some((s) => s === '')) fail(p, `${what} ${JSON.stringify(v)} has an empty segment`);
    return v;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) fail(p, `${what} must not be empty`);
    return v.map((s, i) => str(s, [...p, i], `${what} segment`));
  }
  fail(p, `${what} must be a dotted string or a list of segments, got ${describe(v)}`);
}

function dataOp(o: Record<string, unknown>, p: SchemaPath, kind: (typeof DATA_OPS)[number], what: string): DataOp {
  const v = o[kind];
  const vp: SchemaPath = [...p, kind];
  const body = mapping(v, vp, `${what}.${kind}`);
  const w = `${what}.${kind}`;
  switch (kind) {
    case 'set': {
      checkKeys(body, vp, w, ['path', 'value', 'ephemeral'], ['path', 'value']);
      const set: { path: string | string[]; value: unknown; ephemeral?: boolean } = {
        path: path(body.path, [...vp, 'path'], `${w}.path`),
        value: json(body.value, [...vp, 'value'], `${w}.value`),
      };
      if ('ephemeral' in body) {
        if (typeof body.ephemeral !== 'boolean') fail([...vp, 'ephemeral'], `${w}.ephemeral must be true or false, got ${describe(body.ephemeral)}`);
        set.ephemeral = body.ephemeral;
      }
      return { set };
    }
    case 'delete':
      checkKeys(body, vp, w, ['path'], ['path']);
      return { delete: { path: path(body.path, [...vp, 'path'], `${w}.path`) } };
    case 'merge':
      checkKeys(body, vp, w, ['path', 'value'], ['path', 'value']);
      return {
        merge: {
          path: path(body.path, [...vp, 'path'], `${w}.path`),
          value: json(mapping(body.value, [...vp, 'value'], `${w}.value`), [...vp, 'value'], `${w}.value`) as Record<string, unknown>,
        },
      };
    case 'cas':
      checkKeys(body, vp, w, ['path', 'expect', 'value'], ['path', 'expect', 'value']);
      return {
        cas: {
          path: path(body.path, [...vp, 'path'], `${w}.path`),
          expect: json(body.expect, [...vp, 'expect'], `${w}.expect`),
          value: json(body.value, [...vp, 'value'], `${w}.value`),
        },
      };
    case 'batch': {
      checkKeys(body, vp, w, ['ops'], ['ops']);
      const ops = list(body.ops, [...vp, 'ops'], `${w}.ops`);
      return {
        batch: {
          ops: ops.map((op, i) => {
            const op_ = mapping(op, [...vp, 'ops', i], `${w}.ops entry`);
            return dataOp(op_, [...vp, 'ops', i], singleOpKey(op_, [...vp, 'ops', i], `${w}.ops entry`), `${w}.ops[${i}]`);
          }),
        },
      };
    }
  }
}

function singleOpKey(o: Record<string, unknown>, p: SchemaPath, what: string): (typeof DATA_OPS)[number] {
  const keys = Object.keys(o);
  for (const k of keys) {
    if (!(DATA_OPS as readonly string[]).includes(k)) fail([...p, k], `unknown operation "${k}" in ${what} ${expectedOneOf(k, DATA_OPS)}`, 'key');
  }
  if (keys.length !== 1) fail(p, `${what} needs exactly one of ${DATA_OPS.join(', ')}${keys.length ? `, got ${keys.join(', ')}` : ''}`);
  return keys[0] as (typeof DATA_OPS)[number];
}

function updateStep(v: unknown, p: SchemaPath, known: KnownIds): DataOp & { node: string; expectError?: GlupErrorCode } {
  const o = mapping(v, p, 'update');
  checkKeys(o, p, 'update', ['node', ...DATA_OPS, 'expectError'], ['node']);
  const node = known.check(o.node, [...p, 'node'], 'update.node');
  const ops = Object.keys(o).filter((k) => (DATA_OPS as readonly string[]).includes(k));
  if (ops.length === 0) fail(p, `update needs one of ${DATA_OPS.join(', ')}`);
  if (ops.length > 1) fail([...p, ops[1]!], `update takes one operation, got ${ops.join(' and ')} (use batch)`, 'key');
  const op = dataOp(o, p, ops[0] as (typeof DATA_OPS)[number], 'update');
  const step = { node, ...op } as DataOp & { node: string; expectError?: GlupErrorCode };
  if ('expectError' in o) step.expectError = errorCode(o.expectError, [...p, 'expectError']);
  return step;
}

function faults(v: unknown, p: SchemaPath, known: KnownIds): FaultsSpec | 'none' {
  if (v === 'none') return 'none';
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(p, `faults takes none or a mapping, got ${describe(v)}`);
  const o = v as Record<string, unknown>;
  checkKeys(o, p, 'faults', ['drop', 'duplicate', 'delayMs', 'between']);
  const spec: FaultsSpec = {};
  if ('drop' in o) spec.drop = num(o.drop, [...p, 'drop'], 'faults.drop', 0, 1);
  if ('duplicate' in o) spec.duplicate = num(o.duplicate, [...p, 'duplicate'], 'faults.duplicate', 0, 1);
  if ('delayMs' in o) {
    const d = list(o.delayMs, [...p, 'delayMs'], 'faults.delayMs ([min, max])');
    if (d.length !== 2) fail([...p, 'delayMs'], `faults.delayMs must be [min, max], got ${d.length} values`);
    const min = num(d[0], [...p, 'delayMs', 0], 'faults.delayMs min', 0);
    const max = num(d[1], [...p, 'delayMs', 1], 'faults.delayMs max', 0);
    if (min > max) fail([...p, 'delayMs'], `faults.delayMs min ${min} is above max ${max}`);
    spec.delayMs = [min, max];
  }
  if ('between' in o) {
    const pairs = list(o.between, [...p, 'between'], 'faults.between ([[a, b], …])');
    spec.between = pairs.map((pair, i) => {
      const ab = list(pair, [...p, 'between', i], 'each faults.between entry');
      if (ab.length !== 2) fail([...p, 'between', i], `each faults.between entry must be a pair [a, b], got ${ab.length} ids`);
      return [known.check(ab[0], [...p, 'between', i, 0], 'faults.between'), known.check(ab[1], [...p, 'between', i, 1], 'faults.between')];
    });
  }
  return spec;
}

// ---------------------------------------------------------------------------------------

function conditions(o: Record<string, unknown>, p: SchemaPath, what: string, known: KnownIds): Conditions {
  if (Object.keys(o).length === 0) fail(p, `${what} needs at least one condition (${CONDITION_KEYS.join(', ')})`);
  const c: Conditions = {};
  const at = (k: string): SchemaPath => [...p, k];
  // Built in CONDITION_KEYS order so the normalized form does not depend on the file's key order.
  for (const key of CONDITION_KEYS) {
    if (!(key in o)) continue;
    const v = o[key];
    const w = `${what}.${key}`;
    switch (key) {
      case 'manager':
        c.manager = v === 'any' || v === 'none' ? v : known.check(v, at(key), `${w} (an id, any or none)`);
        break;
      case 'backup':
        c.backup = v === 'none' ? v : known.check(v, at(key), `${w} (an id or none)`);
        break;
      case 'epoch':
      case 'seq':
      case 'members':
        c[key] = int(v, at(key), w, 0);
        break;
      case 'roles': {
        const r = mapping(v, at(key), w);
        if (Object.keys(r).length === 0) fail(at(key), `${w} must name at least one node`);
        c.roles = {};
        for (const [id, role] of Object.entries(r)) {
          known.check(id, [...at(key), id], w, 'key');
          c.roles[id] = oneOf(role, [...at(key), id], `${w}.${id}`, ROLES);
        }
        break;
      }
      case 'converged':
        if (v !== true) fail(at(key), `${w} takes only true, got ${describe(v)}`);
        c.converged = true;
        break;
      case 'db': {
        const d = mapping(v, at(key), `${w} (dotted path: value)`);
        if (Object.keys(d).length === 0) fail(at(key), `${w} must name at least one path`);
        c.db = {};
        for (const [k, x] of Object.entries(d)) {
          path(k, [...at(key), k], `${w} path`);
          c.db[k] = json(x, [...at(key), k], `${w}.${k}`);
        }
        break;
      }
      case 'group': {
        const g = mapping(v, at(key), w);
        checkKeys(g, at(key), w, ['name', 'members'], ['name', 'members']);
        c.group = {
          name: name(g.name, [...at(key), 'name'], `${w}.name`),
          members: list(g.members, [...at(key), 'members'], `${w}.members`).map((m, i) =>
            known.member(m, [...at(key), 'members', i], `${w}.members`),
          ),
        };
        break;
      }
      case 'delivered': {
        const d = mapping(v, at(key), w);
        checkKeys(d, at(key), w, ['group', 'member', 'count'], ['group', 'member', 'count']);
        c.delivered = {
          group: name(d.group, [...at(key), 'group'], `${w}.group`),
          member: known.member(d.member, [...at(key), 'member'], `${w}.member`),
          count: int(d.count, [...at(key), 'count'], `${w}.count`, 0),
        };
        break;
      }
      case 'failoverMs': {
        const f = mapping(v, at(key), w);
        checkKeys(f, at(key), w, ['max'], ['max']);
        c.failoverMs = { max: num(f.max, [...at(key), 'max'], `${w}.max`, 0) };
        break;
      }
      case 'logLength': {
        const l = mapping(v, at(key), w);
        checkKeys(l, at(key), w, ['node', 'min', 'max'], ['node']);
        if (!('min' in l) && !('max' in l)) fail(at(key), `${w} needs min or max`);
        const spec: { node: string; min?: number; max?: number } = { node: known.check(l.node, [...at(key), 'node'], `${w}.node`) };
        if ('min' in l) spec.min = int(l.min, [...at(key), 'min'], `${w}.min`, 0);
        if ('max' in l) spec.max = int(l.max, [...at(key), 'max'], `${w}.max`, 0);
        if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max) fail(at(key), `${w}.min ${spec.min} is above max ${spec.max}`);
        c.logLength = spec;
        break;
      }
    }
  }
  return c;
}

export { label as schemaPathLabel };
