/** `glup switchover --cluster C --to ID`: graceful handover of the manager role. */
import type { Command } from 'commander';
import { ADMIN_MODULE, type SwitchoverFn } from './admin.js';
import { clusterArg, DEFAULT_NATS_URL, EXIT_FAILED, EXIT_OK, loadImplementation, log, nameArg } from './common.js';

export function register(program: Command): void {
  program
    .command('switchover')
    .description('hand the manager role to a qualified member')
    .requiredOption('--cluster <name>', 'cluster name', clusterArg)
    .requiredOption('--to <id>', 'the new manager', nameArg)
    .option('--nats <url>', 'NATS server URL', DEFAULT_NATS_URL)
    .action(async (flags: { cluster: string; to: string; nats: string }) => {
      const switchover = await loadImplementation<SwitchoverFn>(ADMIN_MODULE, 'switchover', 'switchover');
      if (!switchover) {
        process.exitCode = EXIT_FAILED;
        return;
      }
      await switchover({ cluster: flags.cluster, nats: flags.nats, to: flags.to });
      log(`switchover to ${flags.to} done`);
      process.exitCode = EXIT_OK;
    });
}
