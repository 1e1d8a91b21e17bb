import test from 'ava';
import { runGlup } from '../helpers/cli.js';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImplementation } from '../../src/cli/common.js';


const cli = (...args: string[]) => runGlup(args);

const FLAGS: Record<string, string[]> = {
  run: ['--transport', '--nats', '--persistence', '--seed', '--trace', '--report', '--keep-data', '--json'],
  replay: ['--json'],
  sim: ['--seeds', '--seed', '--from', '--workers', '--nodes', '--steps', '--faults', '--workload', '--check', '--coverage', '--json'],
  viz: ['--machine', '--format', '--out'],
  dashboard: ['--nats', '--cluster', '--trace', '--port'],
  node: [
    '--cluster', '--id', '--nats', '--data', '--persistence', '--priority', '--no-qualified', '--heartbeat-ms',
    '--missed-heartbeats', '--glup', '--quorum', '--initial-members', '--user', '--pass', '--token', '--nkey-seed',
    '--tls-ca', '--tls-cert', '--tls-key', '--metrics-port',
  ],
  status: ['--cluster', '--nats', '--json'],
  switchover: ['--cluster', '--to', '--nats'],
  remove: ['--cluster', '--nats'],
  bench: [],
};

test('glup --help lists every command of SPEC section 9', async (t) => {
  const r = await cli('--help');
  t.is(r.code, 0);
  for (const command of Object.keys(FLAGS)) t.regex(r.stdout, new RegExp(`\\n  ${command} `), command);
});

test('every command has --help with its flags', async (t) => {
  await Promise.all(
    Object.entries(FLAGS).map(async ([command, flags]) => {
      const r = await cli(command, '--help');
      t.is(r.code, 0, command);
      for (const flag of flags) t.true(r.stdout.includes(flag), `${command} ${flag}`);
    }),
  );
});

test('bad flags exit 2, not 1', async (t) => {
  const results = await Promise.all([
    cli('run', 'x.yaml', '--transport', 'tcp'),
    cli('run', 'x.yaml', '--seed', 'abc'),
    cli('run', 'x.yaml', '--no-such-flag'),
    cli('run'),
    cli('node', '--cluster', 'Bad_Name', '--id', 'n1'),
    cli('node', '--id', 'n1'),
    cli('sim', '--faults', 'kill,fire'),
    cli('sim', '--seeds', '3', '--seed', '1'),
    cli('viz', '--format', 'png'),
    cli('status'),
    cli('dashboard', '--port', '99999', '--trace', 'x'),
    cli('no-such-command'),
  ]);
  for (const r of results) t.is(r.code, 2, r.stderr);
  t.regex(results[0]!.stderr, /--transport.*tcp.*(memory|choices)/s);
  t.regex(results[6]!.stderr, /unknown fault "fire"/);
});

test('flag combinations that make no sense exit 2 before anything runs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'glup-cli-'));
  const file = join(dir, 's.yaml');
  await writeFile(file, 'name: s\ncluster:\n  nodes: 2\nsteps:\n  - start: all\n');
  const r1 = await cli('run', file, '--persistence', 'jetstream');
  t.is(r1.code, 2);
  t.regex(r1.stderr, /jetstream needs --transport nats/);
  const r2 = await cli('node', '--cluster', 'c', '--id', 'n1', '--user', 'u');
  t.is(r2.code, 2);
  t.regex(r2.stderr, /--user and --pass go together/);
  const r3 = await cli('dashboard');
  t.is(r3.code, 2);
});

test('an unreadable or invalid trace exits 2', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'glup-cli-'));
  const file = join(dir, 't.jsonl');
  await writeFile(file, '{"kind":"step"}\n');
  const r = await cli('replay', file);
  t.is(r.code, 2);
  t.true(r.stderr.includes(`${file}:1:1: the first line must be the trace header`), r.stderr);
  t.is((await cli('replay', join(dir, 'missing.jsonl'))).code, 2);
});

test('a command whose implementation is missing says "not supported yet"', async (t) => {
  const writes: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => {
    writes.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    t.is(await loadImplementation('../no-such-dir/impl.js', 'run', 'frobnicate'), null);
  } finally {
    process.stderr.write = original;
  }
  t.deepEqual(writes, ['not supported yet: frobnicate\n']);
  const fn = await loadImplementation<(v: string) => boolean>('../ids.js', 'isName', 'x');
  t.is(typeof fn, 'function');
});
