/**
 * The README's examples run as documented (`npx tsx examples/X.ts`) and end well: each one
 * asserts its own outcome with node:assert, so a misbehaving glup makes it exit non-zero.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/cli.js';

const tsx = join(repoRoot, 'node_modules', '.bin', 'tsx');
const examples = readdirSync(join(repoRoot, 'examples')).filter((f) => f.endsWith('.ts'));

test('every example is run here', (t) => {
  // A new example is picked up by the loop below; this guards against an empty directory.
  t.true(examples.length >= 3, `examples found: ${examples.join(', ')}`);
});

for (const file of examples) {
  test(`examples/${file} runs and asserts its outcome`, async (t) => {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(tsx, [join('examples', file)], { cwd: repoRoot, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
      });
    });
    t.is(code, 0, `exit ${code}\n${stderr}`);
    t.is(stdout.trimEnd().split('\n').at(-1), 'done', stdout);
  });
}
