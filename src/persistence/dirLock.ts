import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { crc32 } from 'node:zlib';

/**
 * One process per data directory (SPEC section 6). Two writers on one log would interleave
 * records and corrupt it, so the directory's `LOCK` file names the one process allowed in.
 *
 * The lock file is created exclusively and complete: its content is written to a private
 * temp file which is then hard-linked to `LOCK`. link(2) fails with EEXIST when `LOCK`
 * exists, like open(O_CREAT|O_EXCL), but a reader never sees a lock file that exists and is
 * still empty (with O_EXCL a contender could read it between create and write and not know
 * whose it is).
 *
 * A lock whose process is dead (same host: `kill(pid, 0)` says ESRCH, or the pid now belongs
 * to a process started at another time) is taken over with a warning. Taking over means
 * deleting someone else's file, which two contenders must not both do (the second would
 * delete the first one's fresh lock), so the deletion itself is guarded by a lock named after
 * the stale content, taken the same way: exactly one contender removes a given stale lock.
 * A lock from another host is never judged: only an operator can tell if that process runs.
 */

/** What a lock file holds, one JSON line. Older files hold only `<pid>\n`. */
export interface LockOwner {
  pid: number;
  host?: string;
  /** Process start time (Linux: clock ticks since boot, /proc/<pid>/stat field 22), to tell a reused pid. */
  start?: string;
  /** Unique per acquisition, so a holder releases only its own lock. */
  nonce?: string;
}

/** The data directory is held by another live process (or one on another host). */
export class DataDirLockedError extends Error {
  readonly code = 'LOCKED';
  constructor(
    readonly lockPath: string,
    readonly holder: LockOwner,
    readonly dir: string,
  ) {
    const host = holder.host ?? hostname();
    const where = host === hostname() ? `` : ` on host ${host} (another machine: glup cannot check that it still runs)`;
    super(`data directory ${dir} is locked by process ${holder.pid}${where}; lock file ${lockPath}. Stop that process first, or remove the lock file if it no longer runs`);
    this.name = 'DataDirLockedError';
  }
}

export interface HeldLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** Set when a stale lock was taken over: who held it. */
  readonly tookOverFrom: LockOwner | null;
  /** Removes the lock file if it is still this holder's. */
  release(): Promise<void>;
}

/** How long a contender waits for another one that is taking over the same stale lock. */
const TAKEOVER_WAIT_MS = 3000;
const RETRY_MS = 10;
/** Guards of guards exist only when a process dies in the middle of a takeover; a chain this deep means something else is wrong. */
const MAX_DEPTH = 4;

/** Takes `path` for this process or throws DataDirLockedError; `dir` names the directory in messages. */
export async function acquireDirLock(path: string, dir: string): Promise<HeldLock> {
  return acquire(path, dir, 0);
}

async function acquire(path: string, dir: string, depth: number): Promise<HeldLock> {
  if (depth > MAX_DEPTH) throw new Error(`${path}: too many interrupted takeovers of a stale lock; remove ${path}* by hand`);
  const owner: LockOwner = { pid: process.pid, host: hostname(), nonce: randomBytes(8).toString('hex') };
  const start = processStart(process.pid);
  if (start !== undefined) owner.start = start;
  const text = `${JSON.stringify(owner)}\n`;
  const tmp = `${path}.${owner.nonce}.tmp`;
  let tookOverFrom: LockOwner | null = null;
  const deadline = Date.now() + TAKEOVER_WAIT_MS;
  for (;;) {
    await writeFile(tmp, text);
    try {
      await link(tmp, path);
      await unlink(tmp).catch(() => undefined);
      return {
        path,
        owner,
        tookOverFrom,
        release: async () => {
          const now = await readFile(path, 'utf8').catch(() => null);
          if (now === text) await unlink(path).catch(() => undefined);
        },
      };
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      // ENOENT: the holder's recovery removed our temp file (it clears *.tmp): try again
      if (code(e) === 'ENOENT') continue;
      if (code(e) !== 'EEXIST') throw e;
    }
    const heldText = await readFile(path, 'utf8').catch((e) => {
      if (code(e) === 'ENOENT') return null; // released meanwhile: try again
      throw e;
    });
    if (heldText === null) continue;
    const holder = parseOwner(heldText);
    if (holder && isAlive(holder)) throw new DataDirLockedError(path, holder, dir);
    // Dead holder, or a file no process could have written whole (a crash of an old version).
    if (await removeStale(path, heldText, dir, depth)) tookOverFrom = holder ?? { pid: 0 };
    else if (Date.now() > deadline) {
      throw new Error(`${path}: another process has been taking over this stale lock for ${TAKEOVER_WAIT_MS} ms; try again`);
    } else await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}

/**
 * Removes `path` if it still holds `staleText`; false when another contender holds the
 * takeover guard (the caller waits and looks again).
 */
async function removeStale(path: string, staleText: string, dir: string, depth: number): Promise<boolean> {
  const guardPath = `${path}.takeover-${crc32(staleText).toString(16)}`;
  let guard: HeldLock;
  try {
    guard = await acquire(guardPath, dir, depth + 1);
  } catch (e) {
    if (e instanceof DataDirLockedError) return false;
    throw e;
  }
  try {
    // Only the holder of this guard deletes a lock with this content, so between this read
    // and the unlink nobody else can have replaced it (a new lock needs the file gone first).
    const now = await readFile(path, 'utf8').catch(() => null);
    if (now === staleText) await unlink(path);
    return true;
  } finally {
    await guard.release();
  }
}

export function parseOwner(text: string): LockOwner | null {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed) };
  try {
    const v = JSON.parse(trimmed) as Record<string, unknown>;
    if (!Number.isSafeInteger(v.pid) || (v.pid as number) <= 0) return null;
    const owner: LockOwner = { pid: v.pid as number };
    if (typeof v.host === 'string') owner.host = v.host;
    if (typeof v.start === 'string') owner.start = v.start;
    if (typeof v.nonce === 'string') owner.nonce = v.nonce;
    return owner;
  } catch {
    return null;
  }
}

/** A lock from another host counts as alive: only its own host can tell. */
function isAlive(owner: LockOwner): boolean {
  if (owner.host !== undefined && owner.host !== hostname()) return true;
  // Our own pid on a lock we did not take (this process holds each directory once): a
  // previous process that had the same pid, common in containers where the node is pid 1.
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if (code(e) !== 'EPERM') return false;
  }
  if (owner.start !== undefined) {
    const start = processStart(owner.pid);
    if (start !== undefined && start !== owner.start) return false; // the pid was reused
  }
  return true;
}

/** Start time of a process in clock ticks since boot (Linux), or undefined where /proc is missing. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may contain spaces: count after the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}
