/** A child process for dirLock.test.ts: races for a data directory's lock (see `race` there). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { acquireDirLock, DataDirLockedError } from '../../src/persistence/dirLock.js';
import { until } from '../helpers/poll.js';

const [dir, go] = process.argv.slice(2) as [string, string];
process.stdout.write('ready\n');
// every contender polls for the same file, so they all start within a few ms of each other
await until('the go file', () => existsSync(go), { everyMs: 2 });
try {
  await acquireDirLock(join(dir, 'LOCK'), dir);
  process.stdout.write('won\n');
  setInterval(() => undefined, 60_000); // hold it until killed
} catch (e) {
  if (!(e instanceof DataDirLockedError)) throw e;
  process.stdout.write(`refused ${e.holder.pid}\n`);
}
