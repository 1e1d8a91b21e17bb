import { GlupError } from '../errors.js';

/**
 * The real-time counterparts of the virtual clock's advance/runUntil/settle, so code and
 * tests written against a memory network run unchanged when it runs on wall time.
 */
const POLL_MS = 1;
const DEFAULT_TIMEOUT_MS = 60_000;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `everyMs`: how often `cond` is looked at (default 1 ms). */
export async function realRunUntil(cond: () => boolean, opts: { timeoutMs?: number; everyMs?: number } = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (cond()) return;
    if (Date.now() >= deadline) throw new GlupError('TIMEOUT', `condition not met within ${timeoutMs} ms`);
    await sleep(opts.everyMs ?? POLL_MS);
  }
}

export async function realSettle<T>(work: Promise<T>, opts: { timeoutMs?: number } = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new GlupError('TIMEOUT', `promise did not settle within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
