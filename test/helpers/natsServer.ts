import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './poll.js';

/** A real nats-server on a free loopback port with JetStream and a temp store. */
export interface NatsServer {
  url: string;
  port: number;
  storeDir: string;
  stop(): Promise<void>;
  /** Stops the process but keeps its store (for restart tests). */
  kill(): Promise<void>;
  restart(): Promise<void>;
}

export function natsServerBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (!path) {
    throw new Error('nats-server not found on PATH: install it with `apt-get install -y nats-server` (Debian)');
  }
  return path;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const listening = async () => {
    if (child.exitCode !== null) throw new Error(`nats-server exited with code ${child.exitCode} before listening`);
    return new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
  };
  await until(`nats-server listening on 127.0.0.1:${port}`, listening, { timeoutMs, everyMs: 25 });
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/**
 * Starts `nats-server -a 127.0.0.1 -p <port> -js -sd <tmp>` from a temp config.
 * `extraConfig` is appended to the config file (cluster routes, sync_interval, …).
 */
export async function startNatsServer(opts: { extraConfig?: string; port?: number; storeDir?: string } = {}): Promise<NatsServer> {
  const bin = natsServerBinary();
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'glup-nats-'));
  const storeDir = opts.storeDir ?? join(dir, 'js');
  const conf = join(dir, 'nats.conf');
  writeFileSync(
    conf,
    [`listen: "127.0.0.1:${port}"`, `jetstream { store_dir: "${storeDir}" }`, 'max_payload: 1MB', opts.extraConfig ?? ''].join('\n'),
  );
  let child: ChildProcess;
  const launch = async () => {
    child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    running.add(child);
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    try {
      await waitForPort(port, child, 10_000);
    } catch (e) {
      child.kill('SIGKILL');
      throw new Error(`${(e as Error).message}\n${stderr}`);
    }
  };
  const halt = async () => {
    // a process ended by a signal keeps exitCode null: check signalCode too
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    running.delete(child);
  };
  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    kill: halt,
    restart: async () => {
      await halt();
      await launch();
    },
    stop: async () => {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
