/**
 * Scenario validation of what steps and conditions carry (SPEC section 10): data operations,
 * fault settings and the conditions of waitFor and expect. Split from schema.ts, which reads
 * the scenario, its cluster and its steps.
 */
import type { DataOp } from '../db/types.js';
import type { GlupErrorCode } from '../errors.js';
import { CONDITION_KEYS, type Conditions, type FaultsSpec, type ScenarioRole } from './types.js';
import { checkKeys, describe, errorCode, expectedOneOf, fail, int, json, list, mapping, name, num, oneOf, str, type KnownIds, type SchemaPath } from './schemaReaders.js';

export const DATA_OPS = ['set', 'delete', 'merge', 'cas', 'batch'] as const;
const ROLES: readonly ScenarioRole[] = ['manager', 'backup', 'client', 'joining', 'isolated', 'down'];

export function path(v: unknown, p: SchemaPath, what: string): string | string[] {
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

export function dataOp(o: Record<string, unknown>, p: SchemaPath, kind: (typeof DATA_OPS)[number], what: string): DataOp {
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

export function singleOpKey(o: Record<string, unknown>, p: SchemaPath, what: string): (typeof DATA_OPS)[number] {
  const keys = Object.keys(o);
  for (const k of keys) {
    if (!(DATA_OPS as readonly string[]).includes(k)) fail([...p, k], `unknown operation "${k}" in ${what} ${expectedOneOf(k, DATA_OPS)}`, 'key');
  }
  if (keys.length !== 1) fail(p, `${what} needs exactly one of ${DATA_OPS.join(', ')}${keys.length ? `, got ${keys.join(', ')}` : ''}`);
  return keys[0] as (typeof DATA_OPS)[number];
}

export function updateStep(v: unknown, p: SchemaPath, known: KnownIds): DataOp & { node: string; expectError?: GlupErrorCode } {
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

export function faults(v: unknown, p: SchemaPath, known: KnownIds): FaultsSpec | 'none' {
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

export function conditions(o: Record<string, unknown>, p: SchemaPath, what: string, known: KnownIds): Conditions {
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
