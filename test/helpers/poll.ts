/**
 * The one polling helper of the tests. Polling is for what a test cannot be told about:
 * another process, a real nats-server, an HTTP endpoint. In-process actors raise events
 * instead; the memory transport has a virtual clock.
 *
 * Every wait names what it waits for, so a timeout reads as a sentence:
 *   `the restarted node caught up: not within 30000 ms (last: {"committedSeq":41})`.
 */

export interface PollOptions {
  /** Give up after this long (default 30 s: generous, a shared 2-core machine is slow). */
  timeoutMs?: number;
  /** Look again this often (default 100 ms). */
  everyMs?: number;
  /** Called after each look that failed, before the pause: e.g. publish again until someone hears one. */
  tick?: () => void;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_EVERY_MS = 100;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function describe(v: unknown): string {
  if (v instanceof Error) return v.message;
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 300 ? `${s.slice(0, 300)}…` : s;
  } catch {
    return String(v);
  }
}

/**
 * Looks until `pred` holds for what `read` returned. `retry`: whether a `read` that throws
 * counts as "not yet" (else the error ends the wait at once).
 */
async function poll<T>(what: string, read: () => T | Promise<T>, pred: (v: T) => boolean, opts: PollOptions, retry: boolean): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let last: { value: T } | { error: unknown } | null = null;
  for (;;) {
    try {
      const value = await read();
      if (pred(value)) return value;
      last = { value };
    } catch (error) {
      if (!retry) throw error;
      last = { error };
    }
    if (Date.now() > deadline) {
      const seen = last === null ? '' : 'error' in last ? ` (last error: ${describe(last.error)})` : ` (last: ${describe(last.value)})`;
      throw new Error(`${what}: not within ${timeoutMs} ms${seen}`);
    }
    opts.tick?.();
    await pause(opts.everyMs ?? DEFAULT_EVERY_MS);
  }
}

/**
 * Resolves once `cond` holds; rejects with `<what>: not within <timeoutMs> ms`. A `cond`
 * that throws ends the wait with its error (a process that died will not come up).
 *
 * @example
 *   await until('first updates acked', () => writer.acked.size >= 10, { timeoutMs: 90_000 });
 */
export async function until(what: string, cond: () => boolean | Promise<boolean>, opts: PollOptions = {}): Promise<void> {
  await poll(what, cond, (ok) => ok, opts, false);
}

/**
 * Polls `read` until `pred` holds for what it returned, and resolves with that value. A
 * `read` that throws counts as "not yet" (a server still restarting); the last value or
 * error is in the timeout's message.
 *
 * @example
 *   const s = await untilValue('n2 is manager', () => clusterStatus(opts), (x) => x.manager === 'n2');
 */
export async function untilValue<T>(what: string, read: () => T | Promise<T>, pred: (v: T) => boolean, opts: PollOptions = {}): Promise<T> {
  return poll(what, read, pred, opts, true);
}

/**
 * Retries `fn` until it stops throwing and resolves with its result (what NATS reconnects
 * need: the first calls after a server restart fail).
 *
 * @example
 *   const state = await eventually('the store reopens', () => store.open());
 */
export async function eventually<T>(what: string, fn: () => T | Promise<T>, opts: PollOptions = {}): Promise<T> {
  return poll(what, fn, () => true, opts, true);
}
