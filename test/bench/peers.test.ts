/**
 * `glup bench --peers`: argument handling and the report (issue 14). No timing here: the
 * benchmark itself runs by hand (`npm run bench -- --peers`), not in CI.
 */
import test from 'ava';
import { runBench } from '../../bench/run.js';
import { peersPlan, ratios } from '../../bench/peers.js';
import { renderResultsMd } from '../../bench/peersReport.js';

test('an unknown option exits 2 and names the option', async (t) => {
  const errors: string[] = [];
  const original = console.error;
  console.error = (msg: string) => errors.push(msg);
  try {
    t.is(await runBench(['--peers', '--fast']), 2);
  } finally {
    console.error = original;
  }
  t.regex(errors.join('\n'), /unknown option --fast/);
});

test('--quick shortens every part so the run fits in 3 minutes', (t) => {
  const quick = peersPlan(true);
  const full = peersPlan(false);
  t.true(quick.cellMs < full.cellMs && quick.kills < full.kills && quick.distinctKeys < full.distinctKeys);
  t.is(full.distinctKeys, 100_000);
  // the time-bound parts: 7 cells, 4 failover series, 2 capped distinct-key runs
  t.true((7 * (quick.cellMs + quick.warmupMs) + 2 * quick.distinctCapMs) / 1000 < 60);
});

const lat = (p50: number, p99: number) => ({ samples: 10, p50Ms: p50, p99Ms: p99 });
const etcd = {
  sequential: { updatesPerSecond: 1000, latency: lat(1, 3) },
  inFlight64: { updatesPerSecond: 6000, latency: lat(8, 27) },
  failoverDefault: { failover: lat(1400, 1600), failures: [] },
  failoverFast: { failover: lat(300, 400), failures: [] },
  distinctKeys: { windows: [{ keys: 10, updatesPerSecond: 900 }], reached: 10, target: 10, seconds: 1 },
};
const glup = {
  sequentialFromManager: { updatesPerSecond: 500, latency: lat(2, 6) },
  sequentialFromClient: { updatesPerSecond: 400, latency: lat(2.5, 7) },
  inFlight64FromClient: { updatesPerSecond: 3000, latency: lat(9, 21), errors: { TIMEOUT: 2 } },
  inFlight64FromManager: { updatesPerSecond: 3500, latency: lat(7, 22) },
  failoverHb100: { failover: lat(280, 310), failures: [] },
  failoverHb50: { error: 'cluster formed not reached' },
  natsFanout: { updatesPerSecond: 12000, latency: lat(4, 9) },
  distinctKeys: { windows: [{ keys: 5, updatesPerSecond: 400 }, { keys: 10, updatesPerSecond: 100 }], reached: 10, target: 10, lastOverFirst: 0.25, errors: { TIMEOUT: 3 } },
};

test('ratios: glup over etcd from the figures, null where a figure is missing', (t) => {
  t.deepEqual(ratios(etcd, glup), {
    failoverGlupOverEtcdDefault: 0.2,
    failoverGlupOverEtcdFast: null,
    seqUpdatesGlupOverEtcd: 0.5,
    updates64GlupOverEtcd: 0.5,
    updatesGlupOverNatsFanout: 0.25,
    updatesAt100kKeysOverEmpty: 0.25,
  });
});

test('RESULTS.md has the machine, date, command, every figure and every ratio', (t) => {
  const md = renderResultsMd({
    command: 'npm run bench -- --peers',
    date: '2026-11-29T12:00:00.000Z',
    seconds: 100,
    machine: { cpu: 'AMD EPYC', cores: 2, memoryGb: 23.5, os: 'linux x64' },
    loadAverage: { before: [1, 2, 3], after: [4, 5, 6] },
    versions: { etcd: '3.4.23', natsServer: 'nats-server: v2.9.10', node: 'v20' },
    plan: peersPlan(false),
    settings: { valueBytes: 256, keysReused: 64, etcd: 'e', glup: 'g', failover: 'f' },
    etcd,
    glup,
    ratios: ratios(etcd, glup),
  });
  for (const s of ['AMD EPYC, 2 cores', '2026-11-29T12:00:00.000Z', '`npm run bench -- --peers`', 'etcd 3.4.23', '1,000 (1, 3)', '400 (2.5, 7) from a client', '3,000 (9, 21), 2 errors', 'median 1,400, p99 1,600', 'cluster formed not reached', '400, 100 (windows of 5 keys; 10 of 10 keys in — s, 3 errors)', '12,000 (4, 9)', '`updatesAt100kKeysOverEmpty` | 0.25', '`failoverGlupOverEtcdFast` | — (not measured']) {
    t.true(md.includes(s), `RESULTS.md lacks ${JSON.stringify(s)}`);
  }
});
