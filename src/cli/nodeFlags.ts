/**
 * `glup node`: the flags of the long-running node process. Its implementation is
 * src/cli/node.ts (`runNode`), written with the runtime; this file only parses and checks
 * the command line so that bad flags exit 2 before anything starts.
 */
import { Option, type Command } from 'commander';
import { clusterArg, EXIT_FAILED, idListArg, intArg, loadImplementation, nameArg, portArg, UsageError } from './common.js';
import { addConnectionFlags, checkConnectionFlags, type ConnectionFlags } from './connection.js';

export interface NodeCommandOptions extends ConnectionFlags {
  cluster: string;
  id: string;
  data?: string;
  persistence: 'file' | 'jetstream' | 'memory';
  priority: number;
  qualified: boolean;
  heartbeatMs?: number;
  missedHeartbeats?: number;
  glup?: 'multicast' | 'unicast';
  quorum?: 'majority' | 'none';
  initialMembers?: string[];
  metricsPort?: number;
  metricsHost: string;
  /** Hosted actor types to define: `demo`, or the path of a module whose default export defines them (src/cli/nodeActors.ts). */
  actors?: string;
}

/** Contract of src/cli/node.ts: runs the node until SIGTERM (graceful leave), resolves with the exit code. */
export type RunNode = (opts: NodeCommandOptions) => Promise<number>;

export function register(program: Command): void {
  const command = program
    .command('node')
    .description('run a long-lived cluster node; SIGTERM leaves gracefully')
    .requiredOption('--cluster <name>', 'cluster name', clusterArg)
    .requiredOption('--id <id>', 'node id', nameArg)
    .option('--data <dir>', 'data directory of the file store')
    .addOption(new Option('--persistence <kind>', 'store backend').choices(['file', 'jetstream', 'memory']).default('file'))
    .option('--priority <n>', 'higher is preferred as manager/backup', intArg(-1e9, 1e9), 0)
    .option('--no-qualified', 'never become manager or backup')
    .option('--heartbeat-ms <n>', 'heartbeat interval', intArg(1))
    .option('--missed-heartbeats <n>', 'intervals without answer before a node is declared failed', intArg(2))
    .addOption(new Option('--glup <mode>', 'update distribution').choices(['multicast', 'unicast']))
    .addOption(new Option('--quorum <mode>', 'majority, or none for two-node clusters').choices(['majority', 'none']))
    .option('--initial-members <ids>', 'comma-separated ids of the founding members', idListArg)
    .option('--metrics-port <n>', 'serve /metrics, /livez, /readyz and /status over HTTP on this port (0: any free port)', portArg)
    .addOption(new Option('--metrics-host <host>', 'address the metrics server listens on (no authentication: keep it private)').env('GLUP_METRICS_HOST').default('127.0.0.1'))
    .addOption(new Option('--actors <module>', 'host actors: "demo" (counter, singleton-counter), or a module whose default export (node) => … defines them').env('GLUP_ACTORS'));
  // a node speaks as its --id: no --as
  addConnectionFlags(command, { speaker: false })
    .action(async (flags: NodeCommandOptions) => {
      checkConnectionFlags(flags, { speaker: false });
      if (flags.persistence === 'file' && flags.data === undefined) throw new UsageError('--persistence file needs --data DIR');
      const runNode = await loadImplementation<RunNode>('./node.js', 'runNode', 'node');
      process.exitCode = runNode ? await runNode(flags) : EXIT_FAILED;
    });
}
