import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir, writeFileAtomic } from './fileIo.js';

/**
 * `meta.json` of a file store's data directory: the small counters that are not records.
 * Rewritten whole (temp file and rename) on every change; writes are chained so that each
 * one writes the latest values and a later write never lands before an earlier one.
 */
export interface MetaValues {
  incarnation: number;
  committedSeq: number;
  epoch: number;
}

export const META_FILE = 'meta.json';

export class MetaFile {
  readonly path: string;
  values: MetaValues = { incarnation: 0, committedSeq: 0, epoch: 0 };
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string) {
    this.path = join(dir, META_FILE);
  }

  /** Reads the file; a missing one means a new directory, an unreadable one is reported and starts from zero. */
  async load(warn: (msg: string, fields: Record<string, unknown>) => void): Promise<MetaValues> {
    try {
      const m = JSON.parse(await readFile(this.path, 'utf8')) as { incarnation?: unknown; committedSeq?: unknown; epoch?: unknown };
      const num = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0);
      this.values = { incarnation: num(m.incarnation), committedSeq: num(m.committedSeq), epoch: num(m.epoch) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        warn(`${this.path}: unreadable meta (${(e as Error).message}); incarnation and committedSeq start at 0`, { file: this.path });
      }
      this.values = { incarnation: 0, committedSeq: 0, epoch: 0 };
    }
    return this.values;
  }

  /** Writes the current values; `durable` syncs the file and the directory before resolving. */
  save(durable: boolean): Promise<void> {
    const next = this.writing.then(async () => {
      await writeFileAtomic(this.path, JSON.stringify(this.values), durable);
      if (durable) await syncDir(this.dir);
    });
    this.writing = next.catch(() => {});
    return next;
  }

  /** Resolves once every write started so far has finished (successfully or not). */
  settled(): Promise<void> {
    return this.writing;
  }
}
