import { constants } from 'node:os';
import { join } from 'node:path';
import { realClock, type Clock } from '../clock.js';
import type { UpdateRecord } from '../db/types.js';
import type { StoreOp } from './health.js';
import { encodeRecordLine, encodeWithCrc } from './record.js';
import { loadActorSnapshots, type Store } from './store.js';

/**
 * A store wrapper that injects disk faults, for tests and simulation (issue 15).
 *
 * Fault model — what a plan can do to the operations passing through:
 * - **refuse a write whole**: once the bytes written reach `failAfterBytes` (a disk filling
 *   up; default errno ENOSPC) or an operation kind has succeeded `failAfterCalls[kind]`
 *   times, that write fails before reaching the inner store: nothing of it is stored. (A
 *   real file store may get half a record onto disk; it cuts it off itself.)
 * - **fail the fsync of an append** (`failFsync`, or `failAfterCalls.sync`): the records
 *   reach the inner store but the append rejects with an fsync error, so the caller cannot
 *   know whether they survive. `failFsync: 'lose'` drops them again, like a kernel that
 *   threw the dirty pages away.
 * - **delay durable operations** (`fsyncDelayMs`): append, snapshot, truncate, setEpoch,
 *   setIncarnation and reset resolve that long later on the store's clock (virtual time in
 *   simulation).
 * - once a fault fired, **every later write fails** with the same errno until `heal()`,
 *   like a full disk or a file system remounted read-only. As with a real file store after
 *   a failed write, the caller should reopen the store after healing to learn what it holds.
 * Never touched: `open`, `readRange` and `close` (reads), and what the inner store already
 * holds. Byte counts are of what the wrapper passes down (record lines, snapshot and meta
 * JSON), not of the inner store's disk usage: a truncate or compaction frees nothing here.
 */

/** errno codes a plan can inject. */
export type DiskErrorCode = 'ENOSPC' | 'EIO' | 'EROFS';

/** Operation kinds a plan counts calls of (`sync` counts the fsync of each append). */
export type FaultOp = Exclude<StoreOp, 'open'>;

export interface FaultPlan {
  /** Fail the write that would take the bytes written past this many. */
  failAfterBytes?: number;
  /** Fail the call after this many successful calls of a kind (0: the first call fails). */
  failAfterCalls?: Partial<Record<FaultOp, number>>;
  /** Fail the fsync of every append: the records are stored (`true`) or dropped (`'lose'`), the append rejects. */
  failFsync?: boolean | 'lose';
  /** Durable operations resolve this many ms later on the clock (a slow fsync). */
  fsyncDelayMs?: number;
  /** errno of the failures; default ENOSPC for `failAfterBytes`, EIO for the others. */
  code?: DiskErrorCode;
}

export interface FaultyStoreOptions {
  /** The clock of `fsyncDelayMs`; use the node's clock so a slow disk runs in virtual time. */
  clock?: Clock;
  /** Directory named in error paths; default the inner store's `dir`, else `memory`. */
  path?: string;
}

export interface FaultStats {
  /** Bytes passed to the inner store. */
  bytes: number;
  /** Successful calls per kind. */
  calls: Record<FaultOp, number>;
  /** Failures injected. */
  failures: number;
}

export interface FaultyStore extends Store {
  readonly inner: Store;
  /** The inner store's saved actor snapshots (empty when it keeps none). */
  loadActorSnapshots(): Promise<Record<string, unknown>>;
  readonly stats: FaultStats;
  /** The errno every write fails with since a fault fired, or null. */
  readonly failing: DiskErrorCode | null;
  /** Replaces the plan; counters keep counting from where they are. */
  setPlan(plan: FaultPlan): void;
  /** Stops failing: clears the failing state and the plan's failure rules (a slow fsync stays). */
  heal(): void;
}

const SYSCALL: Record<FaultOp, string> = {
  append: 'write',
  sync: 'fsync',
  snapshot: 'write',
  truncate: 'ftruncate',
  setCommitted: 'write',
  setEpoch: 'write',
  setIncarnation: 'write',
  saveActors: 'write',
  reset: 'ftruncate',
};

const DESCRIPTION: Record<DiskErrorCode, string> = {
  ENOSPC: 'no space left on device',
  EIO: 'i/o error',
  EROFS: 'read-only file system',
};

/** An error shaped like the ones node:fs rejects with: `code`, negative `errno`, `syscall`, `path`. */
/** An error shaped like Node's own (code, syscall, path), without needing Node's typings in the public types. */
export type FsError = Error & { code?: string; syscall?: string; path?: string; errno?: number };

