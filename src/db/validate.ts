/**
 * Validation of submitted operations (SPEC section 4). Input may be hostile (it arrives
 * over the bus from any node), so every walk is iterative or depth-bounded, sizes are
 * counted while walking and the walk stops as soon as a budget is exceeded: no input can
 * make validation recurse without bound or loop for long.
 *
 * A valid op comes back as a fresh JSON-canonical copy (what a member would get after the
 * wire): later mutation of the caller's object cannot change a submitted update, and values
 * JSON cannot carry exactly (-0) are already normalised on the coordinator's copy.
 */
import { GlupError } from '../errors.js';
import { isName } from '../ids.js';
import { FORBIDDEN_KEYS, isPlainObject, parsePath, typeName } from './paths.js';
import type { DataOp, DataPath, SystemOp } from './types.js';

export const DEFAULT_MAX_UPDATE_BYTES = 262144;
/** Nesting of the op's JSON (the op object itself is level 1); the bus edge must allow at least this. */
export const DEFAULT_MAX_DEPTH = 64;
/** Segments of one path; keeps the database's own nesting bounded as well. */
export const MAX_PATH_SEGMENTS = 32;

export interface ValidateOptions {
  maxUpdateBytes?: number;
  maxDepth?: number;
}

const DATA_KINDS = ['set', 'delete', 'merge', 'cas', 'batch'] as const;
const SYSTEM_KINDS = ['membership', 'groupJoin', 'groupLeave', 'groupMessage'] as const;
const LEAVE_REASONS = ['leave', 'failed', 'removed'] as const;

/**
 * Shared limits of one validation. `bytes` is a lower bound of the JSON size counted while
 * walking (UTF-16 units, no escapes), so stopping early never refuses a valid op; the exact
 * size is checked at the end.
 */
interface Budget {
  maxBytes: number;
  maxDepth: number;
  bytes: number;
}

/** A data operation as applications submit it; throws GlupError INVALID_OP naming the field. */
export function validateOp(op: unknown, opts: ValidateOptions = {}): DataOp {
  const budget = newBudget(opts);
  const normalized = normalizeDataOp(op, 'op', 1, budget);
  return canonical(normalized, budget) as DataOp;
}

/** A system operation (membership, group join/leave/message); throws GlupError INVALID_OP naming the field. */
export function validateSystemOp(op: unknown, opts: ValidateOptions = {}): SystemOp {
  const budget = newBudget(opts);
  const { kind, body } = oneKey(op, 'op', SYSTEM_KINDS);
  const where = kind;
  let normalized: SystemOp;
  switch (kind) {
    case 'membership': {
      const b = fields(body, where, [], ['epoch', 'manager', 'backup', 'add', 'remove', 'settings']);
      const m: Extract<SystemOp, { membership: unknown }>['membership'] = {};
      if (b.epoch !== undefined) m.epoch = integer(b.epoch, `${where}.epoch`, 0);
      if (b.manager !== undefined) m.manager = b.manager === null ? null : name(b.manager, `${where}.manager`);
      if (b.backup !== undefined) m.backup = b.backup === null ? null : name(b.backup, `${where}.backup`);
      if (b.add !== undefined) {
        m.add = array(b.add, `${where}.add`, budget).map((raw, i) => {
          const w = `${where}.add[${i}]`;
          const n = fields(raw, w, ['id', 'qualified', 'priority', 'incarnation'], []);
          return {
            id: name(n.id, `${w}.id`),
            qualified: bool(n.qualified, `${w}.qualified`),
            priority: integer(n.priority, `${w}.priority`),
            incarnation: integer(n.incarnation, `${w}.incarnation`, 0),
          };
        });
      }
      if (b.remove !== undefined) {
        m.remove = array(b.remove, `${where}.remove`, budget).map((raw, i) => {
          const w = `${where}.remove[${i}]`;
          const r = fields(raw, w, ['id', 'reason'], []);
          if (!(LEAVE_REASONS as readonly unknown[]).includes(r.reason)) {
            throw invalid(`${w}.reason is ${JSON.stringify(r.reason)}; expected one of ${LEAVE_REASONS.join(', ')}`);
          }
          return { id: name(r.id, `${w}.id`), reason: r.reason as (typeof LEAVE_REASONS)[number] };
        });
      }
      if (b.settings !== undefined) {
        if (!isPlainObject(b.settings)) throw invalid(`${where}.settings is a ${typeName(b.settings)}, not an object`);
        checkJsonValue(b.settings, `${where}.settings`, 3, budget);
        m.settings = b.settings;
      }
      normalized = { membership: m };
      break;
    }
    case 'groupJoin':
    case 'groupLeave': {
      const b = fields(body, where, ['group', 'process', 'node'], []);
      const row = { group: name(b.group, `${where}.group`), process: name(b.process, `${where}.process`), node: name(b.node, `${where}.node`) };
      normalized = kind === 'groupJoin' ? { groupJoin: row } : { groupLeave: row };
      break;
    }
    case 'groupMessage': {
      const b = fields(body, where, ['group', 'msg'], []);
      checkJsonValue(b.msg, `${where}.msg`, 3, budget);
      normalized = { groupMessage: { group: name(b.group, `${where}.group`), msg: b.msg } };
      break;
    }
  }
  return canonical(normalized, budget) as SystemOp;
}

