/**
 * Paths under `data` (SPEC section 4): a dotted string (`config.color`) or an array of
 * segments (`['config', 'color']`). A path addresses own keys of plain objects only, so
 * reading, writing and `watch(prefix)` all agree on what a path names.
 *
 * In the dotted form a backslash escapes the next `.` or `\`, so every array path has a
 * dotted spelling: `formatPath(['a.b', 'c'])` is `a\.b.c` and parses back to the same
 * segments. Ephemeral keys and `affectedPaths` store paths in that spelling.
 */
import { GlupError } from '../errors.js';
import type { DataPath } from './types.js';

/** Keys that reach an object's prototype machinery when used as property names. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Segments of a path; throws INVALID_OP naming what is wrong. */
export function parsePath(path: DataPath): string[] {
  let segs: string[];
  if (typeof path === 'string') {
    segs = splitDotted(path);
  } else if (Array.isArray(path)) {
    segs = path.map((seg, i) => {
      if (typeof seg !== 'string') throw new GlupError('INVALID_OP', `path segment ${i} is a ${typeName(seg)}, not a string`);
      return seg;
    });
  } else {
    throw new GlupError('INVALID_OP', `path is a ${typeName(path)}, not a dotted string or an array of segments`);
  }
  if (segs.length === 0) throw new GlupError('INVALID_OP', 'path is empty: it must name at least one key under data');
  segs.forEach((seg, i) => {
    if (seg === '') throw new GlupError('INVALID_OP', `path ${describe(path)} has an empty segment at position ${i}`);
    if (FORBIDDEN_KEYS.has(seg)) throw new GlupError('INVALID_OP', `path ${describe(path)} uses the forbidden segment "${seg}"`);
  });
  return segs;
}

/** The dotted spelling of a path, escaping `.` and `\` inside segments. */
export function formatPath(segs: readonly string[]): string {
  return segs.map((s) => s.replace(/[\\.]/g, (c) => '\\' + c)).join('.');
}

/**
 * The value at `segs` under `obj`, or undefined when any step is missing or is not a plain
 * object. Only own keys count, so `a.toString` is absent, never a function.
 */
export function getAt(obj: unknown, segs: readonly string[]): unknown {
  let cur: unknown = obj;
  for (const seg of segs) {
    if (!isPlainObject(cur) || !Object.hasOwn(cur, seg)) return undefined;
    cur = cur[seg];
  }
  return cur;
}

/** True when `prefix` names `path` or one of its ancestors (segment-wise: `a` is a prefix of `a.b`, not of `ab`). */
export function isPathPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  if (prefix.length > path.length) return false;
  return prefix.every((seg, i) => seg === path[i]);
}

/**
 * True when a change at one path can change what the other names: one is an ancestor of
 * the other (or they are equal). `watch('config.color')` must see `set config`, and
 * `watch('config')` must see `set config.color`. An empty prefix overlaps everything.
 */
export function pathsOverlap(a: readonly string[], b: readonly string[]): boolean {
  return isPathPrefix(a, b) || isPathPrefix(b, a);
}

/** Plain object as JSON would make it (not an array, not a class instance, not null). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function splitDotted(path: string): string[] {
  const segs: string[] = [];
  let cur = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === '\\' && (path[i + 1] === '.' || path[i + 1] === '\\')) {
      cur += path[i + 1];
      i++;
    } else if (c === '.') {
      segs.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  segs.push(cur);
  return segs;
}

function describe(path: DataPath): string {
  return JSON.stringify(typeof path === 'string' ? path : path).slice(0, 200);
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') {
    const ctor = Object.getPrototypeOf(v)?.constructor?.name;
    return ctor && ctor !== 'Object' ? `${ctor} instance` : 'object';
  }
  return typeof v;
}
