/** `glup dashboard`: live web view of a cluster or of a trace (src/dashboard/server.ts). */
import type { Command } from 'commander';
import { clusterArg, EXIT_FAILED, portArg, UsageError, loadImplementation } from './common.js';

export interface DashboardOptions {
  nats?: string;
  cluster?: string;
  trace?: string;
  port: number;
}

/** Contract of src/dashboard/server.ts: serves until SIGINT/SIGTERM, then resolves with the exit code. */
export type StartDashboard = (opts: DashboardOptions) => Promise<number>;

export function register(program: Command): void {
  program
    .command('dashboard')
    .description('live web view of a running cluster (--nats URL --cluster C) or of a trace (--trace FILE)')
    .option('--nats <url>', 'NATS server URL of the cluster')
    .option('--cluster <name>', 'cluster to watch', clusterArg)
    .option('--trace <file>', 'a trace written by glup run --trace')
    .option('--port <n>', 'HTTP port', portArg, 8080)
    .action(async (flags: DashboardOptions) => {
      if (flags.trace !== undefined && (flags.cluster !== undefined || flags.nats !== undefined)) {
        throw new UsageError('dashboard takes either --trace FILE or --nats URL --cluster C, not both');
      }
      if (flags.trace === undefined && flags.cluster === undefined) throw new UsageError('dashboard needs --cluster C (with --nats URL) or --trace FILE');
      const startDashboard = await loadImplementation<StartDashboard>('../dashboard/server.js', 'startDashboard', 'dashboard');
      process.exitCode = startDashboard ? await startDashboard(flags) : EXIT_FAILED;
    });
}