/**
 * Throws INVALID_OP unless `value` is plain JSON: strings, finite numbers, booleans, null,
 * arrays without holes and plain objects, no forbidden keys, no cycles, nested at most
 * `budget.maxDepth` levels counting from `depth` (the JSON level the value sits at).
 */
function checkJsonValue(value: unknown, where: string, depth: number, budget: Budget): void {
  interface Frame {
    v: unknown;
    depth: number;
    parent: Frame | null;
    key: string | number;
    exit?: boolean;
  }
  // Built only when reporting: names the offending field, e.g. set.value.a.b[3].
  const locate = (f: Frame): string => {
    const parts: string[] = [];
    for (let cur: Frame | null = f; cur && cur.parent; cur = cur.parent) {
      parts.push(typeof cur.key === 'number' ? `[${cur.key}]` : `.${cur.key}`);
    }
    return where + parts.reverse().join('');
  };
  const onPath = new Set<object>();
  const stack: Frame[] = [{ v: value, depth, parent: null, key: '' }];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (f.exit) {
      onPath.delete(f.v as object);
      continue;
    }
    const v = f.v;
    switch (typeof v) {
      case 'string':
        budget.bytes += v.length + 2;
        break;
      case 'number':
        if (!Number.isFinite(v)) throw invalid(`${locate(f)} is ${v}, which JSON cannot carry`);
        budget.bytes += 1;
        break;
      case 'boolean':
        budget.bytes += 4;
        break;
      case 'object': {
        if (v === null) {
          budget.bytes += 4;
          break;
        }
        if (onPath.has(v)) throw invalid(`${locate(f)} contains a cycle`);
        if (f.depth > budget.maxDepth) throw invalid(`${locate(f)} is nested deeper than ${budget.maxDepth} levels`);
        const isArray = Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype;
        if (!isArray && !isPlainObject(v)) throw invalid(`${locate(f)} is a ${typeName(v)}, not plain JSON`);
        if (Object.getOwnPropertySymbols(v).length > 0) throw invalid(`${locate(f)} has symbol keys, which JSON cannot carry`);
        onPath.add(v);
        stack.push({ v, depth: f.depth, parent: f.parent, key: f.key, exit: true });
        budget.bytes += 2;
        if (isArray) {
          const arr = v as unknown[];
          budget.bytes += Math.max(0, arr.length - 1);
          overBudget(budget, where);
          for (let i = arr.length - 1; i >= 0; i--) {
            const child = { v: arr[i], depth: f.depth + 1, parent: f, key: i };
            if (!(i in arr)) throw invalid(`${locate(child)} is a hole in a sparse array, which JSON cannot carry`);
            stack.push(child);
          }
        } else {
          const obj = v as Record<string, unknown>;
          for (const key of Object.keys(obj)) {
            const child = { v: obj[key], depth: f.depth + 1, parent: f, key };
            if (FORBIDDEN_KEYS.has(key)) throw invalid(`${locate(child)} uses the forbidden key "${key}"`);
            budget.bytes += key.length + 4; // quotes, colon, comma
            stack.push(child);
          }
          budget.bytes -= 1; // no comma after the last key (or none at all when empty)
          overBudget(budget, where);
        }
        break;
      }
      default:
        throw invalid(`${locate(f)} is ${v === undefined ? 'undefined' : `a ${typeof v}`}, which JSON cannot carry`);
    }
    overBudget(budget, where);
  }
}

