/**
 * `npm run bench` / `glup bench`: runs every benchmark in turn. Each writes its results,
 * with the command and the machine, under bench/results/.
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

const BENCHES = ['bench/bus.ts', 'bench/persistence.ts'];

export async function runBench(): Promise<number> {
  let failed = 0;
  for (const file of BENCHES) {
    console.log(`== ${file}`);
    const r = spawnSync(process.execPath, ['--import=tsx', file], { stdio: 'inherit' });
    if (r.status !== 0) failed++;
  }
  return failed ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runBench();
}
