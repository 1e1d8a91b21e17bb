import test from 'ava';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startNatsServer, type NatsServer } from '../helpers/natsServer.js';
import { loadScenarioFile } from '../../src/scenario/parse.js';
import { runScenario } from '../../src/scenario/run.js';

// Every scenario file also runs on a real nats-server in real time (SPEC section 10).
let server: NatsServer;
test.before(async () => {
  server = await startNatsServer();
});
test.after.always(async () => {
  await server?.stop();
});

const subset = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).sort();

for (const file of subset) {
  test.serial(`scenario ${file} passes on NATS`, async (t) => {
    const { scenario } = await loadScenarioFile(join('scenarios', file));
    const { summary, trace } = await runScenario(scenario, { transport: 'nats', nats: server.url });
    const failed = trace.map((l) => JSON.parse(l)).find((l) => l.kind === 'step' && !l.ok);
    t.true(summary.passed, failed ? `step ${failed.i} failed: ${failed.error}` : 'no failing step recorded');
    t.is(summary.transport, 'nats');
  });
}
