/**
 * The `glup node` HTTP endpoints (src/admin/metrics.ts) for an in-process node on the memory
 * network: /metrics passes `promtool check metrics` (Debian package prometheus) and has the
 * right types; /livez; /readyz follows membership and quorum.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { startMetricsServer } from '../../src/admin/metrics.js';
import { simCluster } from '../helpers/simCluster.js';

async function get(port: number, path: string): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

test('metrics pass promtool, with counters, gauges, histograms and the process metrics; readyz follows quorum', async (t) => {
  const c = simCluster(['n1', 'n2', 'n3']);
  await c.startAll();
  const client = [...c.nodes.values()].find((n) => n.role === 'client')!;
  const server = await startMetricsServer(client, { port: 0 }, { transport: c.net.transport(client.id) });
  t.teardown(() => server.close());
  for (let i = 0; i < 3; i++) await c.net.settle(client.update({ set: { path: `k${i}`, value: i } }), { timeoutMs: 2000 });
  // heartbeats go on in virtual time: gaps and the manager's commit point are seen on the wire
  await c.net.advance(1000);

  const metrics = await get(server.port, '/metrics');
  t.is(metrics.status, 200);
  t.regex(metrics.type ?? '', /^text\/plain; version=0\.0\.4/);
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: metrics.text, encoding: 'utf8' });
  t.is(lint.error, undefined, 'promtool runs (apt-get install -y prometheus)');
  t.is(lint.status, 0, `promtool check metrics: ${lint.stdout}${lint.stderr}`);

  const text = metrics.text;
  const labels = `cluster="sim",node="${client.id}"`;
  t.regex(text, /# TYPE glup_pauses_discounted_total counter/);
  t.regex(text, /# HELP glup_pauses_discounted_total Late ticks/);
  t.regex(text, /# TYPE glup_invalid_messages_total counter/);
  t.regex(text, new RegExp(`glup_updates_committed_total\\{${labels}\\} \\d+`));
  t.regex(text, new RegExp(`glup_role\\{role="client",${labels}\\} 1`));
  t.regex(text, new RegExp(`glup_quorum\\{${labels}\\} 1`));
  t.regex(text, new RegExp(`glup_members\\{${labels}\\} 3`));
  t.regex(text, new RegExp(`glup_lag_seqs\\{${labels}\\} 0`));
  t.regex(text, /# TYPE glup_commit_latency_seconds histogram/);
  t.regex(text, new RegExp(`glup_commit_latency_seconds_count\\{${labels}\\} 3`), 'one observation per update this node submitted');
  t.regex(text, /# TYPE glup_heartbeat_gap_seconds histogram/);
  t.regex(text, /glup_heartbeat_gap_seconds_count\{[^}]*role="manager"[^}]*\} [1-9]/);
  t.regex(text, /# TYPE glup_failover_seconds histogram/);
  t.regex(text, /# TYPE process_cpu_user_seconds_total counter/);
  t.regex(text, /# TYPE nodejs_eventloop_lag_seconds gauge/);

  t.is((await get(server.port, '/livez')).status, 200);
  const ready = await get(server.port, '/readyz');
  t.is(ready.status, 200, ready.text);
  t.like(JSON.parse((await get(server.port, '/status')).text), { id: client.id, role: 'client' });
  t.is((await get(server.port, '/nope')).status, 404);

  // the other two go: alone, the client has no majority
  for (const n of c.nodes.values()) if (n !== client) await n.kill();
  await c.net.runUntil(() => client.role === 'isolated', { timeoutMs: 20_000 });
  const isolated = await get(server.port, '/readyz');
  t.is(isolated.status, 503);
  t.regex(isolated.text, /isolated, not a member/);
  t.regex((await get(server.port, '/metrics')).text, new RegExp(`glup_quorum\\{${labels}\\} 0`));
  t.is((await get(server.port, '/livez')).status, 200, 'alive all the same');
});

test('the failover histogram sees the manager change on the heartbeat subject', async (t) => {
  const c = simCluster(['n1', 'n2', 'n3'], { heartbeatMs: 100 });
  await c.startAll();
  const client = [...c.nodes.values()].find((n) => n.role === 'client')!;
  const server = await startMetricsServer(client, { port: 0 }, { transport: c.net.transport(client.id), defaultMetrics: false });
  t.teardown(() => server.close());
  await c.net.advance(500);
  await c.managers()[0]!.kill();
  await c.net.runUntil(() => c.managers().length === 1, { timeoutMs: 10_000 });
  await c.net.advance(500);
  const text = (await get(server.port, '/metrics')).text;
  const sum = Number(/glup_failover_seconds_sum\{[^}]*\} ([\d.e-]+)/.exec(text)?.[1]);
  t.regex(text, /glup_failover_seconds_count\{[^}]*\} 1/);
  // three missed heartbeats of 100 ms, then confirmation: between 0.2 and 5 s of virtual time
  t.true(sum > 0.2 && sum < 5, `failover ${sum} s`);
});