function normalizeDataOp(raw: unknown, where: string, depth: number, budget: Budget): DataOp {
  if (depth > budget.maxDepth) throw invalid(`${where} is nested deeper than ${budget.maxDepth} levels`);
  budget.bytes += 16;
  overBudget(budget, where);
  const { kind, body } = oneKey(raw, where, DATA_KINDS);
  const w = where === 'op' ? kind : `${where}.${kind}`;
  // The value of set/merge/cas sits at JSON level depth + 2 (op → body → value).
  const valueDepth = depth + 2;
  switch (kind) {
    case 'set': {
      const b = fields(body, w, ['path', 'value'], ['ephemeral']);
      const path = dataPath(b.path, `${w}.path`, budget);
      checkJsonValue(b.value, `${w}.value`, valueDepth, budget);
      const set: { path: DataPath; value: unknown; ephemeral?: boolean } = { path, value: b.value };
      if (b.ephemeral !== undefined) set.ephemeral = bool(b.ephemeral, `${w}.ephemeral`);
      return { set };
    }
    case 'delete': {
      const b = fields(body, w, ['path'], []);
      return { delete: { path: dataPath(b.path, `${w}.path`, budget) } };
    }
    case 'merge': {
      const b = fields(body, w, ['path', 'value'], []);
      const path = dataPath(b.path, `${w}.path`, budget);
      if (!isPlainObject(b.value)) throw invalid(`${w}.value is a ${typeName(b.value)}; merge takes an object`);
      checkJsonValue(b.value, `${w}.value`, valueDepth, budget);
      return { merge: { path, value: b.value } };
    }
    case 'cas': {
      const b = fields(body, w, ['path', 'expect', 'value'], ['ephemeral']);
      const path = dataPath(b.path, `${w}.path`, budget);
      checkJsonValue(b.expect, `${w}.expect`, valueDepth, budget);
      checkJsonValue(b.value, `${w}.value`, valueDepth, budget);
      const cas: { path: DataPath; expect: unknown; value: unknown; ephemeral?: boolean } = { path, expect: b.expect, value: b.value };
      if (b.ephemeral !== undefined) cas.ephemeral = bool(b.ephemeral, `${w}.ephemeral`);
      return { cas };
    }
    case 'batch': {
      const b = fields(body, w, ['ops'], []);
      const ops = array(b.ops, `${w}.ops`, budget).map((op, i) => normalizeDataOp(op, `${w}.ops[${i}]`, depth + 3, budget));
      return { batch: { ops } };
    }
  }
}

/** Exactly one known key; returns it and its body. */
function oneKey<K extends string>(raw: unknown, where: string, kinds: readonly K[]): { kind: K; body: unknown } {
  const expected = `exactly one of the keys ${kinds.join(', ')}`;
  if (!isPlainObject(raw)) throw invalid(`${where} is a ${typeName(raw)}, not an object with ${expected}`);
  const keys = Object.keys(raw);
  if (keys.length !== 1) {
    const shown = keys.slice(0, 5).map((k) => JSON.stringify(k)).join(', ');
    throw invalid(`${where} has ${keys.length} keys (${shown}${keys.length > 5 ? ', …' : ''}); it must have ${expected}`);
  }
  const kind = keys[0]!;
  if (!(kinds as readonly string[]).includes(kind)) {
    throw invalid(`${where} has the unknown operation ${JSON.stringify(kind.slice(0, 64))}; expected ${expected}`);
  }
  return { kind: kind as K, body: raw[kind] };
}

