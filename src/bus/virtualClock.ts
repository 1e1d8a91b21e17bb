import type { Clock } from '../clock.js';
import { GlupError } from '../errors.js';
import { TimerQueue, type QueuedTimer } from './timerQueue.js';

/**
 * Virtual time for simulation (SPEC sections 10 and 11). Time stands still until a caller
 * moves it with `advance`, `runUntil` or `settle`; each fired timer is one event, and the
 * memory network delivers each message through one timer, so "after every event" means
 * after every delivered message and every machine timer.
 *
 * Between two events the clock lets the process catch up: it yields to the event loop once
 * (so pending promise continuations run) and then waits for all work registered with
 * `track()` (real file I/O), so a file store's fsync finishes before virtual time moves on.
 */
export interface ClockEvent {
  /** Virtual time of the event (ms). */
  at: number;
  /** 1 for the first event fired by this clock, then 2, 3, … */
  n: number;
  label?: string;
}

export interface RunOptions {
  /** Virtual milliseconds to allow; default 60 000. */
  timeoutMs?: number;
}

export interface VirtualClock extends Clock {
  /** Sets a timer for an absolute virtual time (never earlier than now); `label` goes to onEvent listeners. */
  setTimeoutAt(fn: () => void, at: number, label?: string): unknown;
  /** Runs every event due within the next `ms` virtual milliseconds; ends with now() = start + ms. */
  advance(ms: number): Promise<void>;
  /** Runs events until `cond()` holds (checked before the first and after every event); rejects TIMEOUT when the time is up. */
  runUntil(cond: () => boolean, opts?: RunOptions): Promise<void>;
  /** Runs events until `work` settles, then returns its value or throws its error; rejects TIMEOUT when the time is up. */
  settle<T>(work: Promise<T>, opts?: RunOptions): Promise<T>;
  /** Called after every fired event; returns a function that removes the listener. */
  onEvent(listener: (event: ClockEvent) => void): () => void;
  /** Timers set and neither fired nor cleared. */
  pending(): number;
  /** Events fired so far. */
  events(): number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

export function createVirtualClock(opts: { startMs?: number } = {}): VirtualClock {
  const queue = new TimerQueue();
  const labels = new WeakMap<QueuedTimer, string>();
  const listeners = new Set<(event: ClockEvent) => void>();
  const tracked = new Set<Promise<unknown>>();
  let now = opts.startMs ?? 0;
  let fired = 0;
  // advance/runUntil/settle calls run one after another, never interleaved: two loops
  // moving the same time would fire events out of order.
  let running: Promise<unknown> = Promise.resolve();

  const exclusive = <T>(job: () => Promise<T>): Promise<T> => {
    const result = running.then(job, job);
    running = result.catch(() => undefined);
    return result;
  };

  const setTimeoutAt = (fn: () => void, at: number, label?: string): QueuedTimer => {
    const timer = queue.push(Number.isFinite(at) && at > now ? at : now, fn);
    if (label !== undefined) labels.set(timer, label);
    return timer;
  };

  const isTimer = (handle: unknown): handle is QueuedTimer =>
    typeof handle === 'object' && handle !== null && (handle as QueuedTimer).queue === queue;

  /** Lets promise continuations run and waits for tracked real work, until nothing is left. */
  const quiesce = async (): Promise<void> => {
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (tracked.size === 0) return;
      await Promise.allSettled([...tracked]);
    }
  };

  /** Fires the earliest timer. A timer that throws stops the run: the caller of advance/runUntil gets the error. */
  const fireNext = (): void => {
    const timer = queue.pop()!;
    now = timer.at;
    fired++;
    timer.fn();
    if (listeners.size > 0) {
      const event: ClockEvent = { at: now, n: fired };
      const label = labels.get(timer);
      if (label !== undefined) event.label = label;
      for (const listener of listeners) listener(event);
    }
  };

  const runUntil = (cond: () => boolean, runOpts: RunOptions = {}): Promise<void> =>
    exclusive(async () => {
      const timeoutMs = runOpts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const limit = now + timeoutMs;
      await quiesce();
      if (cond()) return;
      for (;;) {
        const next = queue.peek();
        if (!next || next.at > limit) {
          now = Math.max(now, limit);
          throw new GlupError('TIMEOUT', `condition not met within ${timeoutMs} ms of virtual time (now ${now} ms)`);
        }
        fireNext();
        await quiesce();
        if (cond()) return;
      }
    });

  return {
    now: () => now,
    setTimeout: (fn, ms) => setTimeoutAt(fn, now + (Number.isFinite(ms) && ms > 0 ? ms : 0)),
    setTimeoutAt,
    clearTimeout: (handle) => {
      if (isTimer(handle)) queue.cancel(handle);
    },
    track: (work) => {
      tracked.add(work);
      const forget = () => {
        tracked.delete(work);
      };
      work.then(forget, forget);
      return work;
    },
    advance: (ms) =>
      exclusive(async () => {
        if (!(ms >= 0)) throw new RangeError(`advance(ms) needs a non-negative number of milliseconds, got ${ms}`);
        const target = now + ms;
        await quiesce();
        for (let next = queue.peek(); next && next.at <= target; next = queue.peek()) {
          fireNext();
          await quiesce();
        }
        now = Math.max(now, target);
      }),
    runUntil,
    settle: async <T>(work: Promise<T>, runOpts: RunOptions = {}): Promise<T> => {
      let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
      work.then(
        (value) => {
          outcome = { ok: true, value };
        },
        (error: unknown) => {
          outcome = { ok: false, error };
        },
      );
      try {
        await runUntil(() => outcome !== undefined, runOpts);
      } catch (e) {
        if (e instanceof GlupError && e.code === 'TIMEOUT') {
          throw new GlupError('TIMEOUT', `promise did not settle within ${runOpts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms of virtual time (now ${now} ms)`);
        }
        throw e;
      }
      if (outcome!.ok) return outcome!.value;
      throw outcome!.error;
    },
    onEvent: (listener) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    pending: () => queue.size,
    events: () => fired,
  };
}
