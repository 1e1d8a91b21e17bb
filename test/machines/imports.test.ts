/**
 * Layers that do not know each other (docs/STYLE): a chart knows events, not subjects,
 * stores or the host. So no module under src/machines may import — directly, or through a
 * module it imports — anything from src/actors, src/bus or src/persistence, nor a NATS
 * client or a Node built-in (time, disk and network come in as events, never behind the
 * simulator's back). Type-only imports count: they tie a chart to the host's layout too.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '../..');
const machinesDir = join(root, 'src/machines');
const FORBIDDEN_DIRS = ['src/actors', 'src/bus', 'src/persistence'];
const FORBIDDEN_PACKAGES = [/^node:/, /^@nats-io\//];

/** Every specifier a source imports or re-exports: static, type-only, dynamic, require. */
function specifiersOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** A relative specifier as the .ts file it names under src, or null for a package. */
function resolveLocal(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  return resolve(dirname(from), spec).replace(/\.js$/, '.ts');
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourcesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** What `file` reaches that it must not: each as "the import chain → the forbidden module". */
function violations(file: string, read: (path: string) => string): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const walk = (path: string, chain: string[]) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const spec of specifiersOf(read(path))) {
      const target = resolveLocal(path, spec);
      const via = [...chain, relative(root, path)].join(' → ');
      if (target === null) {
        if (FORBIDDEN_PACKAGES.some((p) => p.test(spec))) found.push(`${via} → ${spec}`);
        continue;
      }
      const rel = relative(root, target);
      if (FORBIDDEN_DIRS.some((d) => rel.startsWith(`${d}/`))) found.push(`${via} → ${rel}`);
      else walk(target, [...chain, relative(root, path)]);
    }
  };
  walk(file, []);
  return found;
}

const readSource = (path: string) => readFileSync(path, 'utf8');

test('no machine file imports from src/actors, src/bus or src/persistence, directly or through another module', (t) => {
  const files = sourcesUnder(machinesDir);
  t.true(files.length >= 20, `scanned ${files.length} files under src/machines`);
  t.true(files.some((f) => f.includes('/rules/')), 'the rules are scanned too');
  t.deepEqual(files.flatMap((f) => violations(f, readSource)), []);
});

test('the scan sees every form of import', (t) => {
  const fake = join(machinesDir, 'fake.ts');
  const forms = [
    "import type { Store } from '../persistence/store.js';",
    "export { natsTransport } from '../bus/nats.js';",
    "const runtime = await import('../actors/runtime.js');",
    "import { readFileSync } from 'node:fs';",
    "import '../bus/memory.js';",
  ];
  for (const form of forms) {
    const found = violations(fake, (path) => (path === fake ? form : readSource(path)));
    t.is(found.length, 1, form);
  }
  // a chain through another module is followed: src/machines/fake.ts → src/ok.ts → src/actors/…
  const ok = join(root, 'src/ok.ts');
  const chained = violations(fake, (path) => (path === fake ? "import { x } from '../ok.js';" : path === ok ? "import type { NodeRuntime } from './actors/runtime.js';" : readSource(path)));
  t.deepEqual(chained, ['src/machines/fake.ts → src/ok.ts → src/actors/runtime.ts']);
});
