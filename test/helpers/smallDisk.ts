import type { ExecutionContext } from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { faultyStore, type FaultyStore } from '../../src/persistence/faulty.js';
import type { Store } from '../../src/persistence/store.js';

const run = promisify(execFile);

/**
 * A small disk for disk-full tests: a size-limited tmpfs mounted for the test (we run as
 * root), or — where mounting is not allowed (no root, a container without CAP_SYS_ADMIN) —
 * a plain temp directory whose stores are wrapped in faultyStore, which then plays the full
 * disk. Tests write the same code for both: `wrap` every store opened on the disk, and
 * `fill` / `free` the space. The mount is undone in teardown even when the test fails, and
 * at process exit as a last resort.
 */
export interface SmallDisk {
  /** The directory to put data directories in. */
  dir: string;
  /** `tmpfs`: a real file system that fills up; `faulty`: the fault store plays it. */
  kind: 'tmpfs' | 'faulty';
  /** Wraps a store opened on this disk (identity on tmpfs). */
  wrap<S extends Store>(store: S): Store;
  /** Takes all space but about `leaveBytes` (default 0): writes past it fail with ENOSPC. */
  fill(leaveBytes?: number): Promise<void>;
  /** Gives the space back. */
  free(): Promise<void>;
}

const mounted = new Set<string>();
process.once('exit', () => {
  for (const dir of mounted) {
    try {
      execFileSync('umount', ['-l', dir]);
    } catch {
      // already gone
    }
  }
});

async function tryMount(dir: string, sizeBytes: number): Promise<string | null> {
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir]);
    mounted.add(dir);
    return null;
  } catch (e) {
    return (e as { stderr?: string }).stderr?.trim() || (e as Error).message;
  }
}

async function unmount(dir: string): Promise<void> {
  try {
    await run('umount', [dir]);
  } catch {
    // busy (a store still open after a failed test): detach it now, the kernel frees it later
    await run('umount', ['-l', dir]).catch(() => undefined);
  }
  mounted.delete(dir);
}

/** `forceFallback` runs the faultyStore variant even where tmpfs works (to test both). */
export async function smallDisk(t: ExecutionContext, opts: { sizeBytes?: number; forceFallback?: boolean } = {}): Promise<SmallDisk> {
  const sizeBytes = opts.sizeBytes ?? 2 * 1024 * 1024;
  const dir = mkdtempSync(join(tmpdir(), 'glup-disk-'));
  const refused = opts.forceFallback ? 'fallback forced' : await tryMount(dir, sizeBytes);
  t.teardown(async () => {
    if (mounted.has(dir)) await unmount(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  if (refused === null) return tmpfsDisk(dir);
  t.log(`no tmpfs (${refused}): the fault store plays the full disk`);
  return faultyDisk(dir);
}

function tmpfsDisk(dir: string): SmallDisk {
  const filler = join(dir, 'filler');
  return {
    dir,
    kind: 'tmpfs',
    wrap: (store) => store,
    async fill(leaveBytes = 0) {
      const fh = await open(filler, 'a');
      const chunk = Buffer.alloc(64 * 1024);
      try {
        for (let size = chunk.length; size >= 4096; ) {
          try {
            await fh.write(chunk, 0, size);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
            size >>= 1; // top up with smaller writes until not even a page fits
          }
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (leaveBytes > 0) {
        const { size } = await stat(filler);
        await truncate(filler, Math.max(0, size - leaveBytes));
      }
    },
    async free() {
      await rm(filler, { force: true });
    },
  };
}

function faultyDisk(dir: string): SmallDisk {
  const stores: FaultyStore[] = [];
  return {
    dir,
    kind: 'faulty',
    wrap: (store) => {
      const f = faultyStore(store);
      stores.push(f);
      return f;
    },
    async fill(leaveBytes = 0) {
      for (const s of stores) s.setPlan({ failAfterBytes: s.stats.bytes + leaveBytes, code: 'ENOSPC' });
    },
    async free() {
      for (const s of stores) s.heal();
    },
  };
}
