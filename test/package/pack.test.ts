/**
 * The npm package as a user gets it: `npm pack` (its prepack builds dist/), then
 * `npm install <tarball>` into an empty project, then the CLI and a program run from there
 * with nothing of the repository around them (no tsx, no src/, no devDependencies).
 *
 * Slow on purpose: a full tsc build and an npm install (about 40 s of CPU on an idle
 * machine; the registry is reached only for the package's own dependencies, through the
 * npm cache). Each stage is its own serial test so that ava's inactivity timeout sees
 * progress, and so that a failure names the stage.
 *
 * The build runs in a copy of the checkout (node_modules linked): packing must not leave a
 * dist/ in the working tree the other tests run from.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { repoRoot } from '../helpers/cli.js';

const STAGE_TIMEOUT_MS = 300_000;
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

const work = mkdtempSync(join(tmpdir(), 'glup-pack-'));
const checkout = join(work, 'checkout');
const app = join(work, 'app');
let tarball: string | undefined;
let installed = false;

test.after.always(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a user's shell: npm's own variables (set when the suite runs under
 * `npm test`, e.g. npm_config_ignore_scripts or the package's fields) and NODE_OPTIONS
 * (which could load tsx) are dropped, except the npm cache and registry settings.
 */
function userEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'NODE_OPTIONS' || (k.toLowerCase().startsWith('npm_') && !keep.has(k.toLowerCase()))) continue;
    env[k] = v;
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

