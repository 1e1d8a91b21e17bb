/** `glup dashboard`: live web view of a cluster or of a trace (src/dashboard/server.ts). */
import type { Command } from 'commander';
import { clusterArg, EXIT_FAILED, portArg, UsageError, loadImplementation } from './common.js';
import { addConnectionFlags, checkConnectionFlags, type ConnectionFlags } from './connection.js';

export interface DashboardOptions extends ConnectionFlags {
  cluster?: string;
  trace?: string;
  port: number;
  host?: string;
}

/** Contract of src/dashboard/server.ts: serves until SIGINT/SIGTERM, then resolves with the exit code. */
export type StartDashboard = (opts: DashboardOptions) => Promise<number>;

export function register(program: Command): void {
  const command = program
    .command('dashboard')
    .description('live web view of a running cluster (--nats URL --cluster C) or of a trace (--trace FILE)')
    .option('--cluster <name>', 'cluster to watch', clusterArg)
    .option('--trace <file>', 'a trace written by glup run --trace')
    .option('--port <n>', 'HTTP port (0: any free port)', portArg, 8080)
    .option('--host <host>', 'address to listen on; the page has no authentication', '127.0.0.1');
  addConnectionFlags(command);
  command.action(async (flags: DashboardOptions) => {
    // --nats has a default: only one given on the command line or in GLUP_NATS_URL counts
    const natsGiven = command.getOptionValueSource('nats') !== 'default';
    if (flags.trace !== undefined && (flags.cluster !== undefined || natsGiven)) {
      throw new UsageError('dashboard takes either --trace FILE or --nats URL --cluster C, not both');
    }
    if (flags.trace === undefined && flags.cluster === undefined) throw new UsageError('dashboard needs --cluster C (with --nats URL) or --trace FILE');
    checkConnectionFlags(flags);
    const startDashboard = await loadImplementation<StartDashboard>('../dashboard/server.js', 'startDashboard', 'dashboard');
    process.exitCode = startDashboard ? await startDashboard(flags) : EXIT_FAILED;
  });
}
