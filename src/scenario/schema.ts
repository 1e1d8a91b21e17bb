/**
 * Validation of a scenario (SPEC section 10) as a plain value, by hand so that every
 * complaint carries the path of the offending node: parse.ts turns that path into a file
 * line. The result is normalized; validating a normalized scenario returns it unchanged
 * (the trace header is checked by the same code on replay).
 */
import type { GlupErrorCode } from '../errors.js';
import { isClusterName } from '../ids.js';
import {
  CONDITION_KEYS,
  STEP_KINDS,
  type ClusterSpec,
  type NodeSelector,
  type NodeSpec,
  type Scenario,
  type Step,
  type StepKind,
} from './types.js';
import { KnownIds, checkKeys, describe, errorCode, expectedOneOf, fail, int, json, list, mapping, name, num, oneOf, str, type SchemaPath } from './schemaReaders.js';
import { actorTypes, askStep, tellStep } from './schemaActors.js';
import { conditions, faults, updateStep } from './schemaSteps.js';

export { SchemaIssue, label as schemaPathLabel, type SchemaPath } from './schemaReaders.js';

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
const MAX_NODE_COUNT = 1000;
/** waitFor without timeoutMs: generous, and at least 30 heartbeats. */
const DEFAULT_WAIT_FOR_MS = 10_000;

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

