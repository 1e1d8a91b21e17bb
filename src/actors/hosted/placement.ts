/**
 * Where an actor runs (SPEC section 11), decided from the committed database alone, so every
 * node that holds the same seq computes the same host:
 * - the candidates are the member nodes (`db.nodes`) that registered the type;
 * - `sharded`: rendezvous hashing of `<type>/<key>` over them (src/groups/pick.ts), so when a
 *   node joins or leaves only the keys it wins or held move;
 * - `singleton`: the manager, or the backup / a named node with `on`; when that node is not a
 *   candidate, the manager; when the manager is not one either, rendezvous over the candidates.
 * The placement kind is the one of the smallest registered id (nodes that disagree are warned
 * at define time).
 */
import type { ClusterDb } from '../../db/types.js';
import { sortIds } from '../../ids.js';
import { pickMember } from '../../groups/pick.js';
import { registrationsOf, type Registration } from './records.js';

export interface TypePlacement {
  /** Live registered nodes, in id order. */
  candidates: string[];
  /** The registration that decides the kind (the smallest candidate's), or null with no candidate. */
  rule: Registration | null;
}

export function typePlacement(db: ClusterDb, type: string): TypePlacement {
  const regs = registrationsOf(db, type);
  const candidates = sortIds(Object.keys(regs).filter((id) => db.nodes[id] !== undefined));
  return { candidates, rule: candidates.length ? regs[candidates[0]!]! : null };
}

/** The node that hosts (type, key), or null when no live node defines the type. */
export function hostOf(db: ClusterDb, type: string, key: string): string | null {
  const { candidates, rule } = typePlacement(db, type);
  if (!rule) return null;
  if (rule.placement === 'sharded') return pickMember(candidates, `${type}/${key}`);
  const preferred = rule.on === 'backup' ? db.meta.backup : rule.on ?? db.meta.manager;
  for (const id of [preferred, db.meta.manager]) if (id && candidates.includes(id)) return id;
  return pickMember(candidates, type);
}