function run(cmd: string, args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: { ...userEnv(), ...extraEnv }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`;

/** Files under `dir`, relative to it, with forward slashes. */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'));
}

test.serial('npm pack builds dist/ and ships the runtime files only', async (t) => {
  t.timeout(STAGE_TIMEOUT_MS);
  const skip = new Set(['node_modules', 'dist', '.git', '.glup-data', 'tmp']); // git-ignored or not needed
  cpSync(repoRoot, checkout, { recursive: true, filter: (src) => !skip.has(relative(repoRoot, src).split(/[\\/]/)[0]) });
  symlinkSync(join(repoRoot, 'node_modules'), join(checkout, 'node_modules'), 'dir');

  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], checkout);
  t.is(packed.code, 0, show(packed));
  // npm prints the prepack build's banner to stderr; skip anything a script might print
  // to stdout before npm's JSON array.
  const json = JSON.parse(packed.stdout.slice(packed.stdout.search(/^\[/m))) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, json[0].filename);
  const files = new Set(json[0].files.map((f) => f.path));

  for (const must of ['LICENSE', 'README.md', 'package.json', 'bin/glup.js', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js']) {
    t.true(files.has(must), `${must} is in the tarball`);
  }
  t.regex(readFileSync(join(repoRoot, 'LICENSE'), 'utf8'), /^MIT License/);
  for (const doc of readdirSync(join(repoRoot, 'docs'))) t.true(files.has(`docs/${doc}`), `docs/${doc} is in the tarball`);
  for (const s of readdirSync(join(repoRoot, 'scenarios'))) t.true(files.has(`scenarios/${s}`), `scenarios/${s} is in the tarball`);

  // Every module of src/ is compiled, with its types; every non-TypeScript file under src/
  // (the dashboard's browser code, …) is an asset copied to the same place under dist/.
  for (const f of listFiles(join(repoRoot, 'src'))) {
    if (f.endsWith('.ts')) {
      const base = `dist/${f.slice(0, -'.ts'.length)}`;
      t.true(files.has(`${base}.js`) && files.has(`${base}.d.ts`), `src/${f} is compiled to ${base}.js and .d.ts`);
    } else {
      t.true(files.has(`dist/${f}`), `the asset src/${f} is copied to dist/${f}`);
    }
  }

  // Nothing dev-only: sources, tests, benchmarks, build scripts, examples, configs.
  const devOnly = [...files].filter((f) => /^(src|test|bench|scripts|examples|\.ci)\//.test(f) || /^(tsconfig|ava)\..*/.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')));
  t.deepEqual(devOnly, [], 'no dev-only file in the tarball');

  // No src/ is shipped, so the source maps carry the sources (stack traces under
  // `node --enable-source-maps` point at TypeScript lines).
  const map = JSON.parse(readFileSync(join(checkout, 'dist', 'index.js.map'), 'utf8')) as { sourcesContent?: string[] };
  t.true((map.sourcesContent?.[0] ?? '').includes('createNode'), 'dist/index.js.map carries its source');
});

test.serial('in a clone, bin/glup.js runs src/ even when a dist/ is left over', async (t) => {
  t.timeout(STAGE_TIMEOUT_MS);
  if (!tarball) return t.fail('needs the build of the previous test');
  // The checkout copy now holds the dist/ that prepack built; make it recognisable.
  writeFileSync(join(checkout, 'dist', 'cli', 'main.js'), "console.log('dist/ ran');\n");
  const fromSrc = await run(process.execPath, ['bin/glup.js', '--version'], checkout);
  t.is(fromSrc.code, 0, show(fromSrc));
  t.is(fromSrc.stdout.trim(), version);
  const fromDist = await run(process.execPath, ['bin/glup.js', '--version'], checkout, { GLUP_FROM_DIST: '1' });
  t.is(fromDist.stdout.trim(), 'dist/ ran', show(fromDist));
});

test.serial('the tarball installs into an empty project, without tsx or TypeScript', async (t) => {
  t.timeout(STAGE_TIMEOUT_MS);
  if (!tarball) return t.fail('needs the tarball of the previous test');
  cpSync(join(repoRoot, 'test', 'package', 'consumer.mjs'), join(app, 'consumer.mjs'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'glup-consumer', private: true, type: 'module' }, null, 2));
  const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app);
  t.is(install.code, 0, show(install));
  t.true(existsSync(join(app, 'node_modules', 'glup', 'dist', 'index.js')));
  for (const dev of ['tsx', 'typescript', 'ava']) t.false(existsSync(join(app, 'node_modules', dev)), `${dev} is not installed`);
  t.false(existsSync(join(app, 'node_modules', 'glup', 'src')), 'no sources installed');
  installed = true;
});

test.serial('npx glup --help and --version run the compiled CLI', async (t) => {
  t.timeout(STAGE_TIMEOUT_MS);
  if (!installed) return t.fail('needs the install of the previous test');
  // --yes=false: never fetch a package named glup from the registry; it must be the installed one.
  const help = await run('npx', ['--yes=false', 'glup', '--help'], app);
  t.is(help.code, 0, show(help));
  t.regex(help.stdout, /^Usage: glup /);
  for (const command of ['run', 'replay', 'sim', 'viz', 'node', 'status', 'switchover', 'remove']) {
    t.regex(help.stdout, new RegExp(`\\n  ${command} `), `--help lists ${command}`);
  }
  const v = await run('npx', ['--yes=false', 'glup', '--version'], app);
  t.is(v.code, 0, show(v));
  t.is(v.stdout.trim(), version, '--version prints the version of package.json');
});

test.serial('the installed CLI runs a scenario shipped in the package', async (t) => {
  t.timeout(STAGE_TIMEOUT_MS);
  if (!installed) return t.fail('needs the install of the previous test');
  const r = await run('npx', ['--yes=false', 'glup', 'run', 'node_modules/glup/scenarios/manager-failover.yaml', '--json'], app);
  t.is(r.code, 0, show(r));
  t.like(JSON.parse(r.stdout) as object, { scenario: 'manager-failover', passed: true });
  const bench = await run('npx', ['--yes=false', 'glup', 'bench'], app);
  t.is(bench.code, 1);
  t.regex(bench.stderr, /runs from a clone of the glup repository/);
});

test.serial('a program using the SPEC section 11 API runs against the installed package', async (t) => {
  t.timeout(STAGE_TIMEOUT_MS);
  if (!installed) return t.fail('needs the install of the previous test');
  const r = await run(process.execPath, ['consumer.mjs'], app);
  t.is(r.code, 0, show(r));
  t.regex(r.stdout, /cas: n2 holds the lock, n3 got CAS_FAILED/);
  t.regex(r.stdout, /failover: n\d killed, n\d manager in epoch \d+/);
  t.regex(r.stdout, /actors after the failover: sched 2/);
  t.regex(r.stdout, /consumer ok\n$/);
});

test.serial('the installed types check a TypeScript consumer', async (t) => {
  t.timeout(STAGE_TIMEOUT_MS);
  if (!installed) return t.fail('needs the install of the previous test');
  writeFileSync(
    join(app, 'check.ts'),
    [
      "import { createNode, memoryNetwork, memoryStore, GlupError, type ActorState, type GlupNode, type UpdateRecord } from 'glup';",
      'const net = memoryNetwork({ seed: 1, virtualTime: true });',
      "const node: GlupNode = createNode({ cluster: 'c', id: 'n1', transport: net.transport('n1'), store: memoryStore() });",
      "export const done: Promise<{ seq: number; epoch: number }> = node.update({ cas: { path: 'a', expect: null, value: 1 } });",
      "export const code: 'CAS_FAILED' | string = new GlupError('CAS_FAILED', 'x').code;",
      'export const seqOf = (r: UpdateRecord): number => r.seq;',
      "export const asked: Promise<ActorState> = node.actors.ref('cart', 'alice').ask({ type: 'ADD', item: 'apple' }, { timeoutMs: 100 });",
      '// @ts-expect-error an event needs a type',
      "node.actors.ref('cart').send({ item: 'apple' });",
      '// @ts-expect-error an unknown operation is a type error',
      "node.update({ rename: { path: 'a' } });",
      '',
    ].join('\n'),
  );
  // No @types/node: glup's declarations must not need it. The DOM and Disposable libs are
  // for @nats-io's own declarations (TextEncoder, WebSocket, Symbol.asyncDispose).
  const tsconfig = {
    compilerOptions: {
      module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true,
      types: [], lib: ['ES2023', 'ESNext.Disposable', 'DOM'],
    },
    files: ['check.ts'],
  };
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], app);
  t.is(r.code, 0, show(r));
});
