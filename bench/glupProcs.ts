/**
 * glup as the bench sees it from outside (issue 14): `glup node` processes on one
 * nats-server, each on its own data directory (fileStore, fsync always, the default), and a
 * tool session on the bus that writes through one chosen node (`admin-request` put, what
 * `glup put` sends). Roles come from each process's stdout (`{"event":"role",…}`), stamped
 * when the line arrives here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createBus, type Bus } from '../src/bus/bus.js';
import { natsTransport } from '../src/bus/nats.js';
import { subjects, type Transport } from '../src/bus/transport.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const GLUP = join(ROOT, 'bin', 'glup.js');

export interface GlupProc {
  id: string;
  dataDir: string;
  process: ChildProcess | null;
  role: string;
  epoch: number;
}

export interface RoleEvent {
  node: string;
  role: string;
  epoch: number;
  at: number;
}

export class GlupProcCluster {
  readonly nodes: GlupProc[] = [];
  readonly events: RoleEvent[] = [];
  private readonly root: string;
  private waiters = new Set<() => void>();
  private tool: { transport: Transport; bus: Bus; as: string } | null = null;
  private readonly listeners = new Set<(node: GlupProc, event: Record<string, unknown>, at: number) => void>();

  private constructor(
    readonly natsUrl: string,
    readonly cluster: string,
    readonly heartbeatMs: number,
    readonly missedHeartbeats: number,
    private readonly extra: { args: string[]; env: Record<string, string> },
  ) {
    this.root = mkdtempSync(join(tmpdir(), 'glup-bench-nodes-'));
  }

  /** `size` node processes started together; resolves once there are a manager, a backup and clients. */
  static async start(
    natsUrl: string,
    opts: { cluster: string; size?: number; heartbeatMs: number; missedHeartbeats?: number; timeoutMs?: number; args?: string[]; env?: Record<string, string> },
  ): Promise<GlupProcCluster> {
    const c = new GlupProcCluster(natsUrl, opts.cluster, opts.heartbeatMs, opts.missedHeartbeats ?? 3, { args: opts.args ?? [], env: opts.env ?? {} });
    const size = opts.size ?? 3;
    for (let i = 1; i <= size; i++) c.nodes.push({ id: `n${i}`, dataDir: join(c.root, `n${i}`), process: null, role: 'stopped', epoch: 0 });
    for (const n of c.nodes) c.spawn(n);
    try {
      await c.until(() => c.formed(), opts.timeoutMs ?? 60_000, 'cluster formed');
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  private spawn(n: GlupProc): void {
    const ids = this.nodes.map((x) => x.id).join(',');
    const args = [
      GLUP, 'node',
      '--cluster', this.cluster,
      '--id', n.id,
      '--nats', this.natsUrl,
      '--data', n.dataDir,
      '--heartbeat-ms', String(this.heartbeatMs),
      '--missed-heartbeats', String(this.missedHeartbeats),
      '--initial-members', ids,
      ...this.extra.args,
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GLUP_LOG_LEVEL: 'error', ...this.extra.env } });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr = (stderr + String(d)).slice(-4000)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const at = performance.now();
      let ev: { event?: string; role?: string; epoch?: number };
      try {
        ev = JSON.parse(line);
      } catch {
        return;
      }
      if (n.process !== child) return;
      for (const l of this.listeners) l(n, ev, at);
      if (ev.event !== 'role') return;
      n.role = String(ev.role);
      n.epoch = Number(ev.epoch ?? 0);
      this.events.push({ node: n.id, role: n.role, epoch: n.epoch, at });
      for (const w of [...this.waiters]) w();
    });
    child.on('exit', (code, signal) => {
      if (n.process !== child) return;
      n.process = null;
      n.role = 'stopped';
      // not through kill(): nothing asked it to stop
      console.error(`glup node ${n.id} exited by itself (code ${code}, signal ${signal}): ${stderr}`);
      for (const w of [...this.waiters]) w();
    });
    n.process = child;
    n.role = 'starting';
  }

  /** Every JSON line a live node process prints on stdout, stamped when it arrived here. */
  onEvent(listener: (node: GlupProc, event: Record<string, unknown>, at: number) => void): void {
    this.listeners.add(listener);
  }

  live(): GlupProc[] {
    return this.nodes.filter((n) => n.process);
  }

  manager(): GlupProc | undefined {
    return this.live().find((n) => n.role === 'manager');
  }

  /** The last client in id order (never the manager or the backup). */
  client(): GlupProc | undefined {
    return [...this.live()].reverse().find((n) => n.role === 'client');
  }

  /** Every node live and a member, one manager, one backup. */
  formed(): boolean {
    const live = this.live();
    if (live.length !== this.nodes.length) return false;
    if (!live.every((n) => ['manager', 'backup', 'client'].includes(n.role))) return false;
    return live.filter((n) => n.role === 'manager').length === 1 && live.filter((n) => n.role === 'backup').length === 1;
  }

  /** Resolves when `cond` holds, checked on every role event; rejects after `timeoutMs`. */
  until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!cond()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        const roles = this.nodes.map((n) => `${n.id}:${n.role}@${n.epoch}`).join(' ');
        reject(new Error(`glup bench: ${what} not reached within ${timeoutMs} ms (${roles})`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  kill(n: GlupProc): void {
    const p = n.process;
    n.process = null;
    n.role = 'stopped';
    p?.kill('SIGKILL');
  }

  restart(n: GlupProc): void {
    this.spawn(n);
  }

  /** A tool endpoint on the bus (what `glup put` opens), kept for the whole run. */
  async connectTool(): Promise<void> {
    const as = `bench-${randomBytes(3).toString('hex')}`;
    const transport = await natsTransport({ servers: this.natsUrl, name: as });
    this.tool = { transport, bus: createBus({ transport, cluster: this.cluster, node: as }), as };
  }

  /** One put through node `to` (its admin data plane: `node.update` there, with the tool's id). */
  async put(to: string, path: string, value: unknown, timeoutMs = 10_000): Promise<void> {
    const t = this.tool;
    if (!t) throw new Error('glup bench: connectTool() first');
    const id = `${t.as}:${randomBytes(6).toString('hex')}`;
    const env = await t.bus.request(subjects.node(this.cluster, to, t.as), 'admin-request', { action: 'put', path, value, id, to }, { epoch: 0, timeoutMs, to });
    const body = env.body as { ok?: boolean; code?: string; message?: string };
    if (body?.ok !== true) throw Object.assign(new Error(`put through ${to}: ${body?.code} ${body?.message}`), { code: body?.code ?? 'ERROR' });
  }

  async stop(): Promise<void> {
    if (this.tool) {
      this.tool.bus.close();
      await this.tool.transport.close().catch(() => {});
      this.tool = null;
    }
    const exits = this.nodes.map((n) => (n.process ? new Promise((r) => n.process!.once('exit', r)) : null));
    for (const n of this.nodes) this.kill(n);
    await Promise.all(exits);
    rmSync(this.root, { recursive: true, force: true });
  }
}