/**
 * The body's fields: required ones must be present (not undefined), optional ones may be
 * absent or undefined, any other field is refused (a misspelt `ephemeral` must not be
 * silently ignored, and members must never apply an op differently from the coordinator).
 */
function fields(body: unknown, where: string, required: string[], optional: string[]): Record<string, unknown> {
  if (!isPlainObject(body)) throw invalid(`${where} is a ${typeName(body)}, not an object`);
  for (const key of Object.keys(body)) {
    if (!required.includes(key) && !optional.includes(key)) {
      const known = [...required, ...optional].join(', ');
      throw invalid(`${where} has the unknown field ${JSON.stringify(key.slice(0, 64))}; known fields: ${known}`);
    }
  }
  for (const key of required) {
    if (body[key] === undefined) throw invalid(`${where}.${key} is missing`);
  }
  return body;
}

function dataPath(raw: unknown, where: string, budget: Budget): DataPath {
  if (typeof raw !== 'string' && !Array.isArray(raw)) throw invalid(`${where} is a ${typeName(raw)}, not a dotted string or an array of segments`);
  if (Array.isArray(raw) && raw.length > MAX_PATH_SEGMENTS) throw invalid(`${where} has ${raw.length} segments; at most ${MAX_PATH_SEGMENTS}`);
  let segs: string[];
  try {
    segs = parsePath(raw as DataPath);
  } catch (err) {
    throw invalid(`${where}: ${err instanceof GlupError ? err.message.replace(/^INVALID_OP: /, '') : String(err)}`);
  }
  if (segs.length > MAX_PATH_SEGMENTS) throw invalid(`${where} has ${segs.length} segments; at most ${MAX_PATH_SEGMENTS}`);
  budget.bytes += typeof raw === 'string' ? raw.length + 2 : segs.reduce((n, s) => n + s.length + 3, 1);
  overBudget(budget, where);
  return typeof raw === 'string' ? raw : [...segs];
}

function array(raw: unknown, where: string, budget: Budget): unknown[] {
  if (!Array.isArray(raw)) throw invalid(`${where} is a ${typeName(raw)}, not an array`);
  budget.bytes += raw.length;
  overBudget(budget, where);
  for (let i = 0; i < raw.length; i++) if (!(i in raw)) throw invalid(`${where}[${i}] is a hole in a sparse array`);
  return raw;
}

function name(raw: unknown, where: string): string {
  if (!isName(raw)) throw invalid(`${where} is ${describeValue(raw)}; names are 1-64 characters of A-Z a-z 0-9 _ -`);
  return raw;
}

function bool(raw: unknown, where: string): boolean {
  if (typeof raw !== 'boolean') throw invalid(`${where} is a ${typeName(raw)}, not a boolean`);
  return raw;
}

function integer(raw: unknown, where: string, min = Number.MIN_SAFE_INTEGER): number {
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < min) {
    throw invalid(`${where} is ${describeValue(raw)}, not an integer${min === 0 ? ' ≥ 0' : ''}`);
  }
  return raw;
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.slice(0, 80));
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return `a ${typeName(v)}`;
}

function newBudget(opts: ValidateOptions): Budget {
  return { maxBytes: opts.maxUpdateBytes ?? DEFAULT_MAX_UPDATE_BYTES, maxDepth: opts.maxDepth ?? DEFAULT_MAX_DEPTH, bytes: 0 };
}

/** Stops a walk early once even the estimate (a lower bound) is over the limit. */
function overBudget(budget: Budget, where: string): void {
  if (budget.bytes > budget.maxBytes) throw invalid(`update is over maxUpdateBytes (${budget.maxBytes} bytes) at ${where}`);
}

/** The exact wire size decides; the copy is what every member will see. */
function canonical(normalized: unknown, budget: Budget): unknown {
  const json = JSON.stringify(normalized);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > budget.maxBytes) throw invalid(`update is ${bytes} bytes, over maxUpdateBytes (${budget.maxBytes})`);
  return JSON.parse(json);
}

function invalid(message: string): GlupError {
  return new GlupError('INVALID_OP', message);
}
