/** `glup remove --cluster C ID`: permanently remove a dead node from the membership. */
import type { Command } from 'commander';
import { ADMIN_MODULE, type RemoveNodeFn } from './admin.js';
import { clusterArg, DEFAULT_NATS_URL, EXIT_FAILED, EXIT_OK, loadImplementation, log, nameArg } from './common.js';

export function register(program: Command): void {
  program
    .command('remove')
    .description('permanently remove a dead node from the membership')
    .argument('<id>', 'node to remove', nameArg)
    .requiredOption('--cluster <name>', 'cluster name', clusterArg)
    .option('--nats <url>', 'NATS server URL', DEFAULT_NATS_URL)
    .action(async (id: string, flags: { cluster: string; nats: string }) => {
      const removeNode = await loadImplementation<RemoveNodeFn>(ADMIN_MODULE, 'removeNode', 'remove');
      if (!removeNode) {
        process.exitCode = EXIT_FAILED;
        return;
      }
      await removeNode({ cluster: flags.cluster, nats: flags.nats, id });
      log(`removed ${id} from ${flags.cluster}`);
      process.exitCode = EXIT_OK;
    });
}
