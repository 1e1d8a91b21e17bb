/**
 * `glup dashboard`: serves the dashboard page over node:http, on loopback unless `--host`
 * says otherwise (it has no authentication and shows the cluster database).
 *   - `--trace FILE`: the page carries the whole trace; it opens at the end.
 *   - `--nats URL --cluster C`: a live source (live.ts) speaking as `--as ID`; the page
 *     polls `api/live` for what is new.
 * Prints `{"event":"listening","url":…}` on stdout once it listens, serves until SIGINT or
 * SIGTERM, and resolves with the exit code.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { natsTransport, type NatsTransport } from '../bus/nats.js';
import type { DashboardOptions } from '../cli/dashboard.js';
import { connectionOptions } from '../cli/connection.js';
import { DEFAULT_NATS_URL, EXIT_FAILED, EXIT_OK, log, out } from '../cli/common.js';
import { readTraceFile } from '../scenario/trace.js';
import { machineCharts, traceData, type DashboardData } from './data.js';
import { connectLive, type LiveSource } from './live.js';
import { renderPage } from './page.js';

export async function startDashboard(opts: DashboardOptions): Promise<number> {
  let data: DashboardData;
  let live: LiveSource | null = null;
  let transport: NatsTransport | null = null;
  if (opts.trace !== undefined) {
    data = await traceData(await readTraceFile(opts.trace));
  } else {
    const as = opts.as ?? `cli-${randomBytes(4).toString('hex')}`;
    try {
      transport = await natsTransport({ ...connectionOptions(opts), name: as });
    } catch (e) {
      process.stderr.write(`error: dashboard: cannot connect to NATS at ${opts.nats ?? DEFAULT_NATS_URL}: ${(e as Error).message}\n`);
      return EXIT_FAILED;
    }
    live = connectLive({ transport, cluster: opts.cluster!, as });
    data = { mode: 'live', title: opts.cluster!, cluster: opts.cluster!, nodes: [], heartbeatMs: null, charts: await machineCharts(), events: [], dbs: {} };
  }
  let served: ServedDashboard;
  try {
    served = await serveDashboard({ data, live, port: opts.port, host: opts.host ?? '127.0.0.1' });
  } catch (e) {
    process.stderr.write(`error: dashboard: cannot listen on ${opts.host ?? '127.0.0.1'}:${opts.port}: ${(e as Error).message}\n`);
    live?.close();
    await transport?.close();
    return EXIT_FAILED;
  }
  out(JSON.stringify({ event: 'listening', url: served.url }));
  log(`glup dashboard: ${opts.trace !== undefined ? `trace ${opts.trace}` : `cluster ${opts.cluster}`} on ${served.url}`);

  const signal = await new Promise<string>((resolve) => {
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => resolve(s));
  });
  log(`glup dashboard: ${signal}, closing`);
  live?.close();
  await transport?.close().catch(() => undefined);
  await served.close();
  return EXIT_OK;
}

export interface ServedDashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves the page of `data` (and `api/live` when a live source is given) until closed. */
export async function serveDashboard(opts: { data: DashboardData; live?: LiveSource | null; port: number; host: string }): Promise<ServedDashboard> {
  const { data, live } = opts;
  const page = renderPage(data);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (req.method !== 'GET') return void res.writeHead(405, { allow: 'GET' }).end();
    if (url.pathname === '/' || url.pathname === '/index.html') {
      return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
    }
    if (url.pathname === '/api/live' && live) {
      const since = Number(url.searchParams.get('since') ?? 0) || 0;
      const dbSince = Number(url.searchParams.get('dbSince') ?? 0) || 0;
      return void res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(live.poll(since, dbSince)));
    }
    if (url.pathname === '/api/data' && !live) {
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(data));
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}/`,
    port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
