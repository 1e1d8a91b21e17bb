import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const glup = join(root, 'bin', 'glup.js');

/** One `{"event":"role",…}` line that `glup node` prints on stdout at each role change. */
export interface RoleLine {
  event: 'role';
  node: string;
  role: string;
  epoch: number;
}

/** A `glup node` child process, with what it printed on stdout parsed as it comes. */
export interface GlupNodeProcess {
  id: string;
  child: ChildProcess;
  roles: RoleLine[];
  /** Every JSON line of stdout (role, metrics, store events), in order. */
  events: { event: string; [k: string]: unknown }[];
  readonly role: string | undefined;
  /** Port of --metrics-port 0, once the node printed it. */
  metricsPort: number | undefined;
  stderr: string;
  exited: Promise<number | null>;
  /** Resolves when `pred` holds, checked at each stdout line; rejects with the node's stderr tail. */
  waitFor(what: string, pred: () => boolean, timeoutMs?: number): Promise<void>;
  waitForRole(pred: (role: string) => boolean, timeoutMs?: number): Promise<RoleLine>;
}

/** Spawns `glup node <args>` (args after `node`), the node id given for messages; `env` is added to the environment. */
export function spawnGlupNode(id: string, args: string[], opts: { env?: Record<string, string> } = {}): GlupNodeProcess {
  const env = opts.env ? { ...process.env, ...opts.env } : process.env;
  const child = spawn('node', [glup, 'node', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const waiters = new Set<() => void>();
  const p: GlupNodeProcess = {
    id,
    child,
    roles: [],
    events: [],
    get role() {
      return p.roles.at(-1)?.role;
    },
    metricsPort: undefined,
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    waitFor(what, pred, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pred()) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${id}: not ${what} after ${timeoutMs} ms (role ${p.role ?? 'none'}); stderr: ${p.stderr.slice(-2000)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async waitForRole(pred, timeoutMs = 20_000) {
      await p.waitFor('in the expected role', () => p.role !== undefined && pred(p.role), timeoutMs);
      return p.roles.at(-1)!;
    },
  };
  let buffered = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        const ev = JSON.parse(line) as { event: string; port?: number };
        p.events.push(ev);
        if (ev.event === 'role') p.roles.push(ev as unknown as RoleLine);
        if (ev.event === 'metrics') p.metricsPort = ev.port;
      } catch {
        // not one of ours
      }
      for (const w of [...waiters]) w();
    }
  });
  child.stderr!.on('data', (d: Buffer) => {
    p.stderr = (p.stderr + d.toString()).slice(-50_000);
  });
  return p;
}
