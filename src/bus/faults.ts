/**
 * Fault model (SPEC section 8), applied on the RECEIVING side, keyed by the envelope's
 * `from`, so the same faults work over the memory and the NATS transport.
 * What can happen to a message between two different nodes: it can be lost (drop,
 * partition), delivered twice (duplicate), delivered late (delay; late deliveries reorder).
 * What is never touched: a node's messages to itself, and the bytes of a message
 * (corruption is modelled by the invalid-envelope tests instead).
 */
export interface FaultSettings {
  drop?: number;
  duplicate?: number;
  delayMs?: [number, number];
  /** Restrict drop/duplicate/delay to these unordered pairs of nodes. */
  between?: [string, string][];
}

export interface Faults {
  /**
   * Decides the fate of one message from `from` arriving at `to`: the extra delays (ms) of
   * each copy to deliver. [] drops it, [0] delivers it now, [0, 3] delivers it twice.
   */
  route(to: string, from: string): number[];
  partition(sides: string[][]): void;
  heal(): void;
  set(settings: FaultSettings): void;
  clear(): void;
  /** Counters of what was applied, for reports and `glup sim`. */
  readonly counts: { dropped: number; duplicated: number; delayed: number; partitioned: number };
}
