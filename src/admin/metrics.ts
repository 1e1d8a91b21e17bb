/**
 * The HTTP face of a `glup node --metrics-port N` process: GET /metrics (Prometheus text
 * format 0.0.4) and GET /status (node.status() as JSON). Loopback only: it is for a local
 * scraper or sidecar, and it carries no authentication.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server needs of a node: the runtime's status() object. */
export interface StatusSource {
  readonly cluster: string;
  status(): {
    id: string;
    role: string;
    epoch: number;
    committedSeq: number;
    lastSeq: number;
    metrics: Record<string, number>;
  };
}

export interface MetricsServer {
  /** The bound port (the OS chooses one when asked for 0). */
  readonly port: number;
  close(): Promise<void>;
}

const ROLES = ['manager', 'backup', 'client', 'joining', 'isolated', 'stopped'] as const;

/** Counter names of node.metrics → Prometheus names; anything else is exported as a gauge `glup_<snake>`. */
const COUNTERS: Record<string, string> = {
  invalidMessages: 'glup_invalid_messages_total',
  messagesSent: 'glup_messages_sent_total',
  messagesReceived: 'glup_messages_received_total',
  handlerErrors: 'glup_handler_errors_total',
  updatesCommitted: 'glup_updates_committed_total',
  conflicts: 'glup_conflicts_total',
  fencedMessages: 'glup_fenced_messages_total',
};

export function prometheusText(source: StatusSource): string {
  const s = source.status();
  const labels = `cluster="${source.cluster}",node="${s.id}"`;
  const lines: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [extra, value] of samples) lines.push(`${name}{${labels}${extra}} ${value}`);
  };
  metric('glup_role', 'gauge', '1 for the role the node holds now, 0 for the others', ROLES.map((r) => [`,role="${r}"`, s.role === r ? 1 : 0]));
  metric('glup_epoch', 'gauge', 'epoch the node is in', [['', s.epoch]]);
  metric('glup_committed_seq', 'gauge', 'highest committed GLUP seq applied here', [['', s.committedSeq]]);
  metric('glup_last_seq', 'gauge', 'highest seq in the log (committed or not)', [['', s.lastSeq]]);
  for (const [key, value] of Object.entries(s.metrics)) {
    const counter = COUNTERS[key];
    const name = counter ?? `glup_${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;
    metric(name, counter ? 'counter' : 'gauge', `node.metrics.${key}`, [['', value]]);
  }
  return `${lines.join('\n')}\n`;
}

export function startMetricsServer(source: StatusSource, port: number): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
    } else if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(prometheusText(source));
    } else if (path === '/status') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(source.status()));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /status\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
