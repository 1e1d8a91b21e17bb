/**
 * The node's inspection stream as the trace records it (SPEC section 10): every actor's
 * state changes, reduced to plain lines — actor by its systemId, never an XState session id,
 * times from the node's clock.
 */
import type { AnyActorRef, InspectionEvent as XInspectionEvent } from 'xstate';
import type { InspectionEvent } from './types.js';

export function inspectionOf(e: XInspectionEvent, root: AnyActorRef | null, last: Map<string, string>, node: string, now: number): InspectionEvent | null {
  if (e.type !== '@xstate.snapshot') return null;
  const ref = e.actorRef as AnyActorRef & { _systemId?: string };
  const name = ref === root ? 'node' : (ref._systemId ?? ref.id);
  const value = (e.snapshot as { value?: unknown }).value;
  if (value === undefined) return null;
  const key = JSON.stringify(value);
  const prev = last.get(name);
  if (prev === key) return null;
  last.set(name, key);
  return {
    node,
    actor: name,
    type: 'transition',
    event: e.event.type,
    from: prev === undefined ? null : JSON.parse(prev),
    to: value,
    t: Math.round(now * 1000) / 1000,
  };
}
