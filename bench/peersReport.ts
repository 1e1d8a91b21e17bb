/** bench/RESULTS.md from the results of `npm run bench -- --peers` (bench/peers.ts). */

type Lat = { samples?: number; p50Ms?: number; p99Ms?: number };
type Cell = { updatesPerSecond?: number; latency?: Lat; errors?: Record<string, number>; error?: string } | undefined;
type Fo = { failover?: Lat; failures?: string[]; kills?: number; error?: string } | undefined;
type Keys = { windows?: { keys: number; updatesPerSecond: number }[]; reached?: number; target?: number; seconds?: number; errors?: Record<string, number>; error?: string } | undefined;

const num = (x: number | undefined | null) => (x === undefined || x === null ? '—' : x.toLocaleString('en-US'));
const cell = (c: Cell) => (c?.error ? `— (${c.error})` : c ? `${num(c.updatesPerSecond)} (${num(c.latency?.p50Ms)}, ${num(c.latency?.p99Ms)})${errs(c.errors)}` : '—');
const errs = (e?: Record<string, number>) => {
  const n = Object.values(e ?? {}).reduce((a, b) => a + b, 0);
  return n ? `, ${n} errors` : '';
};
const fo = (f: Fo) => (f?.failover?.samples ? `median ${num(f.failover.p50Ms)}, p99 ${num(f.failover.p99Ms)} (${f.failover.samples} kills${f.failures?.length ? `, ${f.failures.length} failed` : ''})` : `— (${f?.error ?? f?.failures?.join('; ') ?? 'not run'})`);
const keys = (k: Keys) =>
  k?.windows?.length
    ? `${k.windows.map((w) => num(w.updatesPerSecond)).join(', ')} (windows of ${num(k.windows[0]!.keys)} keys; ${num(k.reached)} of ${num(k.target)} keys in ${num(k.seconds)} s${errs(k.errors)})`
    : `— (${k?.error ?? `${num(k?.reached)} keys reached${errs(k?.errors)}`})`;

export function renderResultsMd(r: any): string {
  const e = r.etcd;
  const g = r.glup;
  const lines = [
    '# etcd and glup side by side',
    '',
    `- machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGb} GB, ${r.machine.os}; load average ${r.loadAverage.before.join(' / ')} before, ${r.loadAverage.after.join(' / ')} after (1/5/15 min)`,
    `- condition: ${r.machine.cores} cores shared with other engineers, whose tests and benchmarks ran at the same time (see the load average): figures from this run are a floor, not what an idle machine gives`,
    `- date: ${r.date}; ${r.seconds} s`,
    `- command: \`${r.command}\``,
    `- versions: etcd ${r.versions.etcd}; ${r.versions.natsServer}; Node ${r.versions.node}`,
    `- etcd: ${r.settings.etcd}`,
    `- glup: ${r.settings.glup}`,
    `- values ${r.settings.valueBytes} bytes; sequential and 64 in flight write ${r.settings.keysReused} keys over and over; cells of ${r.plan.cellMs / 1000} s after ${r.plan.warmupMs / 1000} s of warm-up`,
    `- failover: ${r.settings.failover}`,
    '',
    '| figure | etcd | glup |',
    '|---|---|---|',
    `| sequential updates/s (p50, p99 ms) | ${cell(e.sequential)} | ${cell(g.sequentialFromClient)} from a client; ${cell(g.sequentialFromManager)} from the manager |`,
    `| 64 in flight, updates/s (p50, p99 ms) | ${cell(e.inFlight64)} | ${cell(g.inFlight64FromClient)} from a client; ${cell(g.inFlight64FromManager)} from the manager |`,
    `| failover ms (etcd 100/1000 ms; glup hb 100 × 3) | ${fo(e.failoverDefault)} | ${fo(g.failoverHb100)} |`,
    `| failover ms (etcd 50/250 ms; glup hb 50 × 3) | ${fo(e.failoverFast)} | ${fo(g.failoverHb50)} |`,
    `| distinct keys, updates/s per window (64 in flight; glup hb 100 × 10) | ${keys(e.distinctKeys)} | ${keys(g.distinctKeys)} |`,
    `| NATS floor: one update's messages, no disk, 64 in flight, updates/s (p50, p99 ms) | | ${cell(g.natsFanout)} |`,
    '',
    '## Ratios',
    '',
    '| ratio | value |',
    '|---|---|',
    ...Object.entries(r.ratios).map(([k, v]) => `| \`${k}\` | ${v === null ? '— (not measured: see above)' : String(v)} |`),
    '',
    'Ratios: failover is glup median over etcd median (lower is better); updates are glup over etcd (higher is better; sequential: from the manager, 64 in flight: from a client); ',
    '`updatesGlupOverNatsFanout`: glup 64 in flight from a client over the NATS floor; `updatesAt100kKeysOverEmpty`: glup updates/s in the window ending at the last key over the first window (— when the run did not reach its key count).',
    '',
    'Every figure is in `bench/results.json`. This machine is shared: read the load average above before comparing runs.',
    '',
  ];
  return lines.join('\n');
}
