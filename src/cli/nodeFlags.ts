/**
 * `glup node`: the flags of the long-running node process. Its implementation is
 * src/cli/node.ts (`runNode`), written with the runtime; this file only parses and checks
 * the command line so that bad flags exit 2 before anything starts.
 */
import { Option, type Command } from 'commander';
import { clusterArg, EXIT_FAILED, idListArg, intArg, loadImplementation, nameArg, portArg, UsageError } from './common.js';

export interface NodeCommandOptions {
  cluster: string;
  id: string;
  nats?: string;
  data?: string;
  persistence: 'file' | 'jetstream' | 'memory';
  priority: number;
  qualified: boolean;
  heartbeatMs?: number;
  missedHeartbeats?: number;
  glup?: 'multicast' | 'unicast';
  quorum?: 'majority' | 'none';
  initialMembers?: string[];
  user?: string;
  pass?: string;
  token?: string;
  nkeySeed?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  metricsPort?: number;
}

/** Contract of src/cli/node.ts: runs the node until SIGTERM (graceful leave), resolves with the exit code. */
export type RunNode = (opts: NodeCommandOptions) => Promise<number>;

export function register(program: Command): void {
  program
    .command('node')
    .description('run a long-lived cluster node; SIGTERM leaves gracefully')
    .requiredOption('--cluster <name>', 'cluster name', clusterArg)
    .requiredOption('--id <id>', 'node id', nameArg)
    .option('--nats <url>', 'NATS server URL(s), comma separated')
    .option('--data <dir>', 'data directory of the file store')
    .addOption(new Option('--persistence <kind>', 'store backend').choices(['file', 'jetstream', 'memory']).default('file'))
    .option('--priority <n>', 'higher is preferred as manager/backup', intArg(-1e9, 1e9), 0)
    .option('--no-qualified', 'never become manager or backup')
    .option('--heartbeat-ms <n>', 'heartbeat interval', intArg(1))
    .option('--missed-heartbeats <n>', 'intervals without answer before a node is declared failed', intArg(2))
    .addOption(new Option('--glup <mode>', 'update distribution').choices(['multicast', 'unicast']))
    .addOption(new Option('--quorum <mode>', 'majority, or none for two-node clusters').choices(['majority', 'none']))
    .option('--initial-members <ids>', 'comma-separated ids of the founding members', idListArg)
    .addOption(new Option('--user <user>', 'NATS user').conflicts(['token', 'nkeySeed']))
    .option('--pass <password>', 'NATS password')
    .addOption(new Option('--token <token>', 'NATS token').conflicts(['nkeySeed']))
    .option('--nkey-seed <file>', 'file holding the NATS nkey seed')
    .option('--tls-ca <file>', 'CA certificate for TLS')
    .option('--tls-cert <file>', 'client certificate for TLS')
    .option('--tls-key <file>', 'client key for TLS')
    .option('--metrics-port <n>', 'serve metrics over HTTP on this port', portArg)
    .action(async (flags: NodeCommandOptions) => {
      if ((flags.user === undefined) !== (flags.pass === undefined)) throw new UsageError('--user and --pass go together');
      if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
      if (flags.persistence === 'file' && flags.data === undefined) throw new UsageError('--persistence file needs --data DIR');
      const runNode = await loadImplementation<RunNode>('./node.js', 'runNode', 'node');
      process.exitCode = runNode ? await runNode(flags) : EXIT_FAILED;
    });
}
