/**
 * docs/charts.md and docs/statechart-*.svg are the charts docs/protocol.md argues from: they must
 * be what the code draws today. When this fails, run `npm run docs:charts` and commit.
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chartFiles } from '../../scripts/docs-charts.js';
import { machineNames } from '../../src/viz/export.js';

test('docs/charts.md and docs/statechart-*.svg are the charts the code draws (npm run docs:charts)', async (t) => {
  const { files } = await chartFiles();
  t.deepEqual(Object.keys(files).sort(), ['charts.md', ...machineNames().map((n) => `statechart-${n}.svg`)].sort());
  const stale: string[] = [];
  for (const [path, text] of Object.entries(files)) {
    const committed = await readFile(join('docs', path), 'utf8').catch(() => null);
    if (committed !== text) stale.push(`docs/${path}`);
  }
  t.deepEqual(stale, [], `out of date with src/machines: ${stale.join(', ')}; run npm run docs:charts`);
});

test('docs/protocol.md links the generated charts, and every chart it names exists', async (t) => {
  const protocol = await readFile(join('docs', 'protocol.md'), 'utf8');
  t.true(protocol.includes('(charts.md)'), 'protocol.md links charts.md');
  for (const m of protocol.matchAll(/charts\.md#([a-z]+)/gi)) t.true(machineNames().some((n) => n.toLowerCase() === m[1]!.toLowerCase()), `protocol.md links chart ${m[1]}, which is no machine`);
});
