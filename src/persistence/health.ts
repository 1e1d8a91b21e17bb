import { realClock, type Clock } from '../clock.js';
import { loadActorSnapshots, type Store } from './store.js';

/**
 * Store health (issue 15: a failing disk never stalls the cluster). A store failure is a
 * node failure: the node must know that its store is failing, why, and when it works
 * again. `monitoredStore` wraps any store and keeps that state; the store itself stays a
 * dumb record keeper.
 *
 * What the node does with it (the core's part, see docs/operations.md "Disk faults"):
 * on `failing` it stops acking, reports (log line naming file and errno, metric, `store`
 * event, /readyz false), a manager hands over (or steps down), a member leaves; it retries
 * the store with backoff (close, open, a probe write) and rejoins once writes succeed.
 */

/** Store operations, by what they do to the disk. `sync` is the fsync that makes an append durable. */
export const STORE_OPS = ['open', 'append', 'sync', 'snapshot', 'truncate', 'setCommitted', 'setEpoch', 'setIncarnation', 'saveActors', 'reset'] as const;
export type StoreOp = (typeof STORE_OPS)[number];

/** One failed store operation, as the node reports it (log line, `store` event, `glup status`). */
export interface StoreFault {
  op: StoreOp;
  /** errno code (`ENOSPC`, `EIO`, `EROFS`, …), or `ERROR` for a failure without one. */
  code: string;
  /** The system call that failed, when the error says (`write`, `fsync`, `open`, …). */
  syscall?: string;
  /** The file, when the error names one. */
  path?: string;
  message: string;
  /** Clock time of the failure (ms). */
  at: number;
}

export interface StoreHealth {
  /** `failing` from the first failed write until a write succeeds again. */
  state: 'ok' | 'failing';
  /** Clock time the state was entered (ms). */
  since: number;
  /** The failure that made it `failing` (kept after recovery, for `glup status`). */
  lastError: StoreFault | null;
  /** Failed operations so far (a metric: `glup_store_failures_total`). */
  failures: number;
}

/**
 * Errors that mean the disk or the file system let the node down, as opposed to a bug of
 * the caller (an append out of order): the node answers the first by leaving and retrying,
 * the second is a programming error to surface as it is.
 */
export function isDiskError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const code = (e as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return true;
  // fileStore wraps the first I/O error of a broken log ("reopen the store") with it as cause
  return isDiskError((e as Error).cause);
}

/** The report of one failure: the errno fields of the error, or of its cause. */
export function storeFault(op: StoreOp, e: unknown, at: number): StoreFault {
  const err = e as NodeJS.ErrnoException;
  const io = (typeof err?.code === 'string' ? err : (err?.cause as NodeJS.ErrnoException | undefined)) ?? err;
  const fault: StoreFault = { op, code: typeof io?.code === 'string' ? io.code : 'ERROR', message: String(err?.message ?? e), at };
  if (typeof io?.syscall === 'string') fault.syscall = io.syscall;
  if (typeof io?.path === 'string') fault.path = io.path;
  return fault;
}

export interface MonitoredStore extends Store {
  readonly inner: Store;
  /** The inner store's saved actor snapshots (empty when it keeps none). */
  loadActorSnapshots(): Promise<Record<string, unknown>>;
  readonly health: StoreHealth;
  /** Called on every change of `health.state`; returns a function that removes the listener. */
  onHealth(fn: (health: StoreHealth) => void): () => void;
}

/** Writes whose success proves the disk works again. */
const WRITES = new Set<StoreOp>(['append', 'snapshot', 'truncate', 'setEpoch', 'setIncarnation', 'reset']);

/**
 * Wraps `inner` so that every operation failing with an I/O error (`isDiskError`) marks the
 * store `failing` (the error is rethrown unchanged), and the next successful write marks it
 * `ok` again. Reads never change the state.
 */
export function monitoredStore(inner: Store, opts: { clock?: Clock } = {}): MonitoredStore {
  const clock = opts.clock ?? realClock;
  const listeners = new Set<(h: StoreHealth) => void>();
  const health: StoreHealth = { state: 'ok', since: clock.now(), lastError: null, failures: 0 };
  const emit = () => {
    for (const fn of [...listeners]) fn({ ...health });
  };
  const watch = async <T>(op: StoreOp, work: () => Promise<T>): Promise<T> => {
    let value: T;
    try {
      value = await work();
    } catch (e) {
      // An append out of order is the caller's bug, not the disk's: it leaves the health alone.
      if (!isDiskError(e)) throw e;
      health.failures++;
      health.lastError = storeFault(op, e, clock.now());
      if (health.state === 'ok') {
        health.state = 'failing';
        health.since = health.lastError.at;
        emit();
      }
      throw e;
    }
    if (health.state === 'failing' && WRITES.has(op)) {
      health.state = 'ok';
      health.since = clock.now();
      emit();
    }
    return value;
  };
  return {
    kind: inner.kind,
    inner,
    get health() {
      return { ...health };
    },
    onHealth(fn) {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    open: () => watch('open', () => inner.open()),
    append: (records) => watch('append', () => inner.append(records)),
    truncateAfter: (seq) => watch('truncate', () => inner.truncateAfter(seq)),
    readRange: (from, to) => inner.readRange(from, to),
    writeSnapshot: (snap) => watch('snapshot', () => inner.writeSnapshot(snap)),
    setCommitted: (seq) => watch('setCommitted', () => inner.setCommitted(seq)),
    setIncarnation: (n) => watch('setIncarnation', () => inner.setIncarnation(n)),
    setEpoch: (n) => watch('setEpoch', () => inner.setEpoch(n)),
    saveActorSnapshots: (s) => watch('saveActors', () => inner.saveActorSnapshots(s)),
    reset: () => watch('reset', () => inner.reset()),
    loadActorSnapshots: () => loadActorSnapshots(inner),
    close: () => inner.close(),
  };
}
