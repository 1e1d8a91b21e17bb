/**
 * One process per data directory (SPEC section 6), as an operator meets it: two `glup node`
 * processes started together on one --data directory. Exactly one opens it; the other exits
 * 2 with a message naming the lock file and the pid that holds it. The winner of each round
 * is then killed with SIGKILL, so every later round also races over a stale lock.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnGlupNode, type GlupNodeProcess } from '../helpers/glupNodeProcess.js';
import { startNatsServer, type NatsServer } from '../helpers/natsServer.js';

const ROUNDS = 4;
let nats: NatsServer;
const dataRoot = mkdtempSync(join(tmpdir(), 'glup-node-lock-'));
const spawned: GlupNodeProcess[] = [];

test.before(async () => {
  nats = await startNatsServer();
});

test.after.always(async () => {
  for (const p of spawned) p.child.kill('SIGKILL');
  await Promise.all(spawned.map((p) => p.exited));
  await nats?.stop();
  rmSync(dataRoot, { recursive: true, force: true });
});

test(`two glup node processes started together on one directory: one opens it, the other exits 2 naming the lock and pid (${ROUNDS} rounds)`, async (t) => {
  const dir = join(dataRoot, 'n1');
  const lock = join(dir, 'LOCK');
  for (let round = 1; round <= ROUNDS; round++) {
    const pair = ['a', 'b'].map((tag) => {
      const p = spawnGlupNode(`n1${tag}`, ['--cluster', `lock-${round}`, '--id', 'n1', '--nats', nats.url, '--data', dir, '--heartbeat-ms', '100']);
      spawned.push(p);
      return p;
    });
    // The loser exits at once; the winner runs on (and becomes its own cluster's manager).
    const first = await Promise.race(pair.map((p) => p.exited.then((code) => ({ p, code }))));
    const loser = first.p;
    const winner = pair.find((p) => p !== loser)!;
    t.is(first.code, 2, `round ${round}: exit code of the refused process; stderr: ${loser.stderr}`);
    t.regex(loser.stderr, new RegExp(`locked by process ${winner.child.pid}\\b`), `round ${round}`);
    t.true(loser.stderr.includes(lock), `round ${round}: names ${lock}: ${loser.stderr}`);
    await winner.waitForRole((r) => r === 'manager', 30_000);
    t.is(winner.child.exitCode, null, `round ${round}: the winner runs on`);
    winner.child.kill('SIGKILL');
    await winner.exited;
  }
});
