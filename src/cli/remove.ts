/** `glup remove --cluster C ID`: permanently remove a dead node from the membership. */
import type { Command } from 'commander';
import { ADMIN_MODULE, type RemoveNodeFn } from './admin.js';
import { clusterArg, EXIT_FAILED, EXIT_OK, loadImplementation, log, nameArg } from './common.js';
import { addConnectionFlags, checkConnectionFlags, connectionOptions, type ConnectionFlags } from './connection.js';

export function register(program: Command): void {
  const command = program
    .command('remove')
    .description('permanently remove a dead node from the membership')
    .argument('<id>', 'node to remove', nameArg)
    .requiredOption('--cluster <name>', 'cluster name', clusterArg);
  addConnectionFlags(command).action(async (id: string, flags: ConnectionFlags & { cluster: string }) => {
    checkConnectionFlags(flags);
    const removeNode = await loadImplementation<RemoveNodeFn>(ADMIN_MODULE, 'removeNode', 'remove');
    if (!removeNode) {
      process.exitCode = EXIT_FAILED;
      return;
    }
    await removeNode({ cluster: flags.cluster, as: flags.as!, connection: connectionOptions(flags, flags.as!), id });
    log(`removed ${id} from ${flags.cluster}`);
    process.exitCode = EXIT_OK;
  });
}
