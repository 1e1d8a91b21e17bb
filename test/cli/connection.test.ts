/**
 * The connection flags every connecting command shares (src/cli/connection.ts): defaults,
 * environment variables, and bad combinations as bad input (exit 2).
 */
import test from 'ava';
import { Command } from 'commander';
import { addConnectionFlags, checkConnectionFlags, connectionOptions, type ConnectionFlags } from '../../src/cli/connection.js';
import { UsageError } from '../../src/cli/common.js';
import { runGlup } from '../helpers/cli.js';

function parse(args: string[], env: Record<string, string> = {}): ConnectionFlags {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const cmd = addConnectionFlags(new Command('x').exitOverride());
    cmd.parse(args, { from: 'user' });
    return cmd.opts() as ConnectionFlags;
  } finally {
    for (const k of Object.keys(env)) if (!(k in saved)) delete process.env[k];
  }
}

test('a tool speaks as --as, else as its --user, else as cli-<random>', (t) => {
  const named = parse(['--as', 'ops-1', '--user', 'operator', '--pass', 'x']);
  checkConnectionFlags(named);
  t.is(named.as, 'ops-1');
  const user = parse(['--user', 'operator', '--pass', 'x']);
  checkConnectionFlags(user);
  t.is(user.as, 'operator');
  const anonymous = parse([]);
  checkConnectionFlags(anonymous);
  t.regex(anonymous.as!, /^cli-[0-9a-f]{8}$/);
});

test('every flag has an environment variable, and the flag wins over it', (t) => {
  const flags = parse(['--nats', 'nats://a:4222'], { GLUP_NATS_URL: 'nats://b:4222', GLUP_USER: 'u', GLUP_PASS: 'p', GLUP_AS: 'tool' });
  checkConnectionFlags(flags);
  t.like(flags, { nats: 'nats://a:4222', user: 'u', pass: 'p', as: 'tool' });
  t.like(connectionOptions(flags), { servers: ['nats://a:4222'], user: 'u', pass: 'p', name: 'tool' });
  t.is(parse([]).nats, 'nats://127.0.0.1:4222');
});

test('bad combinations and unreadable files are bad input naming the flag', (t) => {
  t.throws(() => checkConnectionFlags(parse(['--user', 'u'])), { instanceOf: UsageError, message: /--user and --pass go together/ });
  t.throws(() => checkConnectionFlags(parse(['--token', 't', '--user', 'u', '--pass', 'p'])), { instanceOf: UsageError, message: /one way to authenticate/ });
  t.throws(() => checkConnectionFlags(parse(['--tls-cert', 'c.pem'])), { instanceOf: UsageError, message: /--tls-cert and --tls-key go together/ });
  t.throws(() => connectionOptions(parse(['--nkey-seed', '/nonexistent/seed.nk'])), { instanceOf: UsageError, message: /--nkey-seed \/nonexistent\/seed.nk: no such file/ });
});

test('the commands exit 2 on bad connection flags before connecting', async (t) => {
  const r = await runGlup(['status', '--cluster', 'c', '--creds', '/nonexistent/x.creds']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--creds \/nonexistent\/x.creds: no such file/);
  const s = await runGlup(['get', 'a', '--cluster', 'c', '--as', 'bad id']);
  t.is(s.code, 2);
});
