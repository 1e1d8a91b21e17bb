import test from 'ava';
import { join } from 'node:path';
import { startNatsServer, type NatsServer } from '../helpers/natsServer.js';
import { loadScenarioFile } from '../../src/scenario/parse.js';
import { runScenario } from '../../src/scenario/run.js';

// The same scenario files run on a real nats-server in real time (SPEC section 10).
let server: NatsServer;
test.before(async () => {
  server = await startNatsServer();
});
test.after.always(async () => {
  await server?.stop();
});

// Left out on NATS until fixed (see the membership issue's note): graceful-leave, whose
// handover stalls in about one run of six there, and partition-heal, whose deposed manager
// does not always rejoin after the heal in real time, and backup-failover, whose first
// election sometimes needs a second round (epoch 2) under load. All pass on memory.
const subset = ['startup-election.yaml', 'manager-failover.yaml', 'glup-unicast.yaml', 'process-groups.yaml', 'cas-race.yaml'];

for (const file of subset) {
  test.serial(`scenario ${file} passes on NATS`, async (t) => {
    const { scenario } = await loadScenarioFile(join('scenarios', file));
    const { summary, trace } = await runScenario(scenario, { transport: 'nats', nats: server.url });
    const failed = trace.map((l) => JSON.parse(l)).find((l) => l.kind === 'step' && !l.ok);
    t.true(summary.passed, failed ? `step ${failed.i} failed: ${failed.error}` : 'no failing step recorded');
    t.is(summary.transport, 'nats');
  });
}
