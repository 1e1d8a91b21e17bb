/**
 * The node's inspection stream as the trace records it (SPEC section 10): every actor's
 * state changes, reduced to plain lines — actor by its systemId, never an XState session id,
 * times from the node's clock.
 */
import type { AnyActorRef, InspectionEvent as XInspectionEvent, Subscription } from 'xstate';

/**
 * Listens to an actor system's inspection stream only while someone reads it (`wanted`):
 * once a listener is registered, XState builds an inspection event for every event, action
 * and snapshot of every actor (about 5% of the CPU of forming 200 simulated nodes, issue 14).
 */
export class InspectionSwitch {
  private sub: Subscription | null = null;
  constructor(
    private readonly observe: (e: XInspectionEvent) => void,
    private readonly wanted: () => boolean,
  ) {}

  update(root: AnyActorRef | null): void {
    if (this.wanted() && root && !this.sub) this.sub = root.system.inspect((e) => this.observe(e));
    else if (!this.wanted() && this.sub) {
      this.sub.unsubscribe();
      this.sub = null;
    }
  }
}
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
