// `npm run build` (and `prepack`): compiles src/ into dist/ and copies the runtime assets.
//
// dist/ is emptied first: a module deleted from src/ must not live on in the package.
// Asset convention: every file under src/ that is not TypeScript (dashboard HTML, CSS,
// browser scripts, JSON, …) is copied to the same relative path under dist/, so code reads
// it with `new URL('./client/app.js', import.meta.url)` and finds it both under src/ (tsx)
// and under dist/ (the installed package). tsc itself never copies such files.
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (compiled.status !== 0) {
  console.error(`build: tsc -p tsconfig.build.json failed (exit ${compiled.status ?? compiled.signal})`);
  process.exit(1);
}

/** TypeScript sources are compiled, not copied. */
const isTypeScript = (name) => /\.(c|m)?tsx?$/.test(name);
let copied = 0;
for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || isTypeScript(entry.name)) continue;
  const from = join(entry.parentPath ?? entry.path, entry.name);
  cpSync(from, join(dist, relative(src, from)));
  copied++;
}
console.error(`build: dist/ compiled from src/, ${copied} asset file(s) copied`);
