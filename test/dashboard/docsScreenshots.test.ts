import test from 'ava';
import { join } from 'node:path';
import { pngSize, takeDocScreenshots } from '../../scripts/docs-screenshots.js';
import { testOutput } from '../helpers/browser.js';

// The README's pictures (docs/dashboard.png, docs/statechart-node.png) come from this code:
// `npm run docs:screenshots` runs it into docs/; here it runs into test-output/docs/.
test('the documentation screenshots are taken: the dashboard after the failover and the node statechart', async (t) => {
  const shots = await takeDocScreenshots(join(testOutput, 'docs'));
  const dashboard = await pngSize(shots.dashboard);
  t.is(dashboard.width, 1600);
  t.true(dashboard.height > 900, `dashboard ${dashboard.height} px high`);
  const chart = await pngSize(shots.statechart);
  t.true(chart.width > 600 && chart.height > 600, `statechart ${chart.width}×${chart.height}`);
});