export function fsError(code: DiskErrorCode, syscall: string, path: string): FsError {
  const e: FsError = new Error(`${code}: ${DESCRIPTION[code]}, ${syscall} '${path}'`);
  e.errno = -constants.errno[code];
  e.code = code;
  e.syscall = syscall;
  e.path = path;
  return e;
}

/** A meta.json write is about this big: counted for setCommitted/setEpoch/setIncarnation. */
const META_BYTES = 64;
const DURABLE = new Set<FaultOp>(['append', 'snapshot', 'truncate', 'setEpoch', 'setIncarnation', 'reset']);

export function faultyStore(inner: Store, plan: FaultPlan = {}, opts: FaultyStoreOptions = {}): FaultyStore {
  const clock = opts.clock ?? realClock;
  const dir = opts.path ?? (inner as { dir?: string }).dir ?? 'memory';
  const files: Record<FaultOp, string> = {
    append: 'log.jsonl',
    sync: 'log.jsonl',
    snapshot: 'snapshot-<seq>.json',
    truncate: 'log.jsonl',
    setCommitted: 'meta.json',
    setEpoch: 'meta.json',
    setIncarnation: 'meta.json',
    saveActors: 'actors.json',
    reset: 'log.jsonl',
  };
  let current: FaultPlan = { ...plan };
  let failing: DiskErrorCode | null = null;
  const stats: FaultStats = {
    bytes: 0,
    calls: { append: 0, sync: 0, snapshot: 0, truncate: 0, setCommitted: 0, setEpoch: 0, setIncarnation: 0, saveActors: 0, reset: 0 },
    failures: 0,
  };

  const fail = (op: FaultOp, code: DiskErrorCode, file = files[op]): never => {
    failing = code;
    stats.failures++;
    throw fsError(code, SYSCALL[op], join(dir, file));
  };

  /** Throws if this write must fail; otherwise counts it. */
  const admit = (op: FaultOp, bytes: number, file?: string): void => {
    if (failing) fail(op, failing, file);
    const limit = current.failAfterCalls?.[op];
    if (limit !== undefined && stats.calls[op] >= limit) fail(op, current.code ?? 'EIO', file);
    if (current.failAfterBytes !== undefined && stats.bytes + bytes > current.failAfterBytes) fail(op, current.code ?? 'ENOSPC', file);
    stats.calls[op]++;
    stats.bytes += bytes;
  };

  const delay = async (op: FaultOp): Promise<void> => {
    const ms = current.fsyncDelayMs ?? 0;
    if (ms > 0 && DURABLE.has(op)) await new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
  };

  const write = async <T>(op: FaultOp, bytes: number, work: () => Promise<T>, file?: string): Promise<T> => {
    admit(op, bytes, file);
    const value = await work();
    await delay(op);
    return value;
  };

  const append = async (records: UpdateRecord[]): Promise<void> => {
    if (records.length === 0) return inner.append(records);
    admit('append', records.reduce((n, r) => n + Buffer.byteLength(encodeRecordLine(r)), 0));
    await inner.append(records);
    const syncLimit = current.failFsync ? 0 : current.failAfterCalls?.sync;
    if (failing || (syncLimit !== undefined && stats.calls.sync >= syncLimit)) {
      if (current.failFsync === 'lose') await inner.truncateAfter(records[0]!.seq - 1);
      fail('sync', failing ?? current.code ?? 'EIO');
    }
    stats.calls.sync++;
    await delay('append');
  };

  return {
    kind: inner.kind,
    inner,
    stats,
    get failing() {
      return failing;
    },
    setPlan(p) {
      current = { ...p };
    },
    heal() {
      failing = null;
      current = current.fsyncDelayMs !== undefined ? { fsyncDelayMs: current.fsyncDelayMs } : {};
    },
    open: () => inner.open(),
    append,
    truncateAfter: (seq) => write('truncate', 0, () => inner.truncateAfter(seq)),
    readRange: (from, to) => inner.readRange(from, to),
    writeSnapshot: (snap) => write('snapshot', Buffer.byteLength(encodeWithCrc(snap)), () => inner.writeSnapshot(snap), `snapshot-${snap.seq}.json`),
    setCommitted: (seq) => write('setCommitted', META_BYTES, () => inner.setCommitted(seq)),
    setIncarnation: (n) => write('setIncarnation', META_BYTES, () => inner.setIncarnation(n)),
    setEpoch: (n) => write('setEpoch', META_BYTES, () => inner.setEpoch(n)),
    saveActorSnapshots: (s) => write('saveActors', Buffer.byteLength(JSON.stringify(s)), () => inner.saveActorSnapshots(s)),
    reset: () => write('reset', 0, () => inner.reset()),
    loadActorSnapshots: () => loadActorSnapshots(inner),
    close: () => inner.close(),
  };
}
