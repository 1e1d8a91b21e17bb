/** `glup dashboard`: live web view of a cluster or of a trace (src/dashboard/server.ts). */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { NatsTransportOptions } from '../bus/nats.js';
import { clusterArg, DEFAULT_NATS_URL, EXIT_FAILED, nameArg, portArg, UsageError, loadImplementation } from './common.js';

/** The NATS credential flags of `glup node`, plus `--as`: what a tool needs to connect. */
export interface ConnectionFlags {
  nats?: string;
  /** The tool's id (envelope `from`, last subject token); env GLUP_AS; default the --user name, else cli-<random>. */
  as?: string;
  user?: string;
  pass?: string;
  token?: string;
  nkeySeed?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

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
    if (flags.trace !== undefined && (flags.cluster !== undefined || flags.nats !== undefined)) {
      throw new UsageError('dashboard takes either --trace FILE or --nats URL --cluster C, not both');
    }
    if (flags.trace === undefined && flags.cluster === undefined) throw new UsageError('dashboard needs --cluster C (with --nats URL) or --trace FILE');
    checkConnectionFlags(flags);
    const startDashboard = await loadImplementation<StartDashboard>('../dashboard/server.js', 'startDashboard', 'dashboard');
    process.exitCode = startDashboard ? await startDashboard(flags) : EXIT_FAILED;
  });
}

// ---- connection flags. Kept together so they can move to the shared helper of the commands
// that connect (status, switchover, remove, the data commands) in one piece.

export function addConnectionFlags(command: Command): Command {
  return command
    .option('--nats <url>', `NATS server URL(s), comma separated (default ${DEFAULT_NATS_URL})`)
    .option('--as <id>', 'speak as this id (env GLUP_AS; default: the --user name, else cli-<random>)', nameArg)
    .addOption(new Option('--user <user>', 'NATS user').conflicts(['token', 'nkeySeed']))
    .option('--pass <password>', 'NATS password')
    .addOption(new Option('--token <token>', 'NATS token').conflicts(['nkeySeed']))
    .option('--nkey-seed <file>', 'file holding the NATS nkey seed')
    .option('--tls-ca <file>', 'CA certificate for TLS')
    .option('--tls-cert <file>', 'client certificate for TLS')
    .option('--tls-key <file>', 'client key for TLS');
}

/** Bad combinations are bad input (exit 2); fills `as` from GLUP_AS or the user name. */
export function checkConnectionFlags(flags: ConnectionFlags): void {
  if ((flags.user === undefined) !== (flags.pass === undefined)) throw new UsageError('--user and --pass go together');
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  if (flags.as === undefined && process.env.GLUP_AS) {
    try {
      flags.as = nameArg(process.env.GLUP_AS);
    } catch (e) {
      throw new UsageError(`GLUP_AS: ${(e as Error).message}`);
    }
  }
  if (flags.as === undefined && flags.user !== undefined) {
    try {
      flags.as = nameArg(flags.user);
    } catch {
      throw new UsageError(`--user "${flags.user}" is not a valid id to speak as: give --as ID`);
    }
  }
}

/** The natsTransport options of the flags (the caller adds `name`: the id it speaks as). */
export function connectionOptions(flags: ConnectionFlags): NatsTransportOptions {
  const options: NatsTransportOptions = {
    servers: (flags.nats ?? DEFAULT_NATS_URL).split(',').map((s) => s.trim()).filter((s) => s !== ''),
  };
  if (flags.user !== undefined) options.user = flags.user;
  if (flags.pass !== undefined) options.pass = flags.pass;
  if (flags.token !== undefined) options.token = flags.token;
  if (flags.nkeySeed !== undefined) options.nkeySeed = readFileSync(flags.nkeySeed, 'utf8').trim();
  if (flags.tlsCa !== undefined || flags.tlsCert !== undefined) {
    options.tls = {
      ...(flags.tlsCa !== undefined && { ca: flags.tlsCa }),
      ...(flags.tlsCert !== undefined && { cert: flags.tlsCert }),
      ...(flags.tlsKey !== undefined && { key: flags.tlsKey }),
    };
  }
  return options;
}
