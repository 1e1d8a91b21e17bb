/**
 * Time as every component sees it. XState accepts any object with setTimeout/clearTimeout
 * as its clock, so the same object drives machine timers, the bus and the runtime.
 * Nothing in glup reads Date.now() or global timers behind the clock's back.
 */
export interface Clock {
  /** Milliseconds: virtual time on a simulated network, wall time otherwise. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /**
   * Registers real asynchronous work (file I/O) that virtual time must wait for: a virtual
   * clock fires no further timer until tracked work has settled. Real clocks just return it.
   */
  track<T>(work: Promise<T>): Promise<T>;
}

/** Wall-clock time for real deployments (NATS, or the memory bus in real-time mode). */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  track: (work) => work,
};
