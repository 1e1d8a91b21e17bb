/** `glup status`: one look at a running cluster; exit 1 when it has no agreed manager. */
import type { Command } from 'commander';
import { ADMIN_MODULE, type ClusterStatusFn } from './admin.js';
import { clusterArg, DEFAULT_NATS_URL, EXIT_FAILED, EXIT_OK, loadImplementation, out } from './common.js';

export function register(program: Command): void {
  program
    .command('status')
    .description('show the manager, backup, epoch, seq, nodes and groups of a running cluster')
    .requiredOption('--cluster <name>', 'cluster name', clusterArg)
    .option('--nats <url>', 'NATS server URL', DEFAULT_NATS_URL)
    .option('--json', 'print one JSON object {cluster, manager, backup, epoch, seq, nodes, groups, metrics}')
    .action(async (flags: { cluster: string; nats: string; json?: boolean }) => {
      const clusterStatus = await loadImplementation<ClusterStatusFn>(ADMIN_MODULE, 'clusterStatus', 'status');
      if (!clusterStatus) {
        process.exitCode = EXIT_FAILED;
        return;
      }
      const s = await clusterStatus({ cluster: flags.cluster, nats: flags.nats });
      if (flags.json) {
        out(JSON.stringify({ cluster: s.cluster, manager: s.manager, backup: s.backup, epoch: s.epoch, seq: s.seq, nodes: s.nodes, groups: s.groups, metrics: s.metrics }));
      } else {
        out(`cluster ${s.cluster}: manager ${s.manager ?? 'none'}, backup ${s.backup ?? 'none'}, epoch ${s.epoch}, seq ${s.seq}`);
        for (const [id, n] of Object.entries(s.nodes)) out(`  ${id.padEnd(12)} ${n.role.padEnd(8)} ${n.status}`);
        for (const [g, members] of Object.entries(s.groups)) out(`  group ${g}: ${members.join(', ')}`);
      }
      process.exitCode = s.manager !== null ? EXIT_OK : EXIT_FAILED;
    });
}
