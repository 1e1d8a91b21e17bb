/** `glup bench`: the benchmarks (bench/run.ts). */
import type { Command } from 'commander';
import { EXIT_FAILED, loadImplementation } from './common.js';

/** Contract of bench/run.ts: prints its results, resolves with the exit code. */
export type RunBench = () => Promise<number>;

export function register(program: Command): void {
  program
    .command('bench')
    .description('run the benchmarks')
    .action(async () => {
      const runBench = await loadImplementation<RunBench>('../../bench/run.js', 'runBench', 'bench');
      process.exitCode = runBench ? await runBench() : EXIT_FAILED;
    });
}
