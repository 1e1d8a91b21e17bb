import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { LogStats } from './logStats.js';
import type { Store } from './store.js';

/** The file store's options and its public face (the implementation: file.ts). */

export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface FileStoreOptions {
  /** `always` (default): fsync before an append resolves; `interval`: every intervalMs; `never`: OS buffers. */
  fsync?: FsyncPolicy;
  intervalMs?: number;
  logger?: Logger;
  /** Drives the `interval` timer; file I/O is registered with `clock.track` for virtual time. */
  clock?: Clock;
}

export interface FileStoreStats extends LogStats {
  /** append() calls that were written. */
  appends: number;
}

export interface FileStore extends Store {
  readonly kind: 'file';
  readonly dir: string;
  readonly stats: FileStoreStats;
  /** The actor snapshots last saved (empty when none). */
  loadActorSnapshots(): Promise<Record<string, unknown>>;
}
