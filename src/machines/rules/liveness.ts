/**
 * Failure detection by counting heartbeat intervals (SPEC section 3; docs/protocol.md 4.6).
 * Each interval a peer was not heard adds one to its missed count; hearing it resets the
 * count. Counting intervals instead of clock differences means a paused process that wakes
 * up closes one late interval, not many: its own pause is never taken for others' silence.
 */
import { isMajority, type QuorumMode } from './majority.js';

export type Missed = Readonly<Record<string, number>>;

/** Missed counts after an interval in which `heard` were heard. */
export function closeInterval(missed: Missed, heard: ReadonlySet<string> | readonly string[], peers: readonly string[]): Record<string, number> {
  const h = heard instanceof Set ? heard : new Set(heard as readonly string[]);
  const next: Record<string, number> = {};
  for (const p of peers) next[p] = h.has(p) ? 0 : (missed[p] ?? 0) + 1;
  return next;
}

/** Peers silent for at least `intervals` intervals. */
export function silentFor(missed: Missed, peers: readonly string[], intervals: number): string[] {
  return peers.filter((p) => (missed[p] ?? 0) >= intervals);
}

/** Whether the nodes heard within the last `intervals` intervals (self included) are a majority of `members`. */
export function hearsMajority(missed: Missed, members: readonly string[], self: string, intervals: number, mode: QuorumMode): boolean {
  const heard = members.filter((m) => m === self || (missed[m] ?? 0) < intervals);
  return isMajority(heard, members, mode);
}
