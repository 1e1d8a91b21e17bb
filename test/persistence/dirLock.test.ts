import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirLockedError, parseOwner } from '../../src/persistence/dirLock.js';
import { fileStore } from '../../src/persistence/index.js';
import { silentLogger } from '../../src/log.js';

const dirs: string[] = [];
test.after.always(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'glup-lock-'));
  dirs.push(d);
  return d;
}

/** A pid that surely is not running: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

test('the lock file holds pid and host, and is removed on close', async (t) => {
  const dir = tempDir();
  const s = fileStore(dir);
  await s.open();
  const owner = parseOwner(readFileSync(join(dir, 'LOCK'), 'utf8'));
  t.is(owner?.pid, process.pid);
  t.is(owner?.host, hostname());
  await s.close();
  t.false(existsSync(join(dir, 'LOCK')));
});

test('a lock held by another live process is refused naming the lock file and the pid', async (t) => {
  const dir = tempDir();
  const lock = join(dir, 'LOCK');
  writeFileSync(lock, `${JSON.stringify({ pid: process.ppid, host: hostname() })}\n`);
  const e = await t.throwsAsync(fileStore(dir).open(), { instanceOf: DataDirLockedError });
  t.true(e!.message.includes(`locked by process ${process.ppid}`), e!.message);
  t.true(e!.message.includes(lock), e!.message);
  t.is((e as DataDirLockedError).code, 'LOCKED');
  // refusing leaves the holder's lock alone
  t.is(parseOwner(readFileSync(lock, 'utf8'))?.pid, process.ppid);
});

test('a lock in the old format (a bare pid) is still honoured', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'LOCK'), `${process.ppid}\n`);
  await t.throwsAsync(fileStore(dir).open(), { message: new RegExp(`locked by process ${process.ppid}`) });
});

test('a stale lock from a dead pid is taken over with a warning naming the old pid', async (t) => {
  const dir = tempDir();
  const pid = await deadPid();
  writeFileSync(join(dir, 'LOCK'), `${JSON.stringify({ pid, host: hostname(), nonce: 'old' })}\n`);
  const warned: string[] = [];
  const s = fileStore(dir, { logger: silentLogger((level, msg) => level === 'warn' && warned.push(msg)) });
  const state = await s.open();
  t.is(parseOwner(readFileSync(join(dir, 'LOCK'), 'utf8'))?.pid, process.pid);
  t.deepEqual(warned, [`${join(dir, 'LOCK')}: took over the lock of process ${pid} on ${hostname()}, which no longer runs`]);
  t.deepEqual(state.warnings, warned);
  await s.close();
  t.deepEqual(readdirSync(dir).filter((n) => n.startsWith('LOCK')), [], 'no lock, guard or temp file is left behind');
});

test('a live pid that started at another time (a reused pid) holds a stale lock', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'LOCK'), `${JSON.stringify({ pid: process.ppid, host: hostname(), start: '1' })}\n`);
  const s = fileStore(dir);
  await s.open();
  t.is(parseOwner(readFileSync(join(dir, 'LOCK'), 'utf8'))?.pid, process.pid);
  await s.close();
});

test('a lock from another host is refused: only that host can tell whether its process runs', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'LOCK'), `${JSON.stringify({ pid: 1, host: 'elsewhere.example' })}\n`);
  await t.throwsAsync(fileStore(dir).open(), { message: /locked by process 1 on host elsewhere\.example/ });
});

/**
 * Processes racing for one directory: each loads, says "ready", waits for the go file, then
 * tries the lock and prints "won" (and holds it until killed) or "refused <pid>".
 */
const contender = new URL('./lockContender.ts', import.meta.url).pathname;

async function race(dir: string, n: number): Promise<{ won: number; refused: string[] }> {
  const go = join(dir, 'go');
  const children = Array.from({ length: n }, () => spawn('node', ['--import', 'tsx', contender, dir, go], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const lines = children.map((c) => {
    let out = '';
    let err = '';
    c.stderr!.on('data', (d) => (err += d));
    const ready = new Promise<void>((resolve, reject) => {
      c.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('ready')) resolve();
      });
      c.once('exit', (code) => reject(new Error(`contender exited ${code} before ready: ${err}`)));
    });
    const verdict = new Promise<string>((resolve, reject) => {
      c.stdout!.on('data', () => {
        const m = /(won|refused \d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      c.once('exit', (code) => reject(new Error(`contender exited ${code} without a verdict: ${err}`)));
    });
    return { ready, verdict };
  });
  try {
    await Promise.all(lines.map((l) => l.ready));
    writeFileSync(go, '');
    const verdicts = await Promise.all(lines.map((l) => l.verdict));
    return { won: verdicts.filter((v) => v === 'won').length, refused: verdicts.filter((v) => v !== 'won') };
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : null)));
  }
}

test('processes racing for a free directory: exactly one takes the lock, the others are refused naming it', async (t) => {
  for (let round = 0; round < 3; round++) {
    const dir = tempDir();
    const { won, refused } = await race(dir, 4);
    t.is(won, 1, `round ${round}: ${won} winners`);
    t.is(refused.length, 3);
  }
});

test('processes racing to take over one stale lock: exactly one takes it', async (t) => {
  for (let round = 0; round < 3; round++) {
    const dir = tempDir();
    writeFileSync(join(dir, 'LOCK'), `${JSON.stringify({ pid: await deadPid(), host: hostname() })}\n`);
    const { won, refused } = await race(dir, 4);
    t.is(won, 1, `round ${round}: ${won} winners`);
    t.is(new Set(refused).size, 1, `every loser names the one winner: ${refused.join(', ')}`);
  }
});
