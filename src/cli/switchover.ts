/** `glup switchover --cluster C --to ID`: graceful handover of the manager role. */
import type { Command } from 'commander';
import { ADMIN_MODULE, type SwitchoverFn } from './admin.js';
import { clusterArg, EXIT_FAILED, EXIT_OK, loadImplementation, log, nameArg } from './common.js';
import { addConnectionFlags, checkConnectionFlags, connectionOptions, type ConnectionFlags } from './connection.js';

export function register(program: Command): void {
  const command = program
    .command('switchover')
    .description('hand the manager role to a qualified member')
    .requiredOption('--cluster <name>', 'cluster name', clusterArg)
    .requiredOption('--to <id>', 'the new manager', nameArg);
  addConnectionFlags(command).action(async (flags: ConnectionFlags & { cluster: string; to: string }) => {
    checkConnectionFlags(flags);
    const switchover = await loadImplementation<SwitchoverFn>(ADMIN_MODULE, 'switchover', 'switchover');
    if (!switchover) {
      process.exitCode = EXIT_FAILED;
      return;
    }
    await switchover({ cluster: flags.cluster, as: flags.as!, connection: connectionOptions(flags, flags.as!), to: flags.to });
    log(`switchover to ${flags.to} done`);
    process.exitCode = EXIT_OK;
  });
}
