import { open, rename, type FileHandle } from 'node:fs/promises';

/** The file-system primitives the file store builds on: each one says what a crash can leave. */

/** Calls `fn(start, end)` for each line of `buf` (without its '\n'; the last may have none). */
export function forEachLine(buf: Buffer, fn: (start: number, end: number) => void): void {
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    const end = nl < 0 ? buf.length : nl;
    fn(pos, end);
    pos = end + 1;
  }
}

/** write(2) may write less than asked (a full disk, a signal): loop until all of it is written or it throws. */
export async function writeFully(fh: FileHandle, buf: Buffer): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done);
    done += bytesWritten;
  }
}

/** Temp file, optional fsync, rename: a crash leaves the old content or the new, never half. */
export async function writeFileAtomic(path: string, data: string | Buffer, sync: boolean, renameIt = true): Promise<void> {
  const tmp = renameIt ? `${path}.tmp` : path;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      if (sync) await fh.sync();
    } finally {
      await fh.close();
    }
    if (renameIt) await rename(tmp, path);
  } catch (e) {
    throw withPath(e, tmp);
  }
}

/**
 * Errors of writes and syncs on an open file handle carry no path (only open and rename
 * errors do): add it, so that a full disk is reported with the file it hit.
 */
export function withPath(e: unknown, path: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && typeof err.code === 'string' && err.path === undefined) err.path = path;
  return e;
}

/** Makes a rename or create durable (the directory entry itself must reach the disk). */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
