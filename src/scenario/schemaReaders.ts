/**
 * The value readers of scenario validation (schema.ts): each reads one plain value at a
 * path of the raw scenario and throws a SchemaIssue naming that path when it is wrong, so
 * parse.ts can point at the file line.
 */
import { GLUP_ERROR_CODES, type GlupErrorCode } from '../errors.js';
import { isName } from '../ids.js';

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

export function label(path: SchemaPath): string {
  let s = '';
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s ? `.${seg}` : seg;
  return s || 'scenario';
}

export function editDistance(a: string, b: string): number {
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

export function expectedOneOf(word: string, allowed: readonly string[]): string {
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
