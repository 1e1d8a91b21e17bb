/**
 * The connection flags of every command that talks to NATS (`node`, `status`, `switchover`,
 * `remove`, `get`/`put`/`delete`/`cas`/`watch`, `dashboard`; SPEC sections 8 and 9), in one
 * place so they are spelled, defaulted and checked the same everywhere. Each flag has an
 * environment variable, which keeps secrets out of `ps` output:
 *
 *   --nats URL          GLUP_NATS_URL     --nkey-seed FILE    GLUP_NKEY_SEED
 *   --user U            GLUP_USER         --creds FILE        GLUP_CREDS
 *   --pass P            GLUP_PASS         --tls-ca FILE       GLUP_TLS_CA
 *   --token T           GLUP_TOKEN        --tls-cert FILE     GLUP_TLS_CERT
 *   --as ID             GLUP_AS           --tls-key FILE      GLUP_TLS_KEY
 *
 * `--as` is the id a tool speaks as: the envelopes' `from` and the last token of its
 * subjects, which a locked-down nats-server checks (docs/security.md). Default: the `--user`
 * name, else `cli-<random>`. `glup node` speaks as its `--id` and has no `--as`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { NatsTransportOptions } from '../bus/nats.js';
import { isName } from '../ids.js';
import { DEFAULT_NATS_URL, nameArg, UsageError } from './common.js';

export interface ConnectionFlags {
  /** Default DEFAULT_NATS_URL (commander fills it in; GLUP_NATS_URL overrides). */
  nats?: string;
  /** The id a tool speaks as (filled in by checkConnectionFlags); nodes speak as --id. */
  as?: string;
  user?: string;
  pass?: string;
  token?: string;
  nkeySeed?: string;
  creds?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** Adds the flags above to `command`; `speaker: false` leaves out `--as` (for `glup node`). */
export function addConnectionFlags(command: Command, opts: { speaker?: boolean } = {}): Command {
  const flag = (spec: string, help: string, env: string) => new Option(spec, help).env(env);
  command.addOption(flag('--nats <url>', 'NATS server URL(s), comma separated', 'GLUP_NATS_URL').default(DEFAULT_NATS_URL));
  if (opts.speaker !== false) {
    command.addOption(flag('--as <id>', 'speak as this id (default: the --user name, else cli-<random>)', 'GLUP_AS').argParser(nameArg));
  }
  return command
    .addOption(flag('--user <user>', 'NATS user (with --pass)', 'GLUP_USER'))
    .addOption(flag('--pass <password>', 'NATS password', 'GLUP_PASS'))
    .addOption(flag('--token <token>', 'NATS token', 'GLUP_TOKEN'))
    .addOption(flag('--nkey-seed <file>', 'file holding an nkey seed (SU…)', 'GLUP_NKEY_SEED'))
    .addOption(flag('--creds <file>', 'NATS .creds file (user JWT and seed)', 'GLUP_CREDS'))
    .addOption(flag('--tls-ca <file>', 'CA certificate (PEM) to verify the server', 'GLUP_TLS_CA'))
    .addOption(flag('--tls-cert <file>', 'client certificate (PEM), with --tls-key', 'GLUP_TLS_CERT'))
    .addOption(flag('--tls-key <file>', 'client key (PEM), with --tls-cert', 'GLUP_TLS_KEY'));
}

/** Bad combinations are bad input (exit 2). Fills `as` for a tool: --as, else the user name, else cli-<random>. */
export function checkConnectionFlags(flags: ConnectionFlags, opts: { speaker?: boolean } = {}): void {
  if ((flags.user === undefined) !== (flags.pass === undefined)) throw new UsageError('--user and --pass go together (or GLUP_USER and GLUP_PASS)');
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const methods = [flags.user !== undefined && '--user', flags.token !== undefined && '--token', flags.nkeySeed !== undefined && '--nkey-seed', flags.creds !== undefined && '--creds'].filter(Boolean);
  if (methods.length > 1) throw new UsageError(`give one way to authenticate, not ${methods.join(' and ')}`);
  if (opts.speaker === false || flags.as !== undefined) return;
  if (flags.user !== undefined) {
    if (!isName(flags.user)) throw new UsageError(`--user "${flags.user}" is not a valid id to speak as ([A-Za-z0-9_-], 1 to 64 characters): give --as ID`);
    flags.as = flags.user;
    return;
  }
  flags.as = `cli-${randomBytes(4).toString('hex')}`;
}

/**
 * The natsTransport options the flags give (`name` is the connection name the server shows).
 * Reads the nkey seed and creds files here, so an unreadable one is bad input naming the flag.
 */
export function connectionOptions(flags: ConnectionFlags, name = flags.as): NatsTransportOptions {
  const options: NatsTransportOptions = {
    servers: (flags.nats ?? DEFAULT_NATS_URL).split(',').map((s) => s.trim()).filter((s) => s !== ''),
    ...(name !== undefined && { name }),
  };
  if (options.servers.length === 0) throw new UsageError('--nats: no server URL given');
  if (flags.user !== undefined) options.user = flags.user;
  if (flags.pass !== undefined) options.pass = flags.pass;
  if (flags.token !== undefined) options.token = flags.token;
  if (flags.nkeySeed !== undefined) options.nkeySeed = readFlagFile('--nkey-seed', flags.nkeySeed).trim();
  if (flags.creds !== undefined) options.creds = readFlagFile('--creds', flags.creds);
  if (flags.tlsCa !== undefined || flags.tlsCert !== undefined) {
    for (const [flag, file] of [['--tls-ca', flags.tlsCa], ['--tls-cert', flags.tlsCert], ['--tls-key', flags.tlsKey]] as const) {
      if (file !== undefined) readFlagFile(flag, file);
    }
    options.tls = {
      ...(flags.tlsCa !== undefined && { ca: flags.tlsCa }),
      ...(flags.tlsCert !== undefined && { cert: flags.tlsCert }),
      ...(flags.tlsKey !== undefined && { key: flags.tlsKey }),
    };
  }
  return options;
}

function readFlagFile(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${flag} ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}
