/**
 * One job per file (docs/STYLE, issue 10): no file in src is over 400 lines. A file that
 * grows past it is split by concern, not trimmed.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const LIMIT = 400;

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourcesUnder(join(dir, e.name)) : /\.(ts|mts|js|mjs)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

const lines = (path: string) => readFileSync(path, 'utf8').split('\n').length - (readFileSync(path, 'utf8').endsWith('\n') ? 1 : 0);
const oversized = (files: string[]) => files.map((f) => ({ file: relative(root, f), lines: lines(f) })).filter((f) => f.lines > LIMIT);

const all = sourcesUnder(join(root, 'src'));

test(`no file in src is over ${LIMIT} lines`, (t) => {
  t.true(all.length > 50, `scanned ${all.length} files`);
  t.deepEqual(oversized(all), []);
});
