#!/usr/bin/env node
// Installed from npm, the package holds the compiled CLI in dist/ and no sources: it runs
// with plain node (tsx is a devDependency and is not installed with the package).
// In a clone, src/ is what the tests and the docs mean, so the CLI runs it through tsx
// even when a dist/ exists: a dist/ left by an earlier `npm run build` or `npm pack` would
// otherwise run stale code without a word. GLUP_FROM_DIST=1 runs dist/ in a clone.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = join(root, 'src', 'cli', 'main.ts');
const built = join(root, 'dist', 'cli', 'main.js');

async function tsxRegister() {
  try {
    return (await import('tsx/esm/api')).register;
  } catch {
    return null; // not a development checkout
  }
}

const register = existsSync(sources) && process.env.GLUP_FROM_DIST !== '1' ? await tsxRegister() : null;
if (register) {
  register();
  await import(pathToFileURL(sources).href);
} else if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  process.stderr.write(`glup: no compiled CLI at ${built}; in a clone run \`npm ci\` (tsx) or \`npm run build\`\n`);
  process.exit(1);
}
