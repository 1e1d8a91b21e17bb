/**
 * The hosted-actor parts of a scenario (docs/scenarios.md): `cluster.actors` (types every
 * node defines, with machines from the demo catalogue) and the `ask` and `tell` steps. Each
 * complaint carries the path of the offending node, like the rest of schema.ts.
 */
import { DEMO_MACHINES } from '../actors/hosted/demo.js';
import { MAX_KEY_LENGTH } from '../actors/hosted/records.js';
import { checkKeys, errorCode, fail, int, json, KnownIds, list, mapping, name, oneOf, str, type SchemaPath } from './schemaReaders.js';
import type { ActorEventSpec, ActorTypeSpec, AskStep, TellStep } from './types.js';

export function actorTypes(raw: unknown, p: SchemaPath): ActorTypeSpec[] {
  const items = list(raw, p, 'cluster.actors (a list of { type, machine, placement, on?, idleMs? })');
  const seen = new Set<string>();
  return items.map((item, i) => {
    const ip: SchemaPath = [...p, i];
    const o = mapping(item, ip, 'cluster.actors entry');
    checkKeys(o, ip, 'cluster.actors entry', ['type', 'machine', 'placement', 'on', 'idleMs'], ['type', 'machine', 'placement']);
    const type = name(o.type, [...ip, 'type'], 'cluster.actors type');
    if (seen.has(type)) fail([...ip, 'type'], `actor type "${type}" is defined twice in cluster.actors`);
    seen.add(type);
    const spec: ActorTypeSpec = {
      type,
      machine: oneOf(o.machine, [...ip, 'machine'], 'cluster.actors machine', Object.keys(DEMO_MACHINES)),
      placement: oneOf(o.placement, [...ip, 'placement'], 'cluster.actors placement', ['sharded', 'singleton']),
    };
    if ('on' in o) {
      if (spec.placement !== 'singleton') fail([...ip, 'on'], `cluster.actors on is for singletons only`);
      spec.on = o.on === 'backup' ? 'backup' : name(o.on, [...ip, 'on'], 'cluster.actors on (backup or a node id)');
    }
    if ('idleMs' in o) spec.idleMs = int(o.idleMs, [...ip, 'idleMs'], 'cluster.actors idleMs', 1);
    return spec;
  });
}

function actorTarget(o: Record<string, unknown>, p: SchemaPath, what: string, known: KnownIds) {
  const node = known.check(o.node, [...p, 'node'], `${what}.node`);
  const type = name(o.type, [...p, 'type'], `${what}.type`);
  const key = 'key' in o ? str(o.key, [...p, 'key'], `${what}.key`) : 'default';
  if (key === '' || key.length > MAX_KEY_LENGTH) fail([...p, 'key'], `${what}.key must be 1 to ${MAX_KEY_LENGTH} characters`);
  const event = json(mapping(o.event, [...p, 'event'], `${what}.event`), [...p, 'event'], `${what}.event`) as ActorEventSpec;
  if (typeof event.type !== 'string' || event.type === '') fail([...p, 'event'], `${what}.event needs a string type, like { type: INC }`);
  return { node, type, key, event };
}

export function askStep(v: unknown, p: SchemaPath, known: KnownIds): AskStep {
  const o = mapping(v, p, 'ask');
  checkKeys(o, p, 'ask', ['node', 'type', 'key', 'event', 'timeoutMs', 'expect', 'expectError'], ['node', 'type', 'event']);
  const step: AskStep = actorTarget(o, p, 'ask', known);
  if ('timeoutMs' in o) step.timeoutMs = int(o.timeoutMs, [...p, 'timeoutMs'], 'ask.timeoutMs', 1);
  if ('expect' in o) {
    const e = mapping(o.expect, [...p, 'expect'], 'ask.expect');
    checkKeys(e, [...p, 'expect'], 'ask.expect', ['value', 'context']);
    step.expect = {};
    if ('value' in e) step.expect.value = json(e.value, [...p, 'expect', 'value'], 'ask.expect.value');
    if ('context' in e) step.expect.context = json(mapping(e.context, [...p, 'expect', 'context'], 'ask.expect.context'), [...p, 'expect', 'context'], 'ask.expect.context') as Record<string, unknown>;
  }
  if ('expectError' in o) step.expectError = errorCode(o.expectError, [...p, 'expectError']);
  return step;
}

export function tellStep(v: unknown, p: SchemaPath, known: KnownIds): TellStep {
  const o = mapping(v, p, 'tell');
  checkKeys(o, p, 'tell', ['node', 'type', 'key', 'event'], ['node', 'type', 'event']);
  return actorTarget(o, p, 'tell', known);
}
