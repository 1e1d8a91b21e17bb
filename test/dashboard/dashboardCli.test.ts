import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runGlup } from '../helpers/cli.js';

const cli = (...args: string[]) => runGlup(args);

test('glup dashboard --help names every flag, the credential flags of glup node and --as among them', async (t) => {
  const r = await cli('dashboard', '--help');
  t.is(r.code, 0);
  for (const flag of ['--nats', '--cluster', '--trace', '--port', '--host', '--as', '--user', '--pass', '--token', '--nkey-seed', '--tls-ca', '--tls-cert', '--tls-key']) t.true(r.stdout.includes(flag), flag);
});

test('glup dashboard: bad input exits 2 naming what is wrong', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'glup-dash-cli-'));
  const [missing, both, userOnly, badAs, badEnv] = await Promise.all([
    cli('dashboard', '--trace', join(dir, 'missing.jsonl'), '--port', '0'),
    cli('dashboard', '--trace', 'x.jsonl', '--cluster', 'c'),
    cli('dashboard', '--cluster', 'c', '--user', 'u'),
    cli('dashboard', '--cluster', 'c', '--as', 'not an id'),
    runGlupEnv(['dashboard', '--cluster', 'c', '--port', '0'], { GLUP_AS: 'bad id' }),
  ]);
  t.is(missing.code, 2);
  t.true(missing.stderr.includes('missing.jsonl'), missing.stderr);
  t.is(both.code, 2);
  t.regex(both.stderr, /either --trace FILE or --nats URL --cluster C/);
  t.is(userOnly.code, 2);
  t.regex(userOnly.stderr, /--user and --pass go together/);
  t.is(badAs.code, 2);
  t.regex(badAs.stderr, /not a valid node id/);
  t.is(badEnv.code, 2);
  t.regex(badEnv.stderr, /GLUP_AS/);
});

test('glup dashboard without a NATS server exits 1 saying so', async (t) => {
  const r = await cli('dashboard', '--cluster', 'c', '--nats', 'nats://127.0.0.1:1', '--port', '0');
  t.is(r.code, 1);
  t.regex(r.stderr, /cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
});

test('glup viz --format xstate --out DIR writes <machine>.xstate.json', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'glup-viz-'));
  const r = await cli('viz', '--machine', 'coordinator', '--format', 'xstate', '--out', dir);
  t.is(r.code, 0, r.stderr);
  const config = JSON.parse(await readFile(join(dir, 'coordinator.xstate.json'), 'utf8'));
  t.like(config, { id: 'coordinator', initial: 'active' });
  t.deepEqual(config.states.draining.always, [{ target: ['#coordinator.drained'], guard: 'allCommitted' }]);
});

/** runGlup with extra environment variables. */
function runGlupEnv(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [join(repoRoot, 'bin', 'glup.js'), ...args], { cwd: repoRoot, env: { ...process.env, ...env } }, (err, _stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr });
    });
  });
}
