/**
 * Where hosted actors live in the cluster database (SPEC sections 5 and 11), under the
 * reserved key `data._glup` (docs/actors.md):
 *
 *   _glup.actorTypes.<type>.<node> = { placement, on? }          ephemeral: owned by <node>
 *   _glup.actors.<type>.<key>      = { version, state: { by, snapshot, seen } }
 *
 * A registration is an ephemeral key, so the update that removes a node (failure, leave, a
 * restart with a new incarnation) also removes what it hosted from every node's placement,
 * in the same seq on every member. A state record changes only by `commitOp`: a batch of a
 * `cas` on `version` (expecting the version the activation loaded) and a `set` of `state`.
 * GLUP applies it all or nothing, so two activations can never both commit from one version.
 */
import { FORBIDDEN_KEYS } from '../../db/paths.js';
import type { ClusterDb, DataOp, UpdateRecord } from '../../db/types.js';
import { GlupError } from '../../errors.js';
import { isName } from '../../ids.js';
import type { DefineOptions, Placement } from './types.js';

export const ROOT = '_glup';
/** A sender stream the state remembers; the oldest are forgotten past this many (docs/actors.md). */
export const MAX_SEEN_CHANNELS = 64;
export const MAX_KEY_LENGTH = 256;

export interface Registration {
  placement: Placement;
  on?: string;
}

export interface StateRecord {
  version: number;
  state?: {
    /** The activation that committed it: `<node>:<incarnation>:<n>`. */
    by: string;
    /** XState's getPersistedSnapshot(), as JSON. */
    snapshot: unknown;
    /** Per sender stream, the highest event number processed: a retried event at or below it is a duplicate. */
    seen: Record<string, number>;
  };
}

export function registrationPath(type: string, node: string): string[] {
  return [ROOT, 'actorTypes', type, node];
}

export function statePath(type: string, key: string): string[] {
  return [ROOT, 'actors', type, key];
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function own(o: Record<string, unknown> | undefined, k: string): unknown {
  return o && Object.hasOwn(o, k) ? o[k] : undefined;
}

/** Registrations of `type`, by node (every node that ever committed one and still holds it). */
export function registrationsOf(db: ClusterDb, type: string): Record<string, Registration> {
  const all = obj(own(obj(own(obj(own(db.data, ROOT)), 'actorTypes')), type));
  const out: Record<string, Registration> = {};
  for (const [node, r] of Object.entries(all ?? {})) {
    const row = obj(r);
    const placement = own(row, 'placement');
    if (placement !== 'sharded' && placement !== 'singleton') continue;
    const on = own(row, 'on');
    out[node] = typeof on === 'string' ? { placement, on } : { placement };
  }
  return out;
}

export function stateOf(db: ClusterDb, type: string, key: string): StateRecord {
  const rec = obj(own(obj(own(obj(own(obj(own(db.data, ROOT)), 'actors')), type)), key));
  const version = own(rec, 'version');
  const state = obj(own(rec, 'state'));
  return {
    version: typeof version === 'number' ? version : 0,
    ...(state && { state: { by: String(state.by), snapshot: state.snapshot, seen: (obj(state.seen) ?? {}) as Record<string, number> } }),
  };
}

/** Keys of `type` with a committed state (a singleton's host activates them eagerly). */
export function keysOf(db: ClusterDb, type: string): string[] {
  return Object.keys(obj(own(obj(own(obj(own(db.data, ROOT)), 'actors')), type)) ?? {});
}

export function registrationOp(type: string, node: string, opts: DefineOptions): DataOp {
  const value: Registration = opts.on === undefined ? { placement: opts.placement } : { placement: opts.placement, on: opts.on };
  return { set: { path: registrationPath(type, node), value, ephemeral: true } };
}

/** The one write of a state record: all or nothing, and only from the version the activation holds. */
export function commitOp(type: string, key: string, fromVersion: number, state: NonNullable<StateRecord['state']>): DataOp {
  const base = statePath(type, key);
  return {
    batch: {
      ops: [
        { cas: { path: [...base, 'version'], expect: fromVersion === 0 ? null : fromVersion, value: fromVersion + 1 } },
        { set: { path: [...base, 'state'], value: state } },
      ],
    },
  };
}

/** What a committed record did to an actor's state, if it is a commit of `commitOp`. */
export interface ActorCommit {
  type: string;
  key: string;
  /** The version it committed. */
  version: number;
  by: string;
  seen: Record<string, number>;
  snapshot: unknown;
}

export function actorCommitOf(rec: Pick<UpdateRecord, 'op'>): ActorCommit | null {
  const op = rec.op as DataOp;
  if (!('batch' in op) || op.batch.ops.length !== 2) return null;
  const [c, s] = op.batch.ops;
  if (!c || !s || !('cas' in c) || !('set' in s)) return null;
  const path = c.cas.path;
  if (!Array.isArray(path) || path.length !== 5 || path[0] !== ROOT || path[1] !== 'actors' || path[4] !== 'version') return null;
  const state = obj(s.set.value);
  if (!state || typeof c.cas.value !== 'number') return null;
  return {
    type: path[2]!,
    key: path[3]!,
    version: c.cas.value,
    by: String(state.by),
    seen: (obj(state.seen) ?? {}) as Record<string, number>,
    snapshot: state.snapshot,
  };
}

export function checkType(type: unknown): string {
  if (!isName(type)) throw new GlupError('INVALID_OP', `actor type: ${JSON.stringify(type)} is not a valid name ([A-Za-z0-9_-]{1,64})`);
  return type;
}

export function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new GlupError('INVALID_OP', `actor key: ${JSON.stringify(key)} must be a string of 1 to ${MAX_KEY_LENGTH} characters`);
  }
  if (FORBIDDEN_KEYS.has(key)) throw new GlupError('INVALID_OP', `actor key: "${key}" is reserved by JavaScript objects`);
  return key;
}

/** Keeps the `MAX_SEEN_CHANNELS` most recently used streams (a Map keeps insertion order; users are re-inserted). */
export function pruneSeen(seen: Map<string, number>): Record<string, number> {
  while (seen.size > MAX_SEEN_CHANNELS) seen.delete(seen.keys().next().value!);
  return Object.fromEntries(seen);
}
