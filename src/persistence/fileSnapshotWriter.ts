import { rm } from 'node:fs/promises';
import { writeFileAtomic } from './fileIo.js';

/**
 * Snapshot files written beside the file store's queue (issue 14): the write and fsync of a
 * snapshot cost the whole database, so they run while appends go on; only the install (the
 * rename, the bookkeeping, the compaction) takes a turn on the queue. What happens to the
 * store meanwhile can make a snapshot under way stale: a reset, or a truncate below its seq.
 * A stale snapshot is deleted instead of installed.
 */
export class SnapshotWriter {
  private readonly writes = new Set<Promise<unknown>>();
  private readonly writing = new Set<number>();
  private generation = 0;

  /** A reset: every snapshot under way is stale. */
  resetAll(): void {
    this.generation++;
  }

  /** Records after `seq` are cut: a snapshot under way above it holds some of them. */
  cutAfter(seq: number): void {
    if ([...this.writing].some((s) => s > seq)) this.generation++;
  }

  /**
   * Writes and syncs `text` to `path`.tmp, then calls `install(tmp, stale)` (which the store
   * runs on its queue); resolves when the install has run.
   */
  write(seq: number, path: string, text: string, install: (tmp: string, stale: () => boolean) => Promise<void>): Promise<void> {
    const generation = this.generation;
    const tmp = `${path}.tmp`;
    this.writing.add(seq);
    const done: Promise<void> = writeFileAtomic(tmp, text, true, false)
      .then(
        () => install(tmp, () => generation !== this.generation),
        async (e) => {
          await rm(tmp, { force: true }).catch(() => undefined);
          throw e;
        },
      )
      .finally(() => {
        this.writing.delete(seq);
        this.writes.delete(done);
      });
    this.writes.add(done);
    return done;
  }

  /** Resolves once every write under way has been installed or has failed (close waits for it). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.writes]);
  }
}
