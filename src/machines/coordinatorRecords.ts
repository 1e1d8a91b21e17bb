/**
 * The records the update coordinator writes of its own accord: a new manager's roles record
 * (formation included), a removal, and an addition (naming the backup when there is none).
 */
import type { CoordinatorContext, CoordinatorInput } from './coordinatorTypes.js';
import { backupToName, type Submission } from './rules/batch.js';
import type { NodeFacts } from './rules/membership.js';

export function rolesRecord(input: CoordinatorInput): Submission {
  const unfit = Object.keys(input.members).filter((id) => !input.live.includes(id));
  const members = input.formation ? Object.fromEntries(input.formation.map((n) => [n.id, n])) : input.members;
  // a live backup stays backup (SPEC section 3); a new one is chosen among the live members
  const current = input.backup !== input.self && input.backup && input.live.includes(input.backup) && members[input.backup] ? input.backup : null;
  const backup = backupToName({ self: input.self, backup: current, members, unfit: input.formation ? [] : unfit }) ?? current;
  const membership: Record<string, unknown> = { epoch: input.epoch, manager: input.self, backup };
  if (input.formation) {
    membership.add = input.formation;
    if (input.settings) membership.settings = input.settings;
  }
  return { id: `${input.self}:epoch:${input.epoch}`, origin: input.self, op: { membership } };
}

/** A removal, naming a new backup in the same record when it removes the backup. */
export function removal(c: CoordinatorContext, id: string, reason: 'failed' | 'leave' | 'removed'): Submission {
  const membership: Record<string, unknown> = { remove: [{ id, reason }] };
  if (c.backup === id) {
    const rest = { ...c.members };
    delete rest[id];
    membership.backup = backupToName({ self: c.self, backup: null, members: rest, unfit: c.failed });
  }
  return { id: `${c.self}:${c.epoch}:remove:${id}:${c.log.lastSeq}`, origin: c.self, op: { membership } };
}

export function addition(c: CoordinatorContext, node: NodeFacts): Submission {
  const membership: Record<string, unknown> = { add: [node] };
  if ((!c.backup || c.failed.includes(c.backup)) && node.qualified) membership.backup = node.id;
  return { id: `${c.self}:${c.epoch}:add:${node.id}:${node.incarnation}`, origin: c.self, op: { membership } };
}
