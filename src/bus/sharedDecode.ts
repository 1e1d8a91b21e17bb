/**
 * One decode per publish on a network that hands every receiver the same bytes (the memory
 * network, `Transport.sharesPayloads`): the first receiver decodes and validates, the others
 * get the same envelope. With N nodes a heartbeat or hello was parsed N times; forming N
 * nodes parsed N² hellos per round (issue 14: 12% of the CPU of forming 200 nodes).
 *
 * The shared envelope is deeply frozen, so a receiver that tried to change what another
 * receives throws instead (ES modules are strict) rather than bending the simulation. Every
 * other transport's envelopes are frozen too (`decodeFrozen`): what a message hands to
 * application code (a group message, an actor's answer) is read-only on every transport, so
 * code that works in simulation works over NATS and the other way round.
 */
import { decodeEnvelope, type DecodeResult } from './envelope.js';

interface Decoded {
  cluster: string;
  maxBytes: number;
  result: DecodeResult;
}

const decoded = new WeakMap<Uint8Array, Decoded>();

export function decodeShared(data: Uint8Array, cluster: string, maxBytes: number): DecodeResult {
  const hit = decoded.get(data);
  if (hit && hit.cluster === cluster && hit.maxBytes === maxBytes) return hit.result;
  const result = decodeFrozen(data, cluster, maxBytes);
  decoded.set(data, { cluster, maxBytes, result });
  return result;
}

/** One receiver's decode, frozen like the shared one. */
export function decodeFrozen(data: Uint8Array, cluster: string, maxBytes: number): DecodeResult {
  const result = decodeEnvelope(data, { cluster, maxBytes });
  if (result.ok) deepFreeze(result.envelope);
  return result;
}

/** Iterative: the envelope's depth is bounded by decodeEnvelope, but no recursion is needed either. */
function deepFreeze(root: object): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null || Object.isFrozen(value)) continue;
    Object.freeze(value);
    for (const v of Object.values(value)) stack.push(v);
  }
}
