/** `glup bench`: the benchmarks (bench/run.ts). */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { EXIT_FAILED, loadImplementation } from './common.js';

/** The benchmarks are TypeScript in the repository; the npm package does not ship them. */
const BENCH_SOURCE = new URL('../../bench/run.ts', import.meta.url);

/** Contract of bench/run.ts: prints its results, resolves with the exit code. */
export type RunBench = (args: string[]) => Promise<number>;

export function register(program: Command): void {
  program
    .command('bench')
    .description('run the benchmarks (--peers: etcd side by side, writes bench/results.json and bench/RESULTS.md)')
    .option('--peers', 'run etcd (Debian etcd-server, installed when missing) and glup side by side')
    .option('--quick', 'short cells and few kills (under 3 minutes, for CI)')
    .action(async (opts: { peers?: boolean; quick?: boolean }) => {
      if (!existsSync(BENCH_SOURCE)) {
        process.stderr.write('glup bench runs from a clone of the glup repository (npx tsx bench/run.ts); the npm package does not include the benchmarks\n');
        process.exitCode = EXIT_FAILED;
        return;
      }
      const runBench = await loadImplementation<RunBench>('../../bench/run.js', 'runBench', 'bench');
      const args = [...(opts.peers ? ['--peers'] : []), ...(opts.quick ? ['--quick'] : [])];
      process.exitCode = runBench ? await runBench(args) : EXIT_FAILED;
    });
}
